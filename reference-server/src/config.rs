//! Server configuration: the `Config` value, the clap command line that produces it, and its checks.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};

use crate::keys::{Algorithm, KeyError, Signer};
pub use crate::log_format::Style;
use crate::tokens::ClaimNames;

/// The fixed signing key of [`Config::for_tests`], so tests can forge tokens.
const TEST_SIGNING_KEY: &str = "test-signing-key-0123456789abcdef0123456789abcdef";

/// RFC 7518 §3.2: an HS256 key of at least the hash output size.
pub const MIN_SIGNING_KEY_BYTES: usize = 32;

/// Everything the server needs to start. Build it from the command line with
/// [`Config::parse_from`] or in code with [`Config::for_tests`] and plain field assignment.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// The algorithm every token is signed and checked with.
    pub algorithm: Algorithm,
    /// HMAC secret (HS256, HS384, HS512); `None` generates a random 256-bit key at start.
    pub signing_key: Option<String>,
    /// PEM private key for RS256, ES256 and EdDSA.
    pub private_key_file: Option<PathBuf>,
    /// PEM public key, checked against the private key when given.
    pub public_key_file: Option<PathBuf>,
    /// The names of the user, type and id claims (simplejwt's `USER_ID_CLAIM`, ...).
    pub claim_names: ClaimNames,
    /// Schemes accepted in the auth header; the first is the one of the 401 challenge.
    pub auth_header_types: Vec<String>,
    /// The header a token is read from.
    pub auth_header_name: String,
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// Tolerance on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// Accounts in id order: the first gets id 1.
    pub users: Vec<UserSpec>,
    pub rotate_refresh_tokens: bool,
    /// Only has an effect together with `rotate_refresh_tokens`.
    pub blacklist_after_rotation: bool,
    pub max_body_bytes: u64,
    /// Password checks (argon2, about 19 MiB each) running at once.
    pub max_concurrent_logins: usize,
    /// Logins waiting for a check slot; past them a login gets 503 at once.
    pub login_queue: usize,
    /// From the first byte of a request to the end of its headers.
    pub header_read_timeout: Duration,
    /// Between requests on a kept-alive connection.
    pub idle_timeout: Duration,
    /// For a whole request body to arrive (408 past it).
    pub body_read_timeout: Duration,
    /// A response write that makes no progress for this long ends the connection.
    pub write_timeout: Duration,
    /// After SIGINT/SIGTERM, how long open requests may take before connections are closed.
    pub shutdown_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Serve cleartext HTTP/2 (prior knowledge) besides HTTP/1.1.
    pub http2: bool,
    // Development backend: CORS and the log's line format (issue 14).
    /// Origins (`scheme://host[:port]`, lower case) whose browser requests get CORS headers;
    /// empty: CORS is off.
    pub cors_origins: Vec<String>,
    /// The log's lines: text, or one JSON object per line.
    pub log_style: Style,
}

/// One account as configured: `USERNAME:EMAIL:PASSWORD[:inactive]`.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub username: String,
    pub email: String,
    pub password: String,
    pub active: bool,
}

/// Why a configuration was refused. Every variant means exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// clap's own error (also `--help` and `--version`, which are not failures).
    #[error(transparent)]
    Cli(#[from] clap::Error),
    #[error("--signing-key must not be empty")]
    EmptySigningKey,
    #[error("--access-lifetime must be at least one second")]
    AccessLifetimeTooShort,
    #[error(
        "--refresh-lifetime ({refresh}) must be longer than --access-lifetime ({access})",
        refresh = humantime::format_duration(*.refresh),
        access = humantime::format_duration(*.access)
    )]
    RefreshNotLonger { access: Duration, refresh: Duration },
    #[error("--max-body-bytes must be at least 1")]
    ZeroBodyLimit,
    #[error("--max-concurrent-logins must be at least 1")]
    ZeroLoginLimit,
    #[error("--max-connections must be at least 1")]
    ZeroConnectionLimit,
    #[error("--{0} must be longer than zero")]
    ZeroTimeout(&'static str),
    #[error(
        "--signing-key must be at least {min} bytes for {algorithm} (RFC 7518 §3.2: an HMAC key as long as the hash output); this one has {length}"
    )]
    ShortSigningKey {
        algorithm: Algorithm,
        length: usize,
        min: usize,
    },
    #[error(
        "--user number {position}: expected USERNAME:EMAIL:PASSWORD[:inactive] with all three non-empty"
    )]
    MalformedUser { position: usize },
    #[error("--user: username {0:?} is given twice")]
    DuplicateUsername(String),
    #[error("--user: email {0:?} is given twice")]
    DuplicateEmail(String),
    #[error(
        "--cors-origin {0:?} is not an origin: expected scheme://host[:port] (http or https, no path), e.g. http://127.0.0.1:5500"
    )]
    BadOrigin(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{0}")]
    WireName(String),
}

