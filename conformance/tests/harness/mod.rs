//! Running the real `jwt-conformance` binary against a target of the self-tests, and reading
//! what it said: exit code, JSON report, console.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
};

use serde_json::Value;

use crate::fake::{
    self, ALICE, BOB, Defect, KEY, Rotation, Signing,
    mocks::{self, Mocked},
};
use crate::support::{Invocation, Output};

/// A broken target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// The stateful fake with one defect.
    Fake(Defect),
    /// A stateless wiremock mock.
    Mock(Mocked),
}

pub use Broken::{Fake, Mock};

impl Broken {
    pub fn name(self) -> String {
        match self {
            Fake(d) => format!("{d:?}"),
            Mock(m) => format!("{m:?}"),
        }
    }

    pub fn bug(self) -> &'static str {
        match self {
            Fake(d) => d.bug(),
            Mock(m) => m.bug(),
        }
    }
}

/// How the suite is told about the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The built-in `classic` profile (username login).
    Classic,
    /// The built-in `v1` profile (email login, simplejwt dialect).
    V1,
    /// A profile file on `classic` declaring rotation with blacklist; the fake rotates.
    Blacklisting,
    /// A profile file on `classic` declaring the fake's body limit (HTTP-10 at the limit).
    Limited,
    /// A profile file on `classic` declaring RS256; the fake signs with the RSA test key pair,
    /// which the suite is given with `--signing-key-file` and `--verifying-key-file`.
    Rs256,
}

/// What one run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub report: Value,
    pub stdout: String,
    pub stderr: String,
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

fn profile_args(profile: Profile, dir: &Path) -> Result<Vec<String>, String> {
    let email = profile == Profile::V1;
    let (login, inactive) = if email {
        (ALICE.email, BOB.email)
    } else {
        (ALICE.username, BOB.username)
    };
    let profile_arg = match profile {
        Profile::Classic => "classic".to_string(),
        Profile::V1 => "v1".to_string(),
        Profile::Blacklisting => {
            let path = dir.join("blacklisting.toml");
            let text = format!(
                "base = \"classic\"\n[tokens]\naccess_lifetime = \"{}s\"\nrefresh_lifetime = \"{}s\"\nrotate_refresh_tokens = true\nblacklist_after_rotation = true\n",
                fake::ACCESS_LIFETIME,
                fake::REFRESH_LIFETIME
            );
            std::fs::write(&path, text).map_err(|e| format!("cannot write the profile: {e}"))?;
            path.to_string_lossy().into_owned()
        }
        Profile::Limited => {
            let path = dir.join("limited.toml");
            let text = format!(
                "base = \"classic\"\nbody_limit_bytes = {}\n",
                fake::BODY_LIMIT
            );
            std::fs::write(&path, text).map_err(|e| format!("cannot write the profile: {e}"))?;
            path.to_string_lossy().into_owned()
        }
        Profile::Rs256 => {
            let path = dir.join("rs256.toml");
            std::fs::write(
                &path,
                "base = \"classic\"\n[tokens]\nalgorithm = \"RS256\"\n",
            )
            .map_err(|e| format!("cannot write the profile: {e}"))?;
            path.to_string_lossy().into_owned()
        }
    };
    let data = |file: &str| format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    let keys: Vec<String> = if profile == Profile::Rs256 {
        vec![
            "--signing-key-file".into(),
            data(fake::PRIVATE_PEM),
            "--verifying-key-file".into(),
            data(fake::PUBLIC_PEM),
        ]
    } else {
        vec!["--signing-key".into(), KEY.into()]
    };
    let args = [
        "--profile",
        &profile_arg,
        "--login",
        login,
        "--password",
        ALICE.password,
        "--inactive-login",
        inactive,
        "--inactive-password",
        BOB.password,
        "--inactive-user-id",
        &BOB.id.to_string(),
    ]
    .map(String::from);
    Ok(args.into_iter().chain(keys).collect())
}

/// A directory of its own for one run's profile files.
fn run_dir(kind: &str) -> Result<PathBuf, String> {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "{kind}-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.code,
            report: o.json,
            stdout: o.stdout,
            stderr: o.stderr,
        }
    }
}

/// Runs the binary against `base_url` and reads its JSON report.
fn run_suite(
    base_url: &str,
    profile: Profile,
    tags: Option<&str>,
    waits: bool,
) -> Result<Run, String> {
    let dir = run_dir("broken-servers")?;
    // The arguments say everything: no TAGS, STRICT, proxy or other setting from this shell.
    let mut invocation = Invocation::new(["--base-url", base_url])
        .env_clear()
        .args(profile_args(profile, &dir)?)
        .args(["--max-wait", if waits { "10s" } else { "0s" }])
        .json()
        .quiet();
    if let Some(tags) = tags {
        invocation = invocation.args(["--tags", tags]);
    }
    let out = invocation.try_output();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out?.into())
}

/// Starts `broken` (or the correct fake) and runs `jwt-conformance properties --only
/// <property>` against it.
pub async fn run_properties(
    broken: Option<Broken>,
    profile: Profile,
    property: &'static str,
) -> Result<Run, String> {
    let (base_url, _fake, _mock) = start(broken, profile).await?;
    tokio::task::spawn_blocking(move || {
        let dir = run_dir("broken-properties")?;
        let out = Invocation::new(["properties", "--base-url", &base_url])
            .env_clear()
            .args(profile_args(profile, &dir)?)
            .args([
                "--only", property, "--cases", "256", "--budget", "30s", "--seed", "7", "--quiet",
            ])
            .try_output();
        let _ = std::fs::remove_dir_all(&dir);
        Ok(out?.into())
    })
    .await
    .map_err(|e| format!("the run panicked: {e}"))?
}

