//! The command line. Every option has an environment variable of the same meaning, so a CI
//! job can configure the suite either way; these names are a public interface.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Checks a JWT login API (DRF + simplejwt style) against its contract (CONTRACT.md) and says where it differs.
///
/// Without --base-url it starts the bundled reference server in-process and checks that.
/// Exit codes: 0 conforms, 1 a MUST failed, 2 the run could not happen (arguments, target).
#[derive(Debug, Parser)]
#[command(
    name = "jwt-conformance",
    version = conformance::contract::LONG_VERSION,
    about,
    max_term_width = 100,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Something other than the conformance run.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The conformance run (the default).
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Property tests (proptest) against the target: mutated tokens, generated bodies, CRUD sequences
    Properties(PropertiesArgs),
    /// Load test one endpoint: requests per second and HDR latency percentiles (raw and corrected for coordinated omission)
    Load(LoadArgs),
    /// Print a shell completion script (e.g. `jwt-conformance completions bash > /etc/bash_completion.d/jwt-conformance`)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `jwt-conformance man > jwt-conformance.1`
    Man,
}

/// Which server to check, and what the suite is told about it.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Base URL of the API under test, e.g. http://127.0.0.1:8000 [default: the bundled reference server]
    #[arg(long, env = "BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// `classic`, `v1`, or a TOML profile file [default: classic; both built-ins for the bundled server]
    #[arg(long, env = "PROFILE", value_name = "classic|v1|PATH.toml")]
    pub profile: Option<String>,

    /// Login (username or email, as the profile's login field says) of an existing active account
    #[arg(long, env = "LOGIN")]
    pub login: Option<String>,

    /// Password of that account
    #[arg(long, env = "PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Login of an existing inactive account (for the inactive-user rows)
    #[arg(long, env = "INACTIVE_LOGIN")]
    pub inactive_login: Option<String>,

    /// Password of the inactive account
    #[arg(long, env = "INACTIVE_PASSWORD", hide_env_values = true)]
    pub inactive_password: Option<String>,

    /// The inactive account's user_id claim (for forging its tokens with --signing-key)
    #[arg(long, env = "INACTIVE_USER_ID")]
    pub inactive_user_id: Option<String>,

    /// The server's HMAC signing key (HS256, or the profile's HS384/HS512): enables the scenarios that forge tokens
    #[arg(long, env = "SIGNING_KEY", hide_env_values = true)]
    pub signing_key: Option<String>,

    /// PEM file of the server's private key, for a profile declaring RS256, ES256 or EdDSA: enables the scenarios that forge tokens
    #[arg(
        long,
        env = "SIGNING_KEY_FILE",
        value_name = "FILE",
        conflicts_with = "signing_key"
    )]
    pub signing_key_file: Option<PathBuf>,

    /// PEM file of the server's public key (RS256, ES256, EdDSA): its tokens are checked against it, and the algorithm-confusion scenarios run
    #[arg(long, env = "VERIFYING_KEY_FILE", value_name = "FILE")]
    pub verifying_key_file: Option<PathBuf>,

    /// Longest wait for a token to expire; longer waits skip their scenario
    #[arg(long, env = "MAX_WAIT", default_value = "15s", value_parser = duration)]
    pub max_wait: std::time::Duration,

    /// Longest wait for one response; longer counts as a hang
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "10s", value_parser = duration)]
    pub request_timeout: std::time::Duration,

    /// PEM file of CA certificates trusted besides the platform's, for an https:// target
    #[arg(long, env = "CACERT", value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Accept any TLS certificate (self-signed, expired, another host's); every report says so
    #[arg(long, env = "INSECURE")]
    pub insecure: bool,

    /// A header field sent with every request, e.g. 'X-Api-Key: …' (repeatable; in EXTRA_HEADERS, one per line)
    #[arg(
        long = "header",
        short = 'H',
        env = "EXTRA_HEADERS",
        value_name = "NAME: VALUE",
        value_delimiter = '\n',
        hide_env_values = true
    )]
    pub headers: Vec<String>,

    /// No progress output on stderr
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl TargetArgs {
    /// How the target is reached: TLS settings and extra headers.
    pub fn transport(&self) -> conformance::tls::TransportOptions {
        conformance::tls::TransportOptions {
            cacert: self.cacert.clone(),
            insecure: self.insecure,
            headers: self.headers.clone(),
        }
    }
}

/// Options of a conformance run.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The target.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Cucumber tag expression selecting scenarios, e.g. '@must and not @waits'
    #[arg(long, short = 't', env = "TAGS", value_name = "EXPR")]
    pub tags: Option<String>,

    /// Run only scenarios whose name matches this regex
    #[arg(long, short = 'n', value_name = "REGEX")]
    pub name: Option<String>,

    /// Treat SHOULD failures as failures
    #[arg(long, env = "STRICT")]
    pub strict: bool,

    /// TOML file of scenarios expected to fail, each with a reason
    #[arg(long, env = "KNOWN_FAILURES", value_name = "FILE")]
    pub known_failures: Option<PathBuf>,

    /// Write a JUnit XML report
    #[arg(long, env = "JUNIT_REPORT", value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write a JSON report
    #[arg(long, env = "JSON_REPORT", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write an HTML report: one self-contained page to open in a browser
    #[arg(long, env = "HTML_REPORT", value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Scenarios in flight at once
    #[arg(long, env = "CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Read feature files from this directory instead of the built-in ones
    #[arg(long, env = "FEATURES_DIR", value_name = "DIR")]
    pub features_dir: Option<PathBuf>,

    /// Show known failures in full and list every scenario's verdict
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

