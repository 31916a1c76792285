//! The bundled reference server: started in-process on loopback for a run without --base-url
//! (the scenarios, the properties, `load`) and for the HTTP benches. Booting it is the only
//! thing the suite takes from the `reference-server` crate: the expectations stay its own.

use std::time::Duration;

use crate::{profile::Profile, target::Account};

/// A running bundled server (stopped when dropped).
#[cfg(feature = "bundled-server")]
pub type Server = reference_server::RunningServer;
/// Without the `bundled-server` feature no server can run: there is no value of this type.
#[cfg(not(feature = "bundled-server"))]
#[derive(Debug)]
pub enum Server {}

/// An account of a bundled server.
#[derive(Debug, Clone)]
pub struct User {
    /// Its username.
    pub username: String,
    /// Its email.
    pub email: String,
    /// Its password.
    pub password: String,
    /// Whether it may log in.
    pub active: bool,
}

impl User {
    /// The account as a profile logs in with it: by email or by username.
    pub fn account(&self, profile: &Profile) -> Account {
        let login = match profile.login_field.as_str() {
            "email" => &self.email,
            _ => &self.username,
        };
        Account {
            login: login.clone(),
            password: self.password.clone(),
        }
    }
}

/// How a bundled server is set up.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The HMAC secret; `None`: the server draws its own.
    pub signing_key: Option<String>,
    /// Lifetime of access tokens.
    pub access_lifetime: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_lifetime: Duration,
    /// Refresh tokens rotate, and rotated ones are blacklisted.
    pub rotating: bool,
    /// Its accounts; the first gets `user_id` 1, the second 2 (the server's `--user` order).
    pub users: Vec<User>,
    /// The largest request body it reads, in bytes.
    pub body_limit: usize,
}

/// The body limit of the bundled servers, which their profiles declare: not the server's
/// default, so that a run shows the limit the suite asked for is the one it checks.
pub const BODY_LIMIT: usize = 512 * 1024;

/// Why the bundled server did not start (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The server refused its configuration or could not bind.
    #[error("cannot start the bundled reference server: {0}")]
    Spawn(String),
    /// This build has no reference server in it.
    #[error(
        "no --base-url given, and this build has no bundled reference server (feature `bundled-server`)"
    )]
    NotBuilt,
}

/// `n` random alphanumeric characters (a secret or a password).
pub fn random_text(n: usize) -> String {
    use rand::Rng as _;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// Starts a reference server on 127.0.0.1:0, with no clock leeway.
#[cfg(feature = "bundled-server")]
pub async fn start(setup: Setup) -> Result<Server, StartError> {
    let mut config = reference_server::Config::for_tests();
    config.bind = ([127, 0, 0, 1], 0).into();
    config.signing_key = setup.signing_key;
    config.access_lifetime = setup.access_lifetime;
    config.refresh_lifetime = setup.refresh_lifetime;
    config.leeway = Duration::ZERO;
    config.users = setup
        .users
        .into_iter()
        .map(|u| reference_server::UserSpec {
            username: u.username,
            email: u.email,
            password: u.password,
            active: u.active,
        })
        .collect();
    config.max_body_bytes = setup.body_limit as u64;
    config.rotate_refresh_tokens = setup.rotating;
    config.blacklist_after_rotation = setup.rotating;
    reference_server::spawn(config)
        .await
        .map_err(|e| StartError::Spawn(e.to_string()))
}

/// Without the `bundled-server` feature there is no server to start.
#[cfg(not(feature = "bundled-server"))]
pub async fn start(_: Setup) -> Result<Server, StartError> {
    Err(StartError::NotBuilt)
}

/// The server's base URL (`http://127.0.0.1:<port>`).
#[cfg(feature = "bundled-server")]
pub fn base_url(server: &Server) -> String {
    server.base_url()
}
/// Without the feature there is no server, hence no URL.
#[cfg(not(feature = "bundled-server"))]
pub fn base_url(server: &Server) -> String {
    match *server {}
}

/// A server for a load run or a bench: one account (random password, random key) and token
/// lifetimes far beyond any run.
pub async fn start_for_load(profile: &Profile) -> Result<(Server, Account), StartError> {
    let alice = User {
        username: "alice".into(),
        email: "alice@example.com".into(),
        password: random_text(20),
        active: true,
    };
    let server = start(Setup {
        signing_key: None,
        access_lifetime: Duration::from_secs(2 * 3600),
        refresh_lifetime: Duration::from_secs(4 * 3600),
        rotating: false,
        users: vec![alice.clone()],
        body_limit: BODY_LIMIT,
    })
    .await?;
    Ok((server, alice.account(profile)))
}