/// A running broken target: its base URL and what keeps it alive.
type Started = (String, Option<fake::Running>, Option<wiremock::MockServer>);

async fn start(broken: Option<Broken>, profile: Profile) -> Result<Started, String> {
    let rotation = if profile == Profile::Blacklisting {
        Rotation::WithBlacklist
    } else {
        Rotation::Off
    };
    let signing = if profile == Profile::Rs256 {
        Signing::Rs256
    } else {
        Signing::Hs256
    };
    match broken {
        Some(Mock(m)) => {
            let server = mocks::start(m).await;
            Ok((server.uri(), None, Some(server)))
        }
        Some(Fake(d)) => {
            let f = fake::spawn(Some(d), rotation, signing)
                .await
                .map_err(|e| format!("the fake did not start: {e}"))?;
            Ok((f.base_url.clone(), Some(f), None))
        }
        None => {
            let f = fake::spawn(None, rotation, signing)
                .await
                .map_err(|e| format!("the fake did not start: {e}"))?;
            Ok((f.base_url.clone(), Some(f), None))
        }
    }
}

/// Starts `broken` and runs the suite against it.
pub async fn run_against(
    broken: Option<Broken>,
    profile: Profile,
    tags: Option<&'static str>,
) -> Result<Run, String> {
    // Capabilities whose scenarios wait a few seconds for real (`@waits` inside them).
    let waits = tags.is_none_or(|t| {
        ["@waits", "@issued", "@blacklist", "@boundary"]
            .iter()
            .any(|w| t.contains(w))
    });
    // Held until the run is over: dropping either stops the target.
    let (base_url, _fake, _mock) = start(broken, profile).await?;
    tokio::task::spawn_blocking(move || run_suite(&base_url, profile, tags, waits))
        .await
        .map_err(|e| format!("the run panicked: {e}"))?
}

/// The scenarios of the run's report with this verdict: (name, failure message).
pub fn with_verdict(report: &Value, verdict: &str) -> Vec<(String, String)> {
    let run = &report["runs"][0];
    let scenarios = run["scenarios"].as_array().cloned().unwrap_or_default();
    let verdicts = run["verdicts"].as_array().cloned().unwrap_or_default();
    scenarios
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| *v == verdict)
        .map(|(s, _)| {
            (
                s["scenario"].as_str().unwrap_or_default().to_string(),
                s["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// How the suite begins the failure of a check that holds for every response.
const INVARIANT: &str = "the response breaks a rule that holds for every response: ";

/// The contract rules by which `run` caught a defect: the rules of the `expected` scenarios
/// that failed, and the rule of any check that holds for every response that they broke.
pub fn rules_caught(run: &Run, expected: &[&str]) -> BTreeSet<String> {
    let run_report = &run.report["runs"][0];
    let scenarios = run_report["scenarios"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let verdicts = run_report["verdicts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut rules = BTreeSet::new();
    for (s, _) in scenarios.iter().zip(&verdicts).filter(|(s, v)| {
        *v == "failed" && expected.contains(&s["scenario"].as_str().unwrap_or_default())
    }) {
        let message = s["message"].as_str().unwrap_or_default();
        // A scenario that stumbled on a rule of every response caught the defect by that rule
        // too, besides its own.
        if let Some((_, rest)) = message.split_once(INVARIANT) {
            rules.extend(rest.split(':').next().map(str::to_string));
        }
        rules.extend(
            s["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["id"].as_str().map(str::to_string)),
        );
    }
    rules
}

/// Why `run` does not show `broken` caught by `expected`, if it does not.
pub fn caught(run: &Run, expected: &[&str]) -> Result<(), String> {
    if run.code != 1 {
        return Err(format!("the binary exited {}, not 1", run.code));
    }
    let failed = with_verdict(&run.report, "failed");
    if let Some((name, message)) = failed.iter().find(|(_, m)| m.contains("suite error")) {
        return Err(format!("{name:?} failed on a suite error: {message}"));
    }
    for name in expected {
        if !failed.iter().any(|(n, _)| n == name) {
            return Err(format!("{name:?} did not fail"));
        }
        // The console names the scenario, then the rule it checks on the next line.
        let marker = format!(" › {name}  [");
        let mut lines = run.stdout.lines();
        let named = lines.by_ref().any(|l| l.contains(&marker));
        let rule = lines.next().unwrap_or_default();
        let cited = rule.trim_start().strip_prefix("rule: ").is_some_and(|r| {
            r.split(' ').next().is_some_and(|id| {
                conformance::contract::contract().rule(id).is_some()
                    && r.contains(&conformance::contract::link(id))
            })
        });
        if !named || !cited {
            return Err(format!(
                "the console does not give the rule under {name:?} (next line: {rule:?})"
            ));
        }
    }
    Ok(())
}

/// The failed scenarios and the end of the console, for a failure message.
pub fn summary(run: &Run) -> String {
    let failed: Vec<String> = with_verdict(&run.report, "failed")
        .into_iter()
        .map(|(n, _)| format!("    {n}"))
        .collect();
    let tail: String = {
        let lines: Vec<&str> = run.stdout.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    format!(
        "  failed scenarios:\n{}\n  stderr: {}\n  stdout (tail):\n{tail}",
        failed.join("\n"),
        run.stderr.trim()
    )
}

/// One request on a fresh connection, `Connection: close`; the whole answer as text.
pub async fn raw(
    addr: &str,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: &str,
) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

pub fn body_of(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}
