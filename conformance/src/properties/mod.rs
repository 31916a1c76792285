//! Property tests against any target (`jwt-conformance properties`): proptest generates
//! inputs, the target answers over HTTP, and a counterexample is shrunk to the smallest input
//! that breaks the property, then shown redacted with a curl command that replays it.
//!
//! 1. `tokens`: a mutated token is never accepted (unless it is byte-for-byte the same token).
//! 2. `bodies`: generated request bodies get a 4xx with a JSON body of the spec's shape (or a
//!    2xx exactly when the body is valid), never a 5xx, a hang or a dropped connection.
//! 3. `resources`: random CRUD sequences agree with an in-memory model; nothing acknowledged
//!    is lost.

mod bodies;
mod resources;
mod tokens;

use std::{
    fmt::Write as _,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use proptest::{
    strategy::Strategy,
    test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner},
};
use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::{
    http::{Exchange, Request, Response},
    profile::Endpoint,
    target::Target,
};

/// How the properties run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Generated cases per property.
    pub cases: u32,
    /// Wall-time budget per property; cases beyond it are not run.
    pub budget: Duration,
    /// Only these properties (empty: all).
    pub only: Vec<String>,
    /// Generator seed; random when absent (and printed, for replay).
    pub seed: Option<u64>,
    /// Progress on stderr.
    pub progress: bool,
}

/// What became of one property.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// No generated case broke it.
    Held,
    /// A case broke it; the shrunk counterexample, rendered.
    Falsified(String),
    /// It could not run here.
    Skipped(String),
}

/// One property's result.
#[derive(Debug, Clone)]
pub struct PropertyResult {
    /// `tokens`, `bodies` or `resources`.
    pub name: &'static str,
    /// What it claims.
    pub claim: &'static str,
    /// Generated cases actually sent.
    pub cases_run: u32,
    /// Further cases sent while shrinking a failure.
    pub shrink_steps: u32,
    /// Cases asked for.
    pub cases_planned: u32,
    /// Whether the budget cut the run short.
    pub budget_hit: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Wall time.
    pub duration: Duration,
}

/// All properties against one target.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Base URL.
    pub target: String,
    /// Profile name.
    pub profile: String,
    /// The seed used.
    pub seed: u64,
    /// Per property.
    pub results: Vec<PropertyResult>,
}

impl Outcome {
    /// True when no property was falsified.
    pub fn all_hold(&self) -> bool {
        !self
            .results
            .iter()
            .any(|r| matches!(r.verdict, Verdict::Falsified(_)))
    }

    /// The report for the console.
    pub fn console(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            let budget = if r.budget_hit { ", budget reached" } else { "" };
            let shrunk = if r.shrink_steps > 0 {
                format!(" (+{} while shrinking)", r.shrink_steps)
            } else {
                String::new()
            };
            let head = format!(
                "{:<10} {} cases of {}{shrunk}{budget} in {:.1} s",
                r.name,
                r.cases_run,
                r.cases_planned,
                r.duration.as_secs_f64()
            );
            match &r.verdict {
                Verdict::Held => {
                    let _ = writeln!(out, "  ✓ {head}: holds — {}", r.claim);
                }
                Verdict::Skipped(why) => {
                    let _ = writeln!(out, "  - {:<10} skipped: {why}", r.name);
                }
                Verdict::Falsified(example) => {
                    let _ = writeln!(out, "  ✗ {head}: FALSIFIED — {}", r.claim);
                    for line in example.lines() {
                        let _ = writeln!(out, "      {line}");
                    }
                }
            }
        }
        let verdict = if self.all_hold() {
            "ALL PROPERTIES HOLD"
        } else {
            "A PROPERTY IS FALSIFIED"
        };
        let _ = writeln!(
            out,
            "\n{verdict}: {} with profile {} (seed {}; repeat with --seed {})",
            self.target, self.profile, self.seed, self.seed
        );
        out
    }
}

