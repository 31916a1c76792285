//! `jwt-conformance load`: a bounded HTTP load run against one endpoint of a target, reported as
//! requests per second and HDR latency percentiles, raw and corrected for coordinated omission.
//!
//! Three parts, kept apart as hatoo/oha does: [`run`] (here) prepares the target into a
//! [`Workload`] (`workload`: login, a pool of tokens, a resource to read); the request loop
//! (`client`: [`Connection`], [`drive`]) repeats it, and is what the criterion benches in
//! `benches/` reuse; the results (`report`: [`LoadReport`]) know nothing of sockets, and
//! `page` (with `chart`) renders them as one HTML page.
//!
//! Only the origin of the given base URL (or the bundled server on loopback) is ever contacted,
//! directly (proxy environment variables do not apply): redirects are not followed. https is
//! spoken with the run's TLS settings (`--cacert`, `--insecure`); `--header` fields go on
//! every request. Tokens and passwords never appear in any output.

mod chart;
mod client;
pub mod page;
mod report;
mod workload;

use std::fmt;
use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

pub use client::{Budget, Connection, Dial, Failure, Live, Reply, Tally, drive, histogram};
pub use report::{Check, Curve, Curves, Latency, LoadReport, Percentiles, Requests};
pub use workload::{Origin, Prepared, Workload, prepare};

use crate::bundled;
use crate::profile::{self, Profile};
use crate::target::{Account, NoEndpoint, path_of};
use crate::tls::Transport;

/// Which request a load run repeats; `--endpoint` takes the kebab-case names (`verify`,
/// `verify-v1`, `resource`, `obtain`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Endpoint {
    // POST the profile's verify path with a valid access token. (Plain comments: a doc
    // comment here would become the value's help, and change `--help`.)
    Verify,
    // POST `/api/v1/token/verify/` (the v1 layout's verify path) with a valid access token.
    VerifyV1,
    // GET one item of the profile's resource collection with a Bearer access token.
    Resource,
    // POST the account's credentials to the obtain path: a login, slow by design.
    Obtain,
}

impl Endpoint {
    /// The name `--endpoint` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Verify => "verify",
            Endpoint::VerifyV1 => "verify-v1",
            Endpoint::Resource => "resource",
            Endpoint::Obtain => "obtain",
        }
    }

    /// The path it goes to, of `profile` (the v1 layout's for `VerifyV1`).
    fn path(self, profile: &Profile) -> Result<String, NoEndpoint> {
        let (profile, endpoint) = match self {
            Endpoint::Verify => (profile, profile::Endpoint::Verify),
            Endpoint::VerifyV1 => (&Profile::v1(), profile::Endpoint::Verify),
            Endpoint::Resource => (profile, profile::Endpoint::Resources),
            Endpoint::Obtain => (profile, profile::Endpoint::Obtain),
        };
        path_of(profile, endpoint).map(str::to_string)
    }
}

