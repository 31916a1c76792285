//! Wire names: a profile's `[tokens]` names for the user, type and id claims and for the auth
//! header and scheme are what the suite reads and sends. The reference server speaks the
//! defaults, so a profile spelling the defaults out conforms, and a profile renaming them is
//! refused where the names matter, and only there.

mod support;

use std::{process::Command, time::Duration};

const KEY: &str = "wire-names-test-key-0123456789abcdef";

async fn server() -> reference_server::RunningServer {
    support::server(KEY, Duration::from_secs(60)).await
}

async fn run_with_profile(base_url: String, profile: &str, tags: &str) -> (i32, String, String) {
    let path = std::env::temp_dir().join(format!(
        "wire-names-{}-{}.toml",
        std::process::id(),
        profile.len()
    ));
    std::fs::write(&path, profile).expect("write");
    let tags = tags.to_string();
    let p = path.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_jwt-conformance"))
            .env_clear()
            .args(support::target_args(
                &base_url,
                support::LOGIN,
                KEY,
                &[
                    "--profile",
                    &p.to_string_lossy(),
                    "--tags",
                    &tags,
                    "--quiet",
                ],
            ))
            .output()
            .expect("the binary runs")
    })
    .await
    .expect("joined");
    let _ = std::fs::remove_file(&path);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Without TOK-14 (`crit`), which the reference server is being fixed for.
const TAGS: &str =
    "(@claims or @protected or @needs-key or @forgery) and not @waits and not @rule:TOK-14";

#[tokio::test(flavor = "multi_thread")]
async fn the_default_names_spelled_out_conform() {
    let srv = server().await;
    let profile = r#"
base = "classic"
[tokens]
user_id_claim = "user_id"
token_type_claim = "token_type"
jti_claim = "jti"
auth_header_types = ["Bearer"]
auth_header_name = "Authorization"
"#;
    let (code, out, err) = run_with_profile(srv.base_url(), profile, TAGS).await;
    assert_eq!(code, 0, "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn renamed_claims_and_header_are_what_the_suite_reads_and_sends() {
    let srv = server().await;
    let profile = r#"
base = "classic"
[tokens]
token_type_claim = "kind"
auth_header_types = ["JWT"]
auth_header_name = "X-Access-Token"
"#;
    let (code, out, err) = run_with_profile(
        srv.base_url(),
        profile,
        "(@claims or @protected) and not @waits",
    )
    .await;
    assert_eq!(code, 1, "{out}\n{err}");
    // The token is sent in the profile's header and scheme, which this server ignores.
    assert!(out.contains("A valid access token is accepted"), "{out}");
    assert!(
        out.contains("X-Access-Token: JWT eyJhbGci…<redacted>"),
        "{out}"
    );
    // Claims are read by the profile's names: this server's tokens have no "kind".
    assert!(
        out.contains("at $.kind: expected \"access\", found nothing"),
        "{out}"
    );
    // A scheme the profile accepts is not checked as one to refuse.
    assert!(
        out.contains("the profile accepts the JWT scheme (tokens.auth_header_types)"),
        "{out}"
    );
}
