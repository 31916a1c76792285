//! The targets of a run, each checked by preflight before any scenario: the server the user
//! named with --base-url, or (without it) the bundled reference servers.
//!
//! Two bundled servers are started, so both dialects and both refresh modes are covered in one
//! go: the `classic` profile runs against one with default refresh behaviour, the `v1` profile
//! against one with rotation and blacklist-after-rotation. Lifetimes are short (access 5 s,
//! refresh 8 s) so the expiry scenarios really wait, and the signing key is known to the suite.

use std::{sync::Arc, time::Duration};

use anyhow::bail;

use crate::{cli::TargetArgs, preflight};
use conformance::{
    bundled::{self, Server, User},
    http::Client,
    profile::Profile,
    target::{self, Account, Target},
    tls::Transport,
};

/// Lifetimes of the bundled servers.
pub const ACCESS: Duration = Duration::from_secs(5);
/// Refresh lifetime of the bundled servers.
pub const REFRESH: Duration = Duration::from_secs(8);

/// One planned run: a target, and (for the bundled server) what keeps it alive.
pub struct Plan {
    pub target: Arc<Target>,
    pub preflight: preflight::Findings,
    _server: Option<Server>,
}

/// The targets to check: the one the user named, or the bundled reference servers.
pub async fn plans(args: &TargetArgs) -> anyhow::Result<Vec<Plan>> {
    let transport = Transport::new(&args.transport())?;
    let client = Client::with_transport(args.request_timeout, transport)?;
    match &args.base_url {
        Some(url) => Ok(vec![remote(args, url, client).await?]),
        None => bundled_plans(args, client).await,
    }
}

/// A run against the URL the user gave.
async fn remote(args: &TargetArgs, url: &str, client: Client) -> anyhow::Result<Plan> {
    let (base_url, _) = target::base_url(url)?;
    let profile = Profile::load(args.profile.as_deref().unwrap_or("classic"))?;
    let (Some(login), Some(password)) = (args.login.clone(), args.password.clone()) else {
        bail!(
            "--login and --password (or LOGIN and PASSWORD) are needed: the suite logs in with an existing active account"
        );
    };
    let account = Account { login, password };
    let inactive = match (args.inactive_login.clone(), args.inactive_password.clone()) {
        (Some(login), Some(password)) => Some(Account { login, password }),
        (None, None) => None,
        _ => {
            bail!("--inactive-login and --inactive-password go together");
        }
    };
    let (signing_key, private_key, public_keys) = target::read_keys(
        &profile,
        args.signing_key.as_deref(),
        args.signing_key_file.as_deref(),
        args.verifying_key_file.as_deref(),
    )?;
    let target = Target {
        redactor: Target::redactor_for(
            &account,
            inactive.as_ref(),
            signing_key.as_deref(),
            client.transport(),
        ),
        base_url,
        profile,
        account,
        inactive,
        inactive_user_id: args.inactive_user_id.clone(),
        signing_key,
        private_key,
        public_keys,
        max_wait: args.max_wait,
        client,
    };
    checked(target, None).await
}

/// The plan of a target once preflight has passed.
async fn checked(mut target: Target, server: Option<Server>) -> anyhow::Result<Plan> {
    let preflight = preflight::check(&mut target).await?;
    Ok(Plan {
        target: Arc::new(target),
        preflight,
        _server: server,
    })
}

/// The runs of a bundled check.
async fn bundled_plans(args: &TargetArgs, client: Client) -> anyhow::Result<Vec<Plan>> {
    if args.login.is_some()
        || args.password.is_some()
        || args.signing_key.is_some()
        || args.signing_key_file.is_some()
        || args.verifying_key_file.is_some()
    {
        bail!(
            "--login, --password and the keys describe a server you run: give its --base-url too \
             (without --base-url the suite checks its bundled reference server)"
        );
    }
    let key = bundled::random_text(43);
    let alice = User {
        username: "alice".into(),
        email: "alice@example.com".into(),
        password: format!("alice-{}", &key[..8]),
        active: true,
    };
    let bob = User {
        username: "bob".into(),
        email: "bob@example.com".into(),
        password: format!("bob-{}", &key[8..16]),
        active: false,
    };
    let profiles: Vec<(Profile, bool)> = match args.profile.as_deref() {
        Some(p) => vec![(Profile::load(p)?, false)],
        None => vec![(Profile::classic(), false), (Profile::v1(), true)],
    };
    let mut plans = Vec::new();
    for (mut profile, rotating) in profiles {
        let server = bundled::start(bundled::Setup {
            signing_key: Some(key.clone()),
            access_lifetime: ACCESS,
            refresh_lifetime: REFRESH,
            rotating,
            users: vec![alice.clone(), bob.clone()],
            body_limit: bundled::BODY_LIMIT,
        })
        .await?;
        profile.access_lifetime = Some(ACCESS);
        profile.refresh_lifetime = Some(REFRESH);
        profile.rotate_refresh_tokens = Some(rotating);
        profile.blacklist_after_rotation = rotating;
        profile.body_limit = Some(bundled::BODY_LIMIT);
        if rotating {
            profile.name.push_str(" (rotation + blacklist)");
        }
        let account = alice.account(&profile);
        let inactive = bob.account(&profile);
        let base_url = bundled::base_url(&server);
        if !args.quiet {
            eprintln!(
                "no --base-url: checking the bundled reference server, started in-process at {base_url} \
                 (access {} s, refresh {} s{}, signing key known to the suite)",
                ACCESS.as_secs(),
                REFRESH.as_secs(),
                if rotating {
                    ", rotation + blacklist after rotation"
                } else {
                    ""
                }
            );
        }
        let signing_key = Some(key.clone().into_bytes());
        let target = Target {
            redactor: Target::redactor_for(
                &account,
                Some(&inactive),
                signing_key.as_deref(),
                client.transport(),
            ),
            base_url,
            profile,
            account,
            inactive: Some(inactive),
            inactive_user_id: Some("2".into()),
            signing_key,
            private_key: None,
            public_keys: None,
            max_wait: args.max_wait,
            client: client.clone(),
        };
        plans.push(checked(target, Some(server)).await?);
    }
    Ok(plans)
}
