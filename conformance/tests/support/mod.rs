//! What the end-to-end tests of the CLI share: a reference server with one known account and
//! key, and the arguments that describe it to `jwt-conformance`.

use std::time::Duration;

use reference_server::{Config, RunningServer, UserSpec};

/// The account every such server has.
pub const LOGIN: &str = "erin";
/// Its password.
pub const PASSWORD: &str = "erin-pw-1";

/// A reference server on 127.0.0.1:0 signing with `key`, whose refresh tokens live twice as
/// long as its access tokens, with the account `erin` / `erin@example.com`.
pub async fn server(key: &str, access: Duration) -> RunningServer {
    let mut c = Config::for_tests();
    c.bind = ([127, 0, 0, 1], 0).into();
    c.signing_key = Some(key.into());
    c.access_lifetime = access;
    c.refresh_lifetime = access * 2;
    c.users = vec![UserSpec {
        username: LOGIN.into(),
        email: "erin@example.com".into(),
        password: PASSWORD.into(),
        active: true,
    }];
    reference_server::spawn(c).await.expect("server starts")
}

/// `--base-url`, the account (logging in as `login`) and the key, then `extra`.
pub fn target_args(base_url: &str, login: &str, key: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--base-url",
        base_url,
        "--login",
        login,
        "--password",
        PASSWORD,
        "--signing-key",
        key,
    ]
    .map(String::from)
    .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}