impl ConfigError {
    /// The process exit code for this error (clap decides for its own; ours are all 2).
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Cli(err) => err.exit_code(),
            _ => 2,
        }
    }
}

/// Reference server for the JWT login API (classic and simplejwt dialects, one user store).
#[derive(Debug, Parser)]
#[command(name = "reference-server", version, about, long_about = None)]
struct Cli {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    bind: SocketAddr,

    /// Signing algorithm: HS256, HS384, HS512 (with --signing-key), RS256, ES256, EdDSA (with --private-key-file).
    #[arg(long, env = "ALGORITHM", default_value = "HS256", value_parser = parse_algorithm)]
    algorithm: Algorithm,

    /// HMAC signing key (HS256, HS384, HS512). When absent a random 256-bit key is generated at start.
    #[arg(long, env = "SIGNING_KEY", hide_env_values = true)]
    signing_key: Option<String>,

    /// PEM file of the private key for RS256, ES256 or EdDSA (PKCS#8, or PKCS#1 for RSA).
    #[arg(long, env = "PRIVATE_KEY_FILE", value_name = "FILE")]
    private_key_file: Option<PathBuf>,

    /// PEM file of the public key; the server refuses to start if it is not the private key's.
    #[arg(long, env = "PUBLIC_KEY_FILE", value_name = "FILE")]
    public_key_file: Option<PathBuf>,

    /// The claim naming the user (simplejwt's USER_ID_CLAIM).
    #[arg(long, env = "USER_ID_CLAIM", default_value = "user_id")]
    user_id_claim: String,

    /// The claim naming the token's type (TOKEN_TYPE_CLAIM).
    #[arg(long, env = "TOKEN_TYPE_CLAIM", default_value = "token_type")]
    token_type_claim: String,

    /// The claim holding the token's id (JTI_CLAIM).
    #[arg(long, env = "JTI_CLAIM", default_value = "jti")]
    jti_claim: String,