/// Why the properties could not run (exit code 2): the genuine access token is not accepted
/// where they send tokens, or the account cannot log in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot start the property tests: {0}")]
pub struct CannotStart(pub String);

/// Runs the selected properties against `target`.
pub async fn run(target: Arc<Target>, opts: Options) -> Result<Outcome, CannotStart> {
    let seed = opts.seed.unwrap_or_else(rand::random);
    let session = Arc::new(Session::new(target.clone()));
    // The genuine token must work, or refusals of mutated ones prove nothing.
    session.control().await.map_err(CannotStart)?;
    let wanted = |name: &str| opts.only.is_empty() || opts.only.iter().any(|o| o == name);
    let mut results = Vec::new();
    if wanted("tokens") {
        results.push(tokens::check(session.clone(), &opts, seed).await);
    }
    if wanted("bodies") {
        results.push(bodies::check(session.clone(), &opts, seed.wrapping_add(1)).await);
    }
    if wanted("resources") {
        results.push(resources::check(session.clone(), &opts, seed.wrapping_add(2)).await);
    }
    Ok(Outcome {
        target: target.base_url.clone(),
        profile: target.profile.name.clone(),
        seed,
        results,
    })
}

/// The target, a valid token pair kept fresh, and a way to send requests from proptest's
/// (synchronous) test closures.
#[derive(Debug)]
pub struct Session {
    /// The target.
    pub t: Arc<Target>,
    pair: Mutex<Option<(String, String, SystemTime)>>,
}

impl Session {
    fn new(t: Arc<Target>) -> Self {
        Session {
            t,
            pair: Mutex::new(None),
        }
    }

    /// A valid access token with at least a second and a half left.
    pub async fn access(&self) -> Result<String, String> {
        if let Some((a, _, at)) = self.pair.lock().ok().and_then(|p| p.clone()) {
            let left = crate::jwt::lifetime(&a)
                .and_then(|l| (at + l).duration_since(SystemTime::now()).ok())
                .unwrap_or_default();
            if left > Duration::from_millis(1500) {
                return Ok(a);
            }
        }
        let (a, r) = self.login().await?;
        if let Ok(mut p) = self.pair.lock() {
            *p = Some((a.clone(), r, SystemTime::now()));
        }
        Ok(a)
    }

    async fn login(&self) -> Result<(String, String), String> {
        let ex = self
            .exchange(self.t.login().map_err(|e| e.to_string())?)
            .await;
        let resp = ex.response().map_err(|e| e.to_string())?;
        let j = resp.json().unwrap_or(Value::Null);
        match (
            resp.status,
            j.get("access").and_then(Value::as_str),
            j.get("refresh").and_then(Value::as_str),
        ) {
            (200, Some(a), Some(r)) => Ok((a.to_string(), r.to_string())),
            (s, _, _) => Err(format!("logging in answered {s}, not a token pair")),
        }
    }

