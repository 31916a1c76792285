//! The test cargo-mutants runs against each mutant of the reference server (README, "Mutation
//! score"): the suite alone, as the real `jwt-conformance` binary, against reference servers
//! started here on port 0, with rotation, blacklist and short lifetimes: one checked with the
//! `classic` profile (resources, classic bodies), one with `v1` (the simplejwt dialect, the
//! users endpoint), the property tests against a third, and the keyed scenarios (forged claims,
//! algorithm confusion) against a fourth that signs RS256, all at the same time.
//! The test fails exactly when the suite does (exit code not 0, under `--strict`, so a SHOULD
//! failure counts too); the server's own unit tests take no part.
//!
//! Ignored in ordinary runs, since `reference_server.rs` checks the same configurations:
//! `cargo test -p conformance --no-default-features --test mutants -- --ignored`. Built
//! without the `bundled-server` feature, the binary does not contain the reference server,
//! so a mutant does not rebuild the suite: only the server and this test.

mod support;

use std::time::Duration;

use reference_server::RunningServer;
use support::Invocation;

const KEY: &str = "mutants-test-key-3b8e1f0a6c4d2e9f7a5b";
/// Long enough that a loaded machine (two mutants at once) does not expire tokens in flight.
const ACCESS: Duration = Duration::from_secs(5);
const REFRESH: Duration = Duration::from_secs(8);
/// The RS256 server's leeway, which its profile declares: the scenarios of a granted leeway run
/// there (4 s is the least they check).
const LEEWAY: Duration = Duration::from_secs(4);
/// The servers' body limit, which the profiles declare (HTTP-10 at the limit).
const BODY_LIMIT: usize = 256 * 1024;

async fn server() -> RunningServer {
    support::spawn(|c| configure(c, None)).await
}

/// The same server signing RS256 with the test key pair and granting a leeway: its token code
/// takes the asymmetric paths, which the suite's keyed scenarios then check (TOK-21, TOK-22,
/// the claim rules, the leeway of TOK-6 to TOK-8).
async fn rs256_server() -> RunningServer {
    support::spawn(|c| {
        configure(c, Some(reference_server::keys::Algorithm::Rs256));
        c.leeway = LEEWAY;
    })
    .await
}

/// Lifetimes, accounts, rotation and blacklist; the HMAC key, or the RS256 key files.
fn configure(c: &mut reference_server::Config, rs256: Option<reference_server::keys::Algorithm>) {
    match rs256 {
        None => c.signing_key = Some(KEY.into()),
        Some(algorithm) => {
            c.algorithm = algorithm;
            c.signing_key = None;
            c.private_key_file = Some(support::data("rs256-private.pem").into());
            c.public_key_file = Some(support::data("rs256-public.pem").into());
        }
    }
    c.access_lifetime = ACCESS;
    c.refresh_lifetime = REFRESH;
    c.users = vec![
        support::user("frank", "frank-pw-1", true),
        support::user("grace", "grace-pw-1", false),
    ];
    c.rotate_refresh_tokens = true;
    c.blacklist_after_rotation = true;
    c.max_body_bytes = BODY_LIMIT as u64;
}

/// The target and account arguments for `base_url` checked with a profile on `base`.
fn target_args(base_url: &str, base: &str, profile: &std::path::Path) -> Vec<String> {
    let (login, inactive) = if base == "v1" {
        ("frank@example.com", "grace@example.com")
    } else {
        ("frank", "grace")
    };
    [
        "--base-url",
        base_url,
        "--profile",
        &profile.to_string_lossy(),
        "--login",
        login,
        "--password",
        "frank-pw-1",
        "--inactive-login",
        inactive,
        "--inactive-password",
        "grace-pw-1",
        "--inactive-user-id",
        "2",
        "--signing-key",
        KEY,
    ]
    .map(String::from)
    .to_vec()
}

/// A profile file on `base` declaring the servers' body limit, lifetimes, rotation and blacklist (and
/// RS256 for the profile named `rs256`, on `v1`).
fn profile_file(dir: &std::path::Path, base: &str) -> std::path::PathBuf {
    let path = dir.join(format!("{base}.toml"));
    let (base, algorithm) = match base {
        "rs256" => (
            "v1",
            format!(
                "algorithm = \"RS256\"\nleeway = \"{}s\"\n",
                LEEWAY.as_secs()
            ),
        ),
        other => (other, String::new()),
    };
    let text = format!(
        "base = \"{base}\"\nbody_limit_bytes = {BODY_LIMIT}\n[tokens]\n{algorithm}access_lifetime = \"{}s\"\nrefresh_lifetime = \"{}s\"\n\
         rotate_refresh_tokens = true\nblacklist_after_rotation = true\n",
        ACCESS.as_secs(),
        REFRESH.as_secs()
    );
    std::fs::write(&path, text).expect("write the profile");
    path
}

/// Runs the binary with `args`; returns whether it exited 0, and what it printed.
fn run(args: Vec<String>) -> (bool, String) {
    let invocation = Invocation::new(args).env_remove(&["BASE_URL"]);
    let shown = invocation.shown();
    let out = invocation.output();
    let text = format!(
        "{shown}\nexit: {:?}\n{}\n{}",
        Some(out.code),
        out.stdout,
        out.stderr
    );
    (out.code == 0, text)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "run by cargo-mutants (README, Mutation score); reference_server.rs covers it"]
async fn the_suite_passes_the_reference_server() {
    let dir = std::env::temp_dir().join(format!("jwt-conformance-mutants-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (classic, v1, props) = (server().await, server().await, server().await);
    let rs256 = rs256_server().await;
    let mut runs = Vec::new();
    for (srv, base) in [(&classic, "classic"), (&v1, "v1")] {
        let mut args = target_args(&srv.base_url(), base, &profile_file(&dir, base));
        args.extend(["--strict", "--quiet"].map(String::from));
        runs.push(tokio::task::spawn_blocking(move || run(args)));
    }
    // The RS256 server: only the scenarios that forge tokens with its keys (the rest of the
    // suite does not depend on the algorithm, and the v1 run above checks it).
    let mut args = target_args(&rs256.base_url(), "v1", &profile_file(&dir, "rs256"));
    support::with_rs256_key_files(&mut args);
    args.extend([
        "--tags".to_owned(),
        "@asymmetric or @needs-key".to_owned(),
        "--strict".to_owned(),
        "--quiet".to_owned(),
    ]);
    runs.push(tokio::task::spawn_blocking(move || run(args)));
    let mut properties = vec!["properties".to_owned()];
    properties.extend(target_args(
        &props.base_url(),
        "classic",
        &profile_file(&dir, "classic"),
    ));
    properties.extend(["--cases", "64", "--budget", "20s", "--quiet"].map(String::from));
    runs.push(tokio::task::spawn_blocking(move || run(properties)));
    let mut failed = Vec::new();
    for handle in runs {
        let (ok, text) = handle.await.expect("the run finished");
        if !ok {
            failed.push(text);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failed.is_empty(),
        "the suite failed:\n{}",
        failed.join("\n")
    );
}