    /// Accepted schemes of the auth header, comma-separated (AUTH_HEADER_TYPES); the first is the 401 challenge's.
    #[arg(
        long,
        env = "AUTH_HEADER_TYPES",
        default_value = "Bearer",
        value_delimiter = ','
    )]
    auth_header_types: Vec<String>,

    /// The header a token is read from (AUTH_HEADER_NAME, as an HTTP header name).
    #[arg(long, env = "AUTH_HEADER_NAME", default_value = "Authorization")]
    auth_header_name: String,

    /// Access token lifetime (`300`, `90s`, `5m`, `1h`).
    #[arg(long, env = "ACCESS_TOKEN_LIFETIME", default_value = "5m", value_parser = parse_duration)]
    access_lifetime: Duration,

    /// Refresh token lifetime; must be longer than the access lifetime.
    #[arg(long, env = "REFRESH_TOKEN_LIFETIME", default_value = "1d", value_parser = parse_duration)]
    refresh_lifetime: Duration,

    /// Clock tolerance when checking exp, nbf and iat.
    #[arg(long, env = "LEEWAY", default_value = "0s", value_parser = parse_duration)]
    leeway: Duration,

    /// An account, repeatable; the password may contain ':'. The env var takes a comma-separated
    /// list. Without any, the demo account demo / demo@example.com / demo-password exists.
    #[arg(
        long = "user",
        env = "USERS",
        value_name = "USERNAME:EMAIL:PASSWORD[:inactive]",
        hide_env_values = true
    )]
    users: Vec<String>,

    /// Refresh returns a new refresh token too.
    #[arg(long, env = "ROTATE_REFRESH_TOKENS", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new())]
    rotate_refresh_tokens: bool,

    /// With rotation, a refresh token that was rotated away is refused afterwards.
    #[arg(long, env = "BLACKLIST_AFTER_ROTATION", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new())]
    blacklist_after_rotation: bool,

    /// Largest accepted request body, in bytes (413 above it).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576)]
    max_body_bytes: u64,

    /// Password checks run at once (each holds about 19 MiB of argon2 memory). Default: the
    /// number of CPU cores.
    #[arg(long, env = "MAX_CONCURRENT_LOGINS", default_value_t = default_login_limit())]
    max_concurrent_logins: usize,

    /// Logins allowed to wait for a free check; beyond them a login gets 503 with Retry-After.
    #[arg(long, env = "LOGIN_QUEUE", default_value_t = 32)]
    login_queue: usize,

    /// Time from the first byte of a request to the end of its headers; slower connections
    /// are closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    header_read_timeout: Duration,

    /// Time a kept-alive connection may wait for its next request.
    #[arg(long, env = "IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    idle_timeout: Duration,

    /// Time for a whole request body to arrive (408 past it).
    #[arg(long, env = "BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    body_read_timeout: Duration,

    /// A response write that makes no progress for this long closes the connection.
    #[arg(long, env = "WRITE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    write_timeout: Duration,

    /// After SIGINT/SIGTERM: time open requests get to finish before every connection is
    /// closed and the process exits.
    #[arg(long, env = "SHUTDOWN_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    shutdown_timeout: Duration,

    /// Connections served at once; further ones wait in the listen backlog.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1000)]
    max_connections: usize,

    /// Also serve cleartext HTTP/2 (prior knowledge); without it such a client gets a 400.
    #[arg(long, env = "HTTP2", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new())]
    http2: bool,

    /// A browser origin allowed to call the API (CORS), repeatable, e.g.
    /// http://127.0.0.1:5500; the env var takes a comma-separated list. Off by default.
    #[arg(
        long = "cors-origin",
        env = "CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,

    /// Log lines as text, or as one JSON object per line.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = Style::Text)]
    log_format: Style,
}

/// One password check per core: argon2 is CPU-bound, more at once only costs memory.
pub fn default_login_limit() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

