//! Wire names: a profile's `[tokens]` names for the user, type and id claims and for the auth
//! header and scheme are what the suite reads and sends. A reference server with the defaults
//! conforms to a profile spelling the defaults out and is refused, where the names matter and
//! only there, by a profile renaming them; a reference server renaming them the same way
//! (`--user-id-claim`, `--auth-header-types`, ...) conforms to that profile.

mod support;

use std::time::Duration;

use support::Invocation;

const KEY: &str = "wire-names-test-key-0123456789abcdef";

async fn server() -> reference_server::RunningServer {
    support::server(KEY, Duration::from_secs(60)).await
}

async fn run_with_profile(base_url: String, profile: &str, tags: &str) -> (i32, String, String) {
    run_with(base_url, profile, tags, Vec::new()).await
}

async fn run_with(
    base_url: String,
    profile: &str,
    tags: &str,
    extra: Vec<String>,
) -> (i32, String, String) {
    let path = std::env::temp_dir().join(format!(
        "wire-names-{}-{}.toml",
        std::process::id(),
        profile.len()
    ));
    std::fs::write(&path, profile).expect("write");
    let p = path.clone();
    let out = Invocation::new(support::target_args(
        &base_url,
        support::LOGIN,
        KEY,
        &["--profile", &p.to_string_lossy(), "--tags", tags, "--quiet"],
    ))
    .env_clear()
    .args(&extra)
    .output_async()
    .await;
    let _ = std::fs::remove_file(&path);
    out.triple()
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

#[tokio::test(flavor = "multi_thread")]
async fn a_server_renaming_them_the_same_way_conforms() {
    let srv = support::spawn(|c| {
        c.signing_key = Some(KEY.into());
        c.access_lifetime = Duration::from_secs(60);
        c.refresh_lifetime = Duration::from_secs(120);
        c.users = vec![
            support::user(support::LOGIN, support::PASSWORD, true),
            support::user("frank", "frank-pw-1", false),
        ];
        c.claim_names = reference_server::tokens::ClaimNames {
            user_id: "uid".into(),
            token_type: "kind".into(),
            jti: "id".into(),
        };
        c.auth_header_types = vec!["JWT".into(), "Bearer".into()];
        c.auth_header_name = "X-Access-Token".into();
    })
    .await;
    let profile = r#"
base = "classic"
[tokens]
user_id_claim = "uid"
token_type_claim = "kind"
jti_claim = "id"
auth_header_types = ["JWT", "Bearer"]
auth_header_name = "X-Access-Token"
"#;
    let inactive = [
        "--inactive-login",
        "frank",
        "--inactive-password",
        "frank-pw-1",
        "--inactive-user-id",
        "2",
    ]
    .map(String::from)
    .to_vec();
    let json = std::env::temp_dir().join(format!("wire-names-renamed-{}.json", std::process::id()));
    let (code, out, err) = run_with(
        srv.base_url(),
        profile,
        "(@claims or @protected or @needs-key or @forgery or @headers or @sources) and not @waits and not @rule:TOK-14",
        [inactive, vec!["--json".into(), json.to_string_lossy().into_owned()]].concat(),
    )
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON report"))
            .expect("JSON");
    let _ = std::fs::remove_file(&json);
    let scenarios = report["runs"][0]["scenarios"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The renamed claims were forged and checked, and the challenge is the first scheme's.
    for name in [
        "An access token without jti is refused by the protected endpoint",
        "An access token of an unknown type is refused by the protected endpoint",
        "An access token naming the inactive account is refused by the protected endpoint",
        "No Authorization header is refused as not authenticated",
    ] {
        assert!(
            scenarios
                .iter()
                .any(|s| s["scenario"] == name && s["outcome"] == "passed"),
            "{name:?} did not pass:\n{out}"
        );
    }
}
