//! Exit codes separate "the target does not conform" (1) from "the run could not happen" (2),
//! and a run that cannot happen says why in one sentence instead of a wall of failures.

mod support;

use std::time::Duration;

use support::Invocation;

const KEY: &str = "exit-code-test-key-0123456789abcdef";

async fn server() -> reference_server::RunningServer {
    support::spawn(|c| {
        c.signing_key = Some(KEY.into());
        c.access_lifetime = Duration::from_secs(5);
        c.refresh_lifetime = Duration::from_secs(8);
        c.users = vec![support::user("erin", "erin-pw", true)];
    })
    .await
}

/// The binary with `args`, quiet, without the target's variables of this shell.
fn invocation<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Invocation {
    Invocation::new(args).quiet().env_remove(&[
        "BASE_URL",
        "PROFILE",
        "LOGIN",
        "PASSWORD",
        "SIGNING_KEY",
    ])
}

fn run(args: &[&str]) -> (i32, String, String) {
    invocation(args).output().triple()
}

async fn run_async(args: Vec<String>) -> (i32, String, String) {
    invocation(args).output_async().await.triple()
}

#[test]
fn an_unreachable_target_exits_2() {
    let (code, _, err) = run(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--login",
        "a",
        "--password",
        "b",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot reach http://127.0.0.1:9"), "{err}");
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) = run(&["--max-wait", "soon"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a duration"), "{err}");
    let (code, _, err) = run(&["--base-url", "ftp://x", "--login", "a", "--password", "b"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["--base-url", "http://127.0.0.1:9"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--login and --password"), "{err}");
    let (code, _, err) = run(&["--login", "a", "--password", "b"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give its --base-url too"), "{err}");
    let (code, _, err) = run(&["--profile", "no-such-profile.toml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("neither a built-in profile"), "{err}");
    let (code, _, err) = run(&["--tags", "@a and and"]);
    assert_eq!(code, 2, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_or_key_or_path_exits_2() {
    let srv = server().await;
    let url = srv.base_url();
    let base = |extra: &[&str]| {
        let mut v: Vec<String> = ["--base-url", url.as_str(), "--login", "erin"]
            .map(String::from)
            .to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let (code, _, err) = run_async(base(&["--password", "nope"])).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("logging in as \"erin\""), "{err}");
    assert!(
        !err.contains("nope"),
        "the password must not be printed: {err}"
    );

    let (code, _, err) = run_async(base(&[
        "--password",
        "erin-pw",
        "--signing-key",
        "not-the-key",
    ]))
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--signing-key given does not verify"), "{err}");

    let profile = std::env::temp_dir().join(format!("exit-codes-{}.toml", std::process::id()));
    std::fs::write(
        &profile,
        "base = \"classic\"\n[endpoints]\nobtain = \"/no/such/path/\"\n",
    )
    .expect("write");
    let (code, _, err) = run_async(base(&[
        "--password",
        "erin-pw",
        "--profile",
        &profile.to_string_lossy(),
    ]))
    .await;
    let _ = std::fs::remove_file(&profile);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is that the obtain endpoint?"), "{err}");
}

/// Checking the classic server with simplejwt expectations: non-conformance, exit 1, and the
/// report shows request, response, rule and a curl repro, with the token redacted.
#[tokio::test(flavor = "multi_thread")]
async fn a_non_conforming_target_exits_1_with_details() {
    let srv = server().await;
    let url = srv.base_url();
    let profile = std::env::temp_dir().join(format!("exit-codes-mix-{}.toml", std::process::id()));
    std::fs::write(&profile, "base = \"classic\"\ndialect = \"simplejwt\"\n").expect("write");
    let page = std::env::temp_dir().join(format!("exit-codes-mix-{}.html", std::process::id()));
    let args: Vec<String> = [
        "--base-url",
        &url,
        "--login",
        "erin",
        "--password",
        "erin-pw",
        "--signing-key",
        KEY,
        "--profile",
        &profile.to_string_lossy(),
        "--tags",
        "@verifying and not @waits",
        "--html",
        &page.to_string_lossy(),
    ]
    .map(String::from)
    .to_vec();
    let (code, out, err) = run_async(args).await;
    let _ = std::fs::remove_file(&profile);
    let html = std::fs::read_to_string(&page).unwrap_or_default();
    let _ = std::fs::remove_file(&page);
    assert!(html.contains("DOES NOT CONFORM"), "{html}");
    assert!(html.contains("<code>VER-2</code>"), "{html}");
    assert!(
        html.contains("A valid access token sent as JSON verifies"),
        "{html}"
    );
    assert!(html.contains("data-filter=\"skipped\""), "{html}");
    assert!(
        !html.contains(KEY) && !html.contains("erin-pw") && !regex_like_full_token(&html),
        "secrets leaked into the HTML report"
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("DOES NOT CONFORM"), "{out}");
    assert!(
        out.contains("A valid access token sent as JSON verifies"),
        "{out}"
    );
    assert!(
        out.contains("rule: VER-2 — ") && out.contains("(CONTRACT.md#ver-2) (MUST)"),
        "{out}"
    );
    assert!(out.contains("expected the body {}"), "{out}");
    assert!(out.contains("repro:    curl -i -X POST"), "{out}");
    assert!(out.contains("eyJhbGci…<redacted>"), "{out}");
    assert!(out.contains("claims {"), "{out}");
    assert!(
        !out.contains(KEY) && !out.contains("erin-pw"),
        "secrets leaked:\n{out}"
    );
    assert!(
        !regex_like_full_token(&out),
        "a full token was printed:\n{out}"
    );
}

/// Whether the text holds something shaped like a whole JWT (three long base64url segments).
fn regex_like_full_token(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .any(|w| {
            let parts: Vec<&str> = w.split('.').collect();
            parts.len() == 3 && parts.iter().all(|p| p.len() >= 10)
        })
}

/// `--version` names the contract; completions and the manual page come from the same CLI.
#[test]
fn version_completions_and_manual_page() {
    let output = |args: &[&str]| {
        let out = Invocation::new(args).output();
        (out.code, out.stdout)
    };
    let (code, version) = output(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        version.contains(&format!(
            "(contract {})",
            conformance::contract::contract().version
        )),
        "{version}"
    );
    let (code, bash) = output(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(bash.contains("--signing-key"), "{bash}");
    let (code, man) = output(&["man"]);
    assert_eq!(code, 0);
    assert!(man.contains(".TH jwt-conformance 1"), "{man}");
    assert_eq!(output(&["completions", "no-such-shell"]).0, 2);
}