impl Config {
    /// Parses the command line (and the environment) and checks the result.
    pub fn parse_from<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        // Only the environment variable is a comma-separated list: on the command line a
        // password may contain commas.
        let raw_users = if matches.value_source("users") == Some(ValueSource::EnvVariable) {
            split_user_list(&cli.users)
        } else {
            cli.users
        };
        let users = if raw_users.is_empty() {
            vec![UserSpec::demo()]
        } else {
            raw_users
                .iter()
                .enumerate()
                .map(|(index, raw)| UserSpec::parse(raw, index + 1))
                .collect::<Result<Vec<_>, _>>()?
        };
        let config = Config {
            bind: cli.bind,
            algorithm: cli.algorithm,
            signing_key: cli.signing_key,
            private_key_file: cli.private_key_file,
            public_key_file: cli.public_key_file,
            claim_names: ClaimNames {
                user_id: cli.user_id_claim,
                token_type: cli.token_type_claim,
                jti: cli.jti_claim,
            },
            auth_header_types: cli.auth_header_types,
            auth_header_name: cli.auth_header_name,
            access_lifetime: cli.access_lifetime,
            refresh_lifetime: cli.refresh_lifetime,
            leeway: cli.leeway,
            users,
            rotate_refresh_tokens: cli.rotate_refresh_tokens,
            blacklist_after_rotation: cli.blacklist_after_rotation,
            max_body_bytes: cli.max_body_bytes,
            max_concurrent_logins: cli.max_concurrent_logins,
            login_queue: cli.login_queue,
            header_read_timeout: cli.header_read_timeout,
            idle_timeout: cli.idle_timeout,
            body_read_timeout: cli.body_read_timeout,
            write_timeout: cli.write_timeout,
            shutdown_timeout: cli.shutdown_timeout,
            max_connections: cli.max_connections,
            http2: cli.http2,
            cors_origins: cli
                .cors_origins
                .iter()
                .map(|raw| raw.trim())
                .filter(|raw| !raw.is_empty())
                .map(normalize_origin)
                .collect::<Result<Vec<_>, _>>()?,
            log_style: cli.log_format,
        };
        config.validate()?;
        Ok(config)
    }

    /// Short lifetimes and fixed accounts for tests: key [`Config::for_tests`]`.signing_key`,
    /// access 2 s, refresh 4 s, leeway 0, bind 127.0.0.1:0, `demo` (active, id 1) and
    /// `inactive` / `inactive@example.com` / `inactive-password` (inactive, id 2).
    pub fn for_tests() -> Config {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            algorithm: Algorithm::Hs256,
            signing_key: Some(TEST_SIGNING_KEY.to_owned()),
            private_key_file: None,
            public_key_file: None,
            claim_names: ClaimNames::default(),
            auth_header_types: vec!["Bearer".to_owned()],
            auth_header_name: "Authorization".to_owned(),
            access_lifetime: Duration::from_secs(2),
            refresh_lifetime: Duration::from_secs(4),
            leeway: Duration::ZERO,
            users: vec![
                UserSpec::demo(),
                UserSpec {
                    username: "inactive".to_owned(),
                    email: "inactive@example.com".to_owned(),
                    password: "inactive-password".to_owned(),
                    active: false,
                },
            ],
            rotate_refresh_tokens: false,
            blacklist_after_rotation: false,
            max_body_bytes: 1_048_576,
            max_concurrent_logins: default_login_limit(),
            login_queue: 32,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            max_connections: 1000,
            http2: false,
            cors_origins: Vec::new(),
            log_style: Style::Text,
        }
    }

    /// The claim names differ from each other and from the registered claims the server reads;
    /// the schemes are words; the header is a header name.
    fn check_wire_names(&self) -> Result<(), ConfigError> {
        let n = &self.claim_names;
        let claims = [
            ("--user-id-claim", &n.user_id),
            ("--token-type-claim", &n.token_type),
            ("--jti-claim", &n.jti),
        ];
        for (flag, name) in claims {
            if name.is_empty() || ["exp", "iat", "nbf", "aud"].contains(&name.as_str()) {
                return Err(ConfigError::WireName(format!(
                    "{flag} {name:?} must be a claim name other than exp, iat, nbf and aud"
                )));
            }
        }
        if n.user_id == n.token_type || n.user_id == n.jti || n.token_type == n.jti {
            return Err(ConfigError::WireName(
                "--user-id-claim, --token-type-claim and --jti-claim must differ".into(),
            ));
        }
        if self.auth_header_types.is_empty()
            || self
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic() && b != b','))
        {
            return Err(ConfigError::WireName(
                "--auth-header-types must list schemes, each a word without spaces".into(),
            ));
        }
        if warp::http::HeaderName::from_bytes(self.auth_header_name.as_bytes()).is_err() {
            return Err(ConfigError::WireName(format!(
                "--auth-header-name {:?} is not an HTTP header name",
                self.auth_header_name
            )));
        }
        Ok(())
    }

    /// The signer of the configured algorithm: the HMAC secret (random when none is given) or
    /// the key pair read from its files.
    pub fn signer(&self) -> Result<Signer, KeyError> {
        let algorithm = self.algorithm;
        if algorithm.is_hmac() {
            if self.private_key_file.is_some() || self.public_key_file.is_some() {
                return Err(KeyError::FilesWithHmac(algorithm));
            }
            let key = match &self.signing_key {
                Some(key) => key.as_bytes().to_vec(),
                None => {
                    use rand::RngCore as _;
                    let mut key = vec![0u8; algorithm.min_secret_bytes()];
                    rand::rngs::OsRng.fill_bytes(&mut key);
                    key
                }
            };
            return Ok(Signer::hmac(algorithm, &key));
        }
        if self.signing_key.is_some() {
            return Err(KeyError::SecretWithKeyPair(algorithm));
        }
        let private = self
            .private_key_file
            .as_deref()
            .ok_or(KeyError::MissingPrivateKey(algorithm))?;
        Signer::key_pair(algorithm, private, self.public_key_file.as_deref())
    }

    /// True when the only account is the built-in demo account (main warns about it).
    pub fn uses_demo_user(&self) -> bool {
        self.users == [UserSpec::demo()]
    }

    /// The checks that make a configuration usable; `spawn` runs them too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_wire_names()?;
        // Reading the key pair here makes a bad key file a startup error in one sentence.
        if !self.algorithm.is_hmac()
            || self.private_key_file.is_some()
            || self.public_key_file.is_some()
        {
            self.signer()?;
        }
        match self.signing_key.as_deref().map(str::len) {
            Some(0) => return Err(ConfigError::EmptySigningKey),
            Some(length) if length < self.algorithm.min_secret_bytes() => {
                return Err(ConfigError::ShortSigningKey {
                    algorithm: self.algorithm,
                    length,
                    min: self.algorithm.min_secret_bytes(),
                });
            }
            _ => {}
        }
        if self.access_lifetime < Duration::from_secs(1) {
            return Err(ConfigError::AccessLifetimeTooShort);
        }
        if self.refresh_lifetime <= self.access_lifetime {
            return Err(ConfigError::RefreshNotLonger {
                access: self.access_lifetime,
                refresh: self.refresh_lifetime,
            });
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::ZeroBodyLimit);
        }
        if self.max_concurrent_logins == 0 {
            return Err(ConfigError::ZeroLoginLimit);
        }
        if self.max_connections == 0 {
            return Err(ConfigError::ZeroConnectionLimit);
        }
        for (flag, timeout) in [
            ("header-read-timeout", self.header_read_timeout),
            ("idle-timeout", self.idle_timeout),
            ("body-read-timeout", self.body_read_timeout),
            ("write-timeout", self.write_timeout),
        ] {
            if timeout.is_zero() {
                return Err(ConfigError::ZeroTimeout(flag));
            }
        }
        for (index, user) in self.users.iter().enumerate() {
            if user.username.is_empty() || user.email.is_empty() || user.password.is_empty() {
                return Err(ConfigError::MalformedUser {
                    position: index + 1,
                });
            }
            let earlier = &self.users[..index];
            if earlier.iter().any(|other| other.username == user.username) {
                return Err(ConfigError::DuplicateUsername(user.username.clone()));
            }
            if earlier.iter().any(|other| other.email == user.email) {
                return Err(ConfigError::DuplicateEmail(user.email.clone()));
            }
        }
        Ok(())
    }
}