/// Why a load run could not happen (exit code 2): each says, in one sentence, what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// An option out of its range, or options that do not go together.
    #[error("{0}")]
    Options(&'static str),
    /// `--connections` out of its range.
    #[error("--connections must be between 1 and {MAX_CONNECTIONS}")]
    Connections,
    /// The profile cannot be loaded.
    #[error(transparent)]
    Profile(#[from] crate::profile::ProfileError),
    /// The TLS settings are unusable.
    #[error(transparent)]
    Transport(#[from] crate::tls::SetupError),
    /// The bundled server did not start.
    #[error(transparent)]
    Bundled(#[from] bundled::StartError),
    /// The profile lacks the endpoint the run needs.
    #[error(transparent)]
    Endpoint(#[from] NoEndpoint),
    /// The login client cannot be built.
    #[error(transparent)]
    Client(#[from] crate::http::ClientError),
    /// The account does not log in (or the target cannot be reached).
    #[error(transparent)]
    Login(#[from] crate::target::LoginError),
    /// The base URL is unusable, or the target could not be reached or prepared (the login,
    /// the resource to read, the first request), or the request loop could not start.
    #[error("{0}")]
    Target(String),
}

impl From<String> for LoadError {
    fn from(sentence: String) -> Self {
        LoadError::Target(sentence)
    }
}

/// Longest run `--duration` allows.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Most connections `--connections` allows.
pub const MAX_CONNECTIONS: usize = 4096;

/// Everything a load run needs; the command line maps onto it one to one.
#[derive(Clone)]
pub struct Options {
    /// `None`: start the bundled reference server in-process, on loopback.
    pub base_url: Option<String>,
    /// `classic` (default), `v1` or a TOML profile: paths and login field.
    pub profile: Option<String>,
    /// The account that logs in for the token pool (required with `base_url`).
    pub login: Option<String>,
    pub password: Option<String>,
    pub endpoint: Endpoint,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// The run stops sending after this long.
    pub duration: Duration,
    /// Fixed arrival rate in requests per second (open model); `None`: closed model.
    pub rate: Option<f64>,
    /// The run stops after this many requests.
    pub max_requests: u64,
    /// Logins made before the run; each gives one access token of the pool.
    pub tokens: usize,
    /// Longest wait for one response; longer counts as a timeout.
    pub request_timeout: Duration,
    /// Fail (exit 1) when the corrected p99 is above this.
    pub max_p99: Option<Duration>,
    /// Fail (exit 1) when fewer 2xx responses per second came back.
    pub min_rps: Option<f64>,
    /// A progress line on stderr while it runs.
    pub progress: bool,
    /// TLS settings and `--header` fields; `None`: the platform's trust roots, no extra header.
    pub transport: Option<Transport>,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("base_url", &self.base_url)
            .field("profile", &self.profile)
            .field("login", &self.login)
            .field("endpoint", &self.endpoint)
            .field("connections", &self.connections)
            .field("duration", &self.duration)
            .field("rate", &self.rate)
            .field("max_requests", &self.max_requests)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Defaults for everything but the endpoint: the bundled server, 64 connections, 10 s.
    pub fn new(endpoint: Endpoint) -> Options {
        Options {
            base_url: None,
            profile: None,
            login: None,
            password: None,
            endpoint,
            connections: 64,
            duration: Duration::from_secs(10),
            rate: None,
            max_requests: 10_000_000,
            tokens: 4,
            request_timeout: Duration::from_secs(10),
            max_p99: None,
            min_rps: None,
            progress: false,
            transport: None,
        }
    }

    fn check(&self) -> Result<(), LoadError> {
        if self.connections == 0 || self.connections > MAX_CONNECTIONS {
            return Err(LoadError::Connections);
        }
        if self.duration.is_zero() || self.duration > MAX_DURATION {
            return Err(LoadError::Options(
                "--duration must be more than 0 s and at most 1 h",
            ));
        }
        if self.max_requests == 0 {
            return Err(LoadError::Options("--max-requests must be at least 1"));
        }
        if self.tokens == 0 || self.tokens > 256 {
            return Err(LoadError::Options("--tokens must be between 1 and 256"));
        }
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(LoadError::Options(
                "--rate must be a positive number of requests per second",
            ));
        }
        if let Some(rps) = self.min_rps
            && !(rps.is_finite() && rps >= 0.0)
        {
            return Err(LoadError::Options(
                "--min-rps must be a non-negative number",
            ));
        }
        if self.base_url.is_none() && (self.login.is_some() || self.password.is_some()) {
            return Err(LoadError::Options(
                "--login and --password describe a server you run: give its --base-url too \
                 (without --base-url the load runs against the bundled reference server)",
            ));
        }
        Ok(())
    }
}

/// Runs one load: prepares the target, drives it until the duration or the request count is
/// spent, and reports. An `Err` means the run could not happen (exit code 2).
pub async fn run(options: Options) -> Result<LoadReport, LoadError> {
    options.check()?;
    let profile = Profile::load(options.profile.as_deref().unwrap_or("classic"))?;
    let transport = match &options.transport {
        Some(t) => t.clone(),
        None => Transport::plain()?,
    };
    let (origin, account, server) = match &options.base_url {
        Some(url) => {
            let origin = Origin::resolve(url, &transport).await?;
            let (Some(login), Some(password)) = (options.login.clone(), options.password.clone())
            else {
                return Err(LoadError::Options(
                    "--login and --password (or LOGIN and PASSWORD) are needed: the load run logs in for its tokens",
                ));
            };
            (origin, Account { login, password }, None)
        }
        None => {
            let (server, account) = bundled::start_for_load(&profile).await?;
            let origin = Origin::resolve(&bundled::base_url(&server), &transport).await?;
            if options.progress {
                eprintln!(
                    "no --base-url: loading the bundled reference server, started in-process at {}",
                    origin.base_url
                );
            }
            (origin, account, Some(server))
        }
    };
    let prepared = prepare(
        &origin,
        &profile,
        &account,
        options.endpoint,
        options.tokens,
        options.request_timeout,
    )
    .await?;
    let connections = Connection::dial_many(&origin.dial(), options.connections)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", origin.base_url))?;

    let live = Arc::new(Live::default());
    let start = Instant::now();
    let budget = Budget {
        max_requests: options.max_requests,
        deadline: Some(start + options.duration),
        rate: options.rate,
        request_timeout: options.request_timeout,
    };
    let progress = options
        .progress
        .then(|| tokio::spawn(progress_line(live.clone(), start, options.duration)));
    let (_connections, tally) = drive(connections, &prepared.workload, budget, live).await?;
    if let Some(progress) = progress {
        progress.abort();
        let _ = progress.await;
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
    }
    prepared.cleanup(&origin, options.request_timeout).await;
    drop(server);
    Ok(LoadReport::new(
        &options,
        &origin,
        &prepared.workload,
        &tally,
    ))
}

/// `\r`-rewritten on a terminal, one line a second otherwise.
async fn progress_line(live: Arc<Live>, start: Instant, duration: Duration) {
    let terminal = std::io::stderr().is_terminal();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.tick().await;
    let mut last = 0;
    loop {
        ticks.tick().await;
        let done = live.done.load(Ordering::Relaxed);
        let failed = live.failed.load(Ordering::Relaxed);
        let line = format!(
            "{:>6.1}/{:.0} s  {done} requests  {} req/s  {failed} failed",
            start.elapsed().as_secs_f64(),
            duration.as_secs_f64(),
            done - last,
        );
        last = done;
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r{line}   ")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_by_name() {
        use clap::ValueEnum as _;
        for e in Endpoint::value_variants() {
            let name = e.name();
            assert_eq!(Endpoint::from_str(name, false), Ok(*e));
        }
        assert!(Endpoint::from_str("verifyy", false).is_err());
    }

    #[test]
    fn options_are_checked() {
        let mut o = Options::new(Endpoint::Verify);
        assert!(o.check().is_ok());
        o.rate = Some(0.0);
        assert!(o.check().is_err());
        o.rate = None;
        o.connections = 0;
        assert!(o.check().is_err());
        o.connections = 1;
        o.login = Some("alice".into());
        assert!(o.check().unwrap_err().to_string().contains("--base-url"));
    }
}