    /// Checks the genuine access token is accepted where the properties will send tokens.
    pub async fn control(&self) -> Result<(), String> {
        let token = self.access().await?;
        let ex = self.token_probe(&token).await?;
        match ex.response() {
            Ok(r) if (200..300).contains(&r.status) => Ok(()),
            Ok(r) => Err(format!(
                "the genuine access token is refused ({}), so refusals would prove nothing",
                r.status
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends a token where tokens are checked: the protected endpoint, else verify.
    pub async fn token_probe(&self, token: &str) -> Result<Exchange, String> {
        let t = &self.t;
        let request = if let Ok(url) = t.endpoint_url(Endpoint::Protected) {
            self.authed("GET", url, token)
        } else if let Ok(verify) = t.post(Endpoint::Verify) {
            verify.json(&json!({ "token": token }))
        } else {
            return Err("the profile has neither a protected nor a verify endpoint".into());
        };
        Ok(self.exchange(request).await)
    }

    /// A request authenticated with `token`, in the profile's header and scheme.
    pub fn authed(&self, method: &str, url: impl Into<String>, token: &str) -> Request {
        Request::new(method, url).bearer(&self.t.profile.wire, token)
    }

    /// Sends a request (with the run's `--header` fields).
    pub async fn exchange(&self, request: Request) -> Exchange {
        self.t.client.send(request).await
    }

    /// The exchange rendered for a counterexample.
    pub fn render(&self, ex: &Exchange) -> String {
        ex.render(&self.t.redactor)
    }
}

/// The response, or the rule a missing response breaks.
pub fn answered(ex: &Exchange) -> Result<&Response, String> {
    ex.response()
        .map_err(|e| format!("HTTP-14: no hang and no dropped connection, yet: {e}"))
}

/// Runs one property with proptest, in a blocking thread, within the budget.
pub(crate) async fn check_property<S, F>(
    name: &'static str,
    claim: &'static str,
    opts: &Options,
    seed: u64,
    strategy: impl FnOnce() -> S + Send + 'static,
    test: F,
) -> PropertyResult
where
    S: Strategy,
    S::Value: std::fmt::Debug,
    F: Fn(&Handle, &S::Value) -> Result<(), String> + Send + 'static,
{
    let handle = Handle::current();
    let (cases, budget, progress) = (opts.cases, opts.budget, opts.progress);
    let started = Instant::now();
    let run = tokio::task::spawn_blocking(move || {
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 512,
            max_shrink_time: 60_000,
            ..Config::default()
        };
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let sent = AtomicU32::new(0);
        let shrinking = AtomicU32::new(0);
        let failing = AtomicBool::new(false);
        let budget_hit = AtomicBool::new(false);
        // Strategies are not `Send`: build it on the thread that runs it.
        let strategy = strategy();
        let result = runner.run(&strategy, |value| {
            // Past the budget, remaining cases are not run (and the report says so); a
            // failure already found is still shrunk.
            if !failing.load(Ordering::Relaxed) && started.elapsed() > budget {
                budget_hit.store(true, Ordering::Relaxed);
                return Ok(());
            }
            if failing.load(Ordering::Relaxed) {
                shrinking.fetch_add(1, Ordering::Relaxed);
            } else {
                let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
                if progress && n.is_multiple_of(100) {
                    eprintln!("  {name}: {n} cases…");
                }
            }
            test(&handle, &value).map_err(|msg| {
                failing.store(true, Ordering::Relaxed);
                TestCaseError::fail(msg)
            })
        });
        let verdict = match result {
            Ok(()) => Verdict::Held,
            Err(TestError::Fail(reason, value)) => Verdict::Falsified(format!(
                "smallest failing input: {value:?}\n{}",
                reason.message()
            )),
            Err(TestError::Abort(reason)) => {
                Verdict::Skipped(format!("proptest gave up: {}", reason.message()))
            }
        };
        (
            sent.load(Ordering::Relaxed),
            shrinking.load(Ordering::Relaxed),
            budget_hit.load(Ordering::Relaxed),
            verdict,
        )
    })
    .await;
    let (cases_run, shrink_steps, budget_hit, verdict) = run.unwrap_or_else(|e| {
        (
            0,
            0,
            false,
            Verdict::Falsified(format!("the property test itself crashed: {e}")),
        )
    });
    PropertyResult {
        name,
        claim,
        cases_run,
        shrink_steps,
        cases_planned: cases,
        budget_hit,
        verdict,
        duration: started.elapsed(),
    }
}

/// A skipped property's result.
pub(crate) fn skipped(name: &'static str, claim: &'static str, why: String) -> PropertyResult {
    PropertyResult {
        name,
        claim,
        cases_run: 0,
        shrink_steps: 0,
        cases_planned: 0,
        budget_hit: false,
        verdict: Verdict::Skipped(why),
        duration: Duration::ZERO,
    }
}