impl UserSpec {
    /// The account that exists when no `--user` is given.
    pub fn demo() -> UserSpec {
        UserSpec {
            username: "demo".to_owned(),
            email: "demo@example.com".to_owned(),
            password: "demo-password".to_owned(),
            active: true,
        }
    }

    /// Parses `USERNAME:EMAIL:PASSWORD[:inactive]`; `position` (1-based) only labels errors,
    /// which never repeat the text because it holds a password.
    pub fn parse(raw: &str, position: usize) -> Result<UserSpec, ConfigError> {
        let malformed = || ConfigError::MalformedUser { position };
        let mut parts = raw.splitn(3, ':');
        let username = parts.next().ok_or_else(malformed)?;
        let email = parts.next().ok_or_else(malformed)?;
        let rest = parts.next().ok_or_else(malformed)?;
        let (password, active) = match rest.strip_suffix(":inactive") {
            Some(password) => (password, false),
            None => (rest, true),
        };
        if username.is_empty() || email.is_empty() || password.is_empty() {
            return Err(malformed());
        }
        Ok(UserSpec {
            username: username.to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            active,
        })
    }
}

/// The `USERS` variable: comma-separated `--user` values (empty items ignored).
fn split_user_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, without a
/// trailing slash (one is forgiven).
pub fn normalize_origin(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim();
    let origin = trimmed
        .strip_suffix('/')
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if is_origin(&origin) {
        Ok(origin)
    } else {
        Err(ConfigError::BadOrigin(raw.to_owned()))
    }
}

/// `http` or `https`, a host, perhaps a port; no user, path, query or fragment.
fn is_origin(origin: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return false;
    }
    let Ok(uri) = origin.parse::<warp::http::Uri>() else {
        return false;
    };
    let port = match authority.rsplit_once(':') {
        Some((_, port)) if !authority.ends_with(']') => Some(port),
        _ => None,
    };
    uri.authority()
        .is_some_and(|parsed| !parsed.host().is_empty())
        && port.is_none_or(|port| {
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok()
        })
}

/// An algorithm by its exact JWS name.
fn parse_algorithm(raw: &str) -> Result<Algorithm, String> {
    raw.parse()
}

/// A human duration (`2s`, `5m`, `1d`, `1h 30m`) or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(raw).map_err(|err| format!("{err} (examples: 30, 90s, 5m, 1d)"))
}