/// Options of the property tests.
#[derive(Debug, Clone, Args)]
pub struct PropertiesArgs {
    /// The target.
    #[command(flatten)]
    pub target: TargetArgs,

    /// Generated cases per property
    #[arg(long, env = "PROPERTY_CASES", default_value_t = 256)]
    pub cases: u32,

    /// Wall-time budget per property (cases beyond it are not run, and say so)
    #[arg(long, env = "PROPERTY_BUDGET", default_value = "20s", value_parser = duration)]
    pub budget: std::time::Duration,

    /// Only these properties (tokens, bodies, resources); all by default
    #[arg(long, value_delimiter = ',', value_parser = ["tokens", "bodies", "resources"])]
    pub only: Vec<String>,

    /// Seed for the generator (a run is repeatable with the same seed and target)
    #[arg(long, env = "PROPERTY_SEED")]
    pub seed: Option<u64>,
}

/// Options of a load run.
///
/// Exit codes: 0 every threshold held (or none was given), 1 --max-p99 or --min-rps missed,
/// 2 the run could not happen (arguments, unreachable target, failed login).
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// The target (without --base-url: the bundled reference server, in-process).
    #[command(flatten)]
    pub target: TargetArgs,

    /// What to load: verify (the profile's verify path), verify-v1 (/api/v1/token/verify/), resource (GET one item of the profile's resources), obtain (login: slow by design, password hashing)
    #[arg(
        long,
        short = 'e',
        env = "LOAD_ENDPOINT",
        default_value = "verify",
        value_enum
    )]
    pub endpoint: conformance::load::Endpoint,

    /// Concurrent keep-alive connections
    #[arg(long, short = 'c', env = "LOAD_CONNECTIONS", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub connections: u16,

    /// How long to send requests (at most 1h)
    #[arg(long, short = 'd', env = "LOAD_DURATION", default_value = "10s", value_parser = duration)]
    pub duration: std::time::Duration,

    /// Fixed arrival rate in requests per second (open model: latency is then measured from each request's due time) [default: closed model, as fast as answers come]
    #[arg(long, env = "LOAD_RATE", value_name = "R", value_parser = positive)]
    pub rate: Option<f64>,

    /// Stop after this many requests, even before --duration
    #[arg(long, env = "LOAD_MAX_REQUESTS", default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: u64,

    /// Logins made before the run; each gives one access token of the pool the requests take turns with
    #[arg(long, env = "LOAD_TOKENS", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub tokens: u16,

    /// Write the report as JSON
    #[arg(long, env = "LOAD_JSON", value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write the report as one self-contained HTML page: the latency percentile curve (raw and corrected) and responses per second over the run
    #[arg(long, env = "LOAD_HTML", value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Exit 1 when the p99 latency (corrected for coordinated omission) is above this, e.g. 20ms
    #[arg(long, env = "LOAD_MAX_P99", value_name = "DURATION", value_parser = duration)]
    pub max_p99: Option<std::time::Duration>,

    /// Exit 1 when fewer 2xx responses per second came back
    #[arg(long, env = "LOAD_MIN_RPS", value_name = "N", value_parser = non_negative)]
    pub min_rps: Option<f64>,
}

fn positive(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number")),
    }
}

fn non_negative(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a non-negative number")),
    }
}

fn duration(s: &str) -> Result<std::time::Duration, String> {
    conformance::profile::parse_duration(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "jwt-conformance",
            "--base-url",
            "http://127.0.0.1:8000",
            "--profile",
            "v1",
            "--max-wait",
            "1m",
            "--tags",
            "@must",
        ])
        .expect("parses");
        assert_eq!(cli.run.target.max_wait, std::time::Duration::from_secs(60));
        assert_eq!(cli.run.target.profile.as_deref(), Some("v1"));
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from([
            "jwt-conformance",
            "--insecure",
            "--cacert",
            "ca.pem",
            "--header",
            "X-A: 1",
            "-H",
            "X-B: 2",
        ])
        .expect("parses");
        assert!(cli.run.target.insecure);
        assert_eq!(cli.run.target.headers, vec!["X-A: 1", "X-B: 2"]);
        assert_eq!(
            cli.run.target.cacert.as_deref(),
            Some(std::path::Path::new("ca.pem"))
        );
        assert!(Cli::try_parse_from(["jwt-conformance", "--max-wait", "soon"]).is_err());
        let cli = Cli::try_parse_from([
            "jwt-conformance",
            "--signing-key-file",
            "private.pem",
            "--verifying-key-file",
            "public.pem",
        ])
        .expect("parses");
        assert_eq!(
            cli.run.target.verifying_key_file.as_deref(),
            Some(std::path::Path::new("public.pem"))
        );
        assert!(
            Cli::try_parse_from([
                "jwt-conformance",
                "--signing-key",
                "k",
                "--signing-key-file",
                "private.pem"
            ])
            .is_err()
        );
        assert!(Cli::try_parse_from(["jwt-conformance", "--concurrency", "0"]).is_err());
        let p = Cli::try_parse_from([
            "jwt-conformance",
            "properties",
            "--cases",
            "10",
            "--only",
            "tokens,bodies",
        ])
        .expect("parses");
        let Some(Command::Properties(p)) = p.command else {
            panic!("properties subcommand")
        };
        assert_eq!(p.cases, 10);
        assert_eq!(p.only, vec!["tokens", "bodies"]);
    }
}
