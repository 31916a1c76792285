//! With no --base-url, the suite checks the bundled reference server, started in-process.
//! Booting it is the only thing the suite takes from the `reference-server` crate: the
//! expectations stay the suite's own.
//!
//! Two servers are started, so both dialects and both refresh modes are covered in one go:
//! the `classic` profile runs against one with default refresh behaviour, the `v1` profile
//! against one with rotation and blacklist-after-rotation. Lifetimes are short (access 5 s,
//! refresh 8 s) so the expiry scenarios really wait, and the signing key is known to the suite.

#[cfg(feature = "bundled-server")]
use std::{sync::Arc, time::Duration};

use crate::{Plan, Unusable, cli::TargetArgs};
use conformance::http::Client;
#[cfg(feature = "bundled-server")]
use conformance::{
    profile::Profile,
    target::{Account, Target},
};

/// Lifetimes of the bundled servers.
#[cfg(feature = "bundled-server")]
pub const ACCESS: Duration = Duration::from_secs(5);
/// Refresh lifetime of the bundled servers.
#[cfg(feature = "bundled-server")]
pub const REFRESH: Duration = Duration::from_secs(8);

/// A running bundled server (stopped when dropped).
#[cfg(feature = "bundled-server")]
pub type Server = reference_server::RunningServer;
/// Without the `bundled-server` feature there is nothing to keep alive.
#[cfg(not(feature = "bundled-server"))]
#[derive(Debug)]
pub enum Server {}

/// The runs of a bundled check.
pub async fn plans(args: &TargetArgs, client: Client) -> Result<Vec<Plan>, Unusable> {
    if args.login.is_some()
        || args.password.is_some()
        || args.signing_key.is_some()
        || args.signing_key_file.is_some()
        || args.verifying_key_file.is_some()
    {
        return Err(Unusable(
            "--login, --password and the keys describe a server you run: give its --base-url too \
             (without --base-url the suite checks its bundled reference server)"
                .into(),
        ));
    }
    start(args, client).await
}

#[cfg(not(feature = "bundled-server"))]
async fn start(_: &TargetArgs, _: Client) -> Result<Vec<Plan>, Unusable> {
    Err(Unusable("no --base-url given, and this build has no bundled reference server (feature `bundled-server`)".into()))
}

#[cfg(feature = "bundled-server")]
async fn start(args: &TargetArgs, client: Client) -> Result<Vec<Plan>, Unusable> {
    use rand::Rng as _;

    let key: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(43)
        .map(char::from)
        .collect();
    let account = Account {
        login: "alice".into(),
        password: format!("alice-{}", &key[..8]),
    };
    let inactive = Account {
        login: "bob".into(),
        password: format!("bob-{}", &key[8..16]),
    };
    let profiles: Vec<(Profile, bool)> = match args.profile.as_deref() {
        Some(p) => vec![(Profile::load(p)?, false)],
        None => vec![(Profile::classic(), false), (Profile::v1(), true)],
    };
    let mut plans = Vec::new();
    for (mut profile, rotating) in profiles {
        let mut config = reference_server::Config::for_tests();
        config.bind = ([127, 0, 0, 1], 0).into();
        config.signing_key = Some(key.clone());
        config.access_lifetime = ACCESS;
        config.refresh_lifetime = REFRESH;
        config.leeway = Duration::ZERO;
        // The first user gets id 1, the second id 2 (the server's --user order).
        config.users = vec![
            reference_server::UserSpec {
                username: "alice".into(),
                email: "alice@example.com".into(),
                password: account.password.clone(),
                active: true,
            },
            reference_server::UserSpec {
                username: "bob".into(),
                email: "bob@example.com".into(),
                password: inactive.password.clone(),
                active: false,
            },
        ];
        config.rotate_refresh_tokens = rotating;
        config.blacklist_after_rotation = rotating;
        let server = reference_server::spawn(config)
            .await
            .map_err(|e| format!("cannot start the bundled reference server: {e}"))?;
        let email_login = profile.login_field == "email";
        let login = |a: &Account, email: &str| Account {
            login: if email_login {
                email.to_string()
            } else {
                a.login.clone()
            },
            password: a.password.clone(),
        };
        profile.access_lifetime = Some(ACCESS);
        profile.refresh_lifetime = Some(REFRESH);
        profile.rotate_refresh_tokens = Some(rotating);
        profile.blacklist_after_rotation = rotating;
        if rotating {
            profile.name.push_str(" (rotation + blacklist)");
        }
        let account = login(&account, "alice@example.com");
        let inactive = login(&inactive, "bob@example.com");
        if !args.quiet {
            eprintln!(
                "no --base-url: checking the bundled reference server, started in-process at {} \
                 (access {} s, refresh {} s{}, signing key known to the suite)",
                server.base_url(),
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
        let mut target = Target {
            redactor: Target::redactor_for(
                &account,
                Some(&inactive),
                signing_key.as_deref(),
                client.transport(),
            ),
            base_url: server.base_url(),
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
        let preflight = crate::preflight::check(&mut target)
            .await
            .map_err(Unusable)?;
        plans.push(Plan {
            target: Arc::new(target),
            preflight,
            _server: Some(server),
        });
    }
    Ok(plans)
}