// Hand-written so that neither the signing key nor any password reaches a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("algorithm", &self.algorithm)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "<redacted>"),
            )
            .field("private_key_file", &self.private_key_file)
            .field("public_key_file", &self.public_key_file)
            .field("claim_names", &self.claim_names)
            .field("auth_header_types", &self.auth_header_types)
            .field("auth_header_name", &self.auth_header_name)
            .field("access_lifetime", &self.access_lifetime)
            .field("refresh_lifetime", &self.refresh_lifetime)
            .field("leeway", &self.leeway)
            .field("users", &self.users)
            .field("rotate_refresh_tokens", &self.rotate_refresh_tokens)
            .field("blacklist_after_rotation", &self.blacklist_after_rotation)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_concurrent_logins", &self.max_concurrent_logins)
            .field("login_queue", &self.login_queue)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("max_connections", &self.max_connections)
            .field("http2", &self.http2)
            .field("cors_origins", &self.cors_origins)
            .field("log_style", &self.log_style)
            .finish()
    }
}

impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSpec")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("active", &self.active)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, ConfigError> {
        Config::parse_from(std::iter::once("reference-server").chain(args.iter().copied()))
    }

    fn parsed(args: &[&str]) -> Config {
        match parse(args) {
            Ok(config) => config,
            Err(err) => panic!("{args:?} should parse: {err}"),
        }
    }

    fn refused(args: &[&str]) -> ConfigError {
        match parse(args) {
            Ok(config) => panic!("{args:?} should be refused, got {config:?}"),
            Err(err) => err,
        }
    }

    #[test]
    fn defaults_match_simplejwt() {
        let config = parsed(&[]);
        assert_eq!(config.bind, SocketAddr::from(([127, 0, 0, 1], 8000)));
        assert_eq!(config.signing_key, None);
        assert_eq!(config.access_lifetime, Duration::from_secs(300));
        assert_eq!(config.refresh_lifetime, Duration::from_secs(86_400));
        assert_eq!(config.leeway, Duration::ZERO);
        assert_eq!(config.max_body_bytes, 1_048_576);
        assert_eq!(config.max_concurrent_logins, default_login_limit());
        assert_eq!(config.login_queue, 32);
        assert!(!config.rotate_refresh_tokens);
        assert!(!config.blacklist_after_rotation);
        assert!(config.uses_demo_user());
    }

    #[test]
    fn durations_accept_human_units_and_bare_seconds() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn flags_set_every_field() {
        let config = parsed(&[
            "--bind",
            "0.0.0.0:9000",
            "--signing-key",
            "k".repeat(32).as_str(),
            "--access-lifetime",
            "2s",
            "--refresh-lifetime",
            "4",
            "--leeway",
            "1s",
            "--rotate-refresh-tokens",
            "--blacklist-after-rotation",
            "--max-body-bytes",
            "10",
            "--max-concurrent-logins",
            "3",
            "--login-queue",
            "0",
            "--header-read-timeout",
            "1s",
            "--idle-timeout",
            "2s",
            "--body-read-timeout",
            "3s",
            "--write-timeout",
            "4s",
            "--shutdown-timeout",
            "0s",
            "--max-connections",
            "7",
            "--http2",
            "--user",
            "alice:alice@example.com:pw",
        ]);
        assert_eq!(config.bind, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(config.signing_key, Some("k".repeat(32)));
        assert_eq!(config.access_lifetime, Duration::from_secs(2));
        assert_eq!(config.refresh_lifetime, Duration::from_secs(4));
        assert_eq!(config.leeway, Duration::from_secs(1));
        assert!(config.rotate_refresh_tokens);
        assert!(config.blacklist_after_rotation);
        assert_eq!(config.max_body_bytes, 10);
        assert_eq!(config.max_concurrent_logins, 3);
        assert_eq!(config.login_queue, 0);
        assert_eq!(config.header_read_timeout, Duration::from_secs(1));
        assert_eq!(config.idle_timeout, Duration::from_secs(2));
        assert_eq!(config.body_read_timeout, Duration::from_secs(3));
        assert_eq!(config.write_timeout, Duration::from_secs(4));
        assert_eq!(config.shutdown_timeout, Duration::ZERO);
        assert_eq!(config.max_connections, 7);
        assert!(config.http2);
        assert!(!config.uses_demo_user());
    }

    #[test]
    fn user_password_may_contain_colons_and_commas() {
        let config = parsed(&[
            "--user",
            "alice:alice@example.com:a:b,c",
            "--user",
            "bob:bob@example.com:x:y:inactive",
        ]);
        assert_eq!(config.users.len(), 2);
        assert_eq!(config.users[0].username, "alice");
        assert_eq!(config.users[0].email, "alice@example.com");
        assert_eq!(config.users[0].password, "a:b,c");
        assert!(config.users[0].active);
        assert_eq!(config.users[1].password, "x:y");
        assert!(!config.users[1].active);
    }

    #[test]
    fn the_users_variable_is_a_comma_separated_list() {
        let listed = split_user_list(&["a:a@x:1, b:b@x:2:inactive,,".to_owned()]);
        assert_eq!(listed, ["a:a@x:1", "b:b@x:2:inactive"]);
    }

    #[test]
    fn malformed_users_are_refused_without_echoing_the_password() {
        for bad in [
            "alice",
            "alice:a@example.com",
            ":a@example.com:pw",
            "alice::pw",
            "a:b::inactive",
        ] {
            let err = refused(&["--user", bad]);
            assert!(
                matches!(err, ConfigError::MalformedUser { position: 1 }),
                "{bad}: {err}"
            );
            assert_eq!(err.exit_code(), 2);
        }
        let err = refused(&["--user", "alice:a@example.com:secret-pw", "--user", "bob"]);
        assert!(!err.to_string().contains("secret-pw"));
        assert!(matches!(err, ConfigError::MalformedUser { position: 2 }));
    }

    #[test]
    fn duplicate_accounts_are_refused() {
        let err = refused(&["--user", "a:a@x:1", "--user", "a:b@x:2"]);
        assert!(matches!(err, ConfigError::DuplicateUsername(ref name) if name == "a"));
        let err = refused(&["--user", "a:a@x:1", "--user", "b:a@x:2"]);
        assert!(matches!(err, ConfigError::DuplicateEmail(ref email) if email == "a@x"));
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn inconsistent_values_exit_2() {
        let cases: [&[&str]; 11] = [
            &["--signing-key", ""],
            &["--signing-key", "0123456789abcdef0123456789abcde"],
            &["--max-connections", "0"],
            &["--header-read-timeout", "0s"],
            &["--idle-timeout", "0"],
            &["--max-concurrent-logins", "0"],
            &["--access-lifetime", "5m", "--refresh-lifetime", "5m"],
            &["--access-lifetime", "0s"],
            &["--max-body-bytes", "0"],
            &["--access-lifetime", "soon"],
            &["--bind", "nowhere"],
        ];
        for args in cases {
            assert_eq!(refused(args).exit_code(), 2, "{args:?}");
        }
        assert_eq!(refused(&["--no-such-flag"]).exit_code(), 2);
    }

    #[test]
    fn a_short_signing_key_is_refused_in_one_sentence() {
        let err = refused(&["--signing-key", "short-key"]);
        assert!(
            matches!(
                err,
                ConfigError::ShortSigningKey {
                    length: 9,
                    min: 32,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(
            text.contains("at least 32 bytes") && !text.contains("short-key"),
            "{text}"
        );
        let exact = "k".repeat(MIN_SIGNING_KEY_BYTES);
        assert!(parse(&["--signing-key", &exact]).is_ok());
        // HS384 and HS512 need keys as long as their hashes: 48 and 64 bytes.
        for (algorithm, min) in [("HS384", 48), ("HS512", 64)] {
            let short = "k".repeat(min - 1);
            let err = refused(&["--algorithm", algorithm, "--signing-key", &short]);
            assert!(
                err.to_string()
                    .contains(&format!("at least {min} bytes for {algorithm}")),
                "{err}"
            );
            assert!(parse(&["--algorithm", algorithm, "--signing-key", &"k".repeat(min)]).is_ok());
        }
    }

    #[test]
    fn help_is_not_a_failure() {
        assert_eq!(refused(&["--help"]).exit_code(), 0);
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let text = format!("{:?}", Config::for_tests());
        assert!(!text.contains(TEST_SIGNING_KEY));
        assert!(!text.contains("demo-password"));
    }

    #[test]
    fn test_config_is_valid() {
        assert!(Config::for_tests().validate().is_ok());
    }

    #[test]
    fn cors_origins_are_repeatable_and_normalised() {
        assert!(parsed(&[]).cors_origins.is_empty());
        let config = parsed(&[
            "--cors-origin",
            "http://127.0.0.1:5500",
            "--cors-origin",
            "HTTPS://App.Example.test/",
            "--cors-origin",
            "http://[::1]:3000,http://localhost",
        ]);
        assert_eq!(
            config.cors_origins,
            [
                "http://127.0.0.1:5500",
                "https://app.example.test",
                "http://[::1]:3000",
                "http://localhost"
            ]
        );
        for bad in [
            "127.0.0.1:5500",
            "*",
            "null",
            "ftp://a.test",
            "http://",
            "http://a.test/app",
            "http://a.test:99999",
            "http://a.test:port",
            "http://user@a.test",
            "http://a.test?x=1",
        ] {
            let err = refused(&["--cors-origin", bad]);
            assert!(matches!(err, ConfigError::BadOrigin(_)), "{bad}: {err}");
            assert_eq!(err.exit_code(), 2);
        }
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(parsed(&[]).log_style, Style::Text);
        assert_eq!(parsed(&["--log-format", "json"]).log_style, Style::Json);
        assert_eq!(refused(&["--log-format", "xml"]).exit_code(), 2);
    }

    #[test]
    fn key_pair_flags_are_checked_at_startup() {
        let data = |name: &str| {
            format!(
                "{}/../conformance/tests/data/{name}",
                env!("CARGO_MANIFEST_DIR")
            )
        };
        let config = parse(&[
            "--algorithm",
            "ES256",
            "--private-key-file",
            &data("es256-private.pem"),
            "--public-key-file",
            &data("es256-public.pem"),
        ])
        .expect("a key pair");
        assert_eq!(config.algorithm, Algorithm::Es256);
        for (args, says) in [
            (
                vec!["--algorithm", "RS256"],
                "give its private key with --private-key-file",
            ),
            (
                vec!["--algorithm", "RS256", "--signing-key", &"k".repeat(32)],
                "--signing-key is an HMAC secret",
            ),
            (
                vec!["--private-key-file", "x.pem"],
                "--algorithm HS256 signs with --signing-key",
            ),
        ] {
            let err = refused(&args);
            assert_eq!(err.exit_code(), 2, "{args:?}");
            assert!(err.to_string().contains(says), "{args:?}: {err}");
        }
        let missing = data("missing.pem");
        let err = refused(&["--algorithm", "EdDSA", "--private-key-file", &missing]);
        assert!(
            err.to_string()
                .starts_with("cannot read --private-key-file"),
            "{err}"
        );
        let err = refused(&[
            "--algorithm",
            "RS256",
            "--private-key-file",
            &data("rs256-private.pem"),
            "--public-key-file",
            &data("es256-public.pem"),
        ]);
        assert!(err.to_string().contains("is not the public half"), "{err}");
        let err = refused(&["--algorithm", "rs256"]);
        assert!(err.to_string().contains("unknown algorithm"), "{err}");
    }

    #[test]
    fn wire_name_flags_rename_claims_and_the_auth_header() {
        let config = parse(&[
            "--user-id-claim",
            "uid",
            "--token-type-claim",
            "kind",
            "--jti-claim",
            "id",
            "--auth-header-types",
            "JWT,Bearer",
            "--auth-header-name",
            "X-Access-Token",
        ])
        .expect("renamed");
        assert_eq!(config.claim_names.user_id, "uid");
        assert_eq!(config.auth_header_types, vec!["JWT", "Bearer"]);
        assert_eq!(config.auth_header_name, "X-Access-Token");
        let defaults = parse(&[]).expect("defaults");
        assert_eq!(defaults.claim_names, ClaimNames::default());
        assert_eq!(defaults.auth_header_types, vec!["Bearer"]);
        for args in [
            vec!["--user-id-claim", "exp"],
            vec!["--jti-claim", "user_id"],
            vec!["--auth-header-types", "Two words"],
            vec!["--auth-header-name", "Bad Name"],
        ] {
            let err = refused(&args);
            assert_eq!(err.exit_code(), 2, "{args:?}");
            assert!(matches!(err, ConfigError::WireName(_)), "{args:?}: {err}");
        }
    }
}
