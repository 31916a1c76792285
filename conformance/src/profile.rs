//! Profiles: how a deployment is laid out (paths, login field) and which dialect it speaks.
//!
//! Paths are configuration, behaviour is the dialect (CONTRACT.md, "Two dialects"). Two profiles are built in,
//! `classic` (source document 000) and `v1` (source document 004); anything else is a TOML file,
//! optionally starting from a built-in with `base = "classic"` or `base = "v1"`.

use std::{fmt, path::Path, str::FromStr, time::Duration};

use serde::Deserialize;

use crate::keys::Algorithm;

/// The two sets of expectations of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// Source document 000: 400s with field errors, `{"status": "valid"}` on verify.
    Classic,
    /// Stock djangorestframework-simplejwt: 401s coded `token_not_valid`, `{}` on verify.
    Simplejwt,
}

impl Dialect {
    /// The Gherkin tag that marks scenarios and `Examples:` blocks of this dialect.
    pub fn tag(self) -> &'static str {
        match self {
            Dialect::Classic => "classic",
            Dialect::Simplejwt => "simplejwt",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

crate::vocabulary! {
    /// A named endpoint of a deployment: the one vocabulary for feature text (`the obtain
    /// endpoint`), profiles, the property tests and the load command.
    pub enum Endpoint {
        /// Trades credentials for a token pair.
        Obtain = "obtain",
        /// Trades a refresh token for a new access token.
        Refresh = "refresh",
        /// Checks a token.
        Verify = "verify",
        /// Any GET that needs a bearer access token.
        Protected = "protected",
        /// The CRUD collection.
        Resources = "resources",
        /// The list of accounts.
        Users = "users",
    }
}

/// The endpoints of one deployment. Any may be absent: its scenarios are then skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// Trades credentials for a token pair.
    pub obtain: Option<String>,
    /// Trades a refresh token for a new access token.
    pub refresh: Option<String>,
    /// Checks a token.
    pub verify: Option<String>,
    /// Any GET that needs a bearer access token and answers a JSON array.
    pub protected: Option<String>,
    /// A CRUD collection of `{field1, field2}` resources.
    pub resources: Option<String>,
    /// A list of the accounts (`[{"id", <login field>, ...}]`) behind a bearer access token.
    pub users: Option<String>,
}

impl Endpoints {
    /// The path of an endpoint, if the deployment has it.
    pub fn path(&self, endpoint: Endpoint) -> Option<&str> {
        match endpoint {
            Endpoint::Obtain => &self.obtain,
            Endpoint::Refresh => &self.refresh,
            Endpoint::Verify => &self.verify,
            Endpoint::Protected => &self.protected,
            Endpoint::Resources => &self.resources,
            Endpoint::Users => &self.users,
        }
        .as_deref()
    }

    fn slot(&mut self, endpoint: Endpoint) -> &mut Option<String> {
        match endpoint {
            Endpoint::Obtain => &mut self.obtain,
            Endpoint::Refresh => &mut self.refresh,
            Endpoint::Verify => &mut self.verify,
            Endpoint::Protected => &mut self.protected,
            Endpoint::Resources => &mut self.resources,
            Endpoint::Users => &mut self.users,
        }
    }
}

/// Everything the suite needs to know about a target besides its URL and account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Shown in reports.
    pub name: String,
    /// Whose expectations apply.
    pub dialect: Dialect,
    /// The credential field next to `password` on the obtain endpoint.
    pub login_field: String,
    /// Paths relative to the base URL.
    pub endpoints: Endpoints,
    /// Expected access token lifetime (`exp - iat`); checked only when declared.
    pub access_lifetime: Option<Duration>,
    /// Expected refresh token lifetime; checked only when declared.
    pub refresh_lifetime: Option<Duration>,
    /// Clock leeway the server grants past `exp`; forged expired tokens lie beyond it.
    pub leeway: Duration,
    /// `Some(true)`: the refresh response must carry a new refresh token; `Some(false)`: it must
    /// not; `None`: detected from the target's answers.
    pub rotate_refresh_tokens: Option<bool>,
    /// Whether a refresh token traded in under rotation must be refused afterwards.
    pub blacklist_after_rotation: bool,
    /// Size of the body sent to provoke a 413 (at least one byte over a declared limit).
    pub oversized_body_bytes: usize,
    /// The largest body the server reads, when the profile declares it: a body of exactly this
    /// size is read, one byte more is a 413.
    pub body_limit: Option<usize>,
    /// Endpoints the profile may have (`"verify"` in `v1`): probed before the run, and dropped
    /// when the target answers 404. A path a profile file names itself is required instead.
    pub optional: Vec<Endpoint>,
    /// Why an endpoint is absent, when a probe found out (the skip reason).
    pub absent: Vec<(Endpoint, String)>,
    /// Claim and header names on the wire (simplejwt's settings of the same names).
    pub wire: WireNames,
    /// The algorithm the deployment signs with (simplejwt's `ALGORITHM`; HS256 by default).
    pub algorithm: Algorithm,
    /// Where the deployment publishes its public keys (a JWKS), if it does.
    pub jwks_url: Option<String>,
}

/// The names a deployment gives the claims and the header simplejwt lets it rename:
/// `USER_ID_CLAIM`, `TOKEN_TYPE_CLAIM`, `JTI_CLAIM`, `AUTH_HEADER_TYPES`, `AUTH_HEADER_NAME`.
///
/// Feature text says `user_id`, `token_type`, `jti` and `Bearer`, simplejwt's defaults; the
/// suite sends and reads these names in their place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireNames {
    /// The claim naming the user (`user_id`).
    pub user_id_claim: String,
    /// The claim naming the token's type (`token_type`).
    pub token_type_claim: String,
    /// The token's unique id (`jti`).
    pub jti_claim: String,
    /// Accepted schemes of the auth header; the first is the one the suite sends (`Bearer`).
    pub auth_header_types: Vec<String>,
    /// The header a token is sent in (`Authorization`).
    pub auth_header_name: String,
}

impl Default for WireNames {
    fn default() -> Self {
        WireNames {
            user_id_claim: "user_id".into(),
            token_type_claim: "token_type".into(),
            jti_claim: "jti".into(),
            auth_header_types: vec!["Bearer".into()],
            auth_header_name: "Authorization".into(),
        }
    }
}

impl WireNames {
    /// The wire name of a claim the features call by its simplejwt default name; any other
    /// claim (`exp`, `iat`, `nbf`) is its own name.
    pub fn claim<'a>(&'a self, canonical: &'a str) -> &'a str {
        match canonical {
            "user_id" => &self.user_id_claim,
            "token_type" => &self.token_type_claim,
            "jti" => &self.jti_claim,
            other => other,
        }
    }

    /// The scheme the suite sends (the first of `auth_header_types`).
    pub fn scheme(&self) -> &str {
        self.auth_header_types
            .first()
            .map_or("Bearer", String::as_str)
    }

    /// The header that authenticates a request with `token`: name and value.
    pub fn authorization(&self, token: &str) -> (String, String) {
        (
            self.auth_header_name.clone(),
            format!("{} {token}", self.scheme()),
        )
    }

    /// A header value written with simplejwt's default scheme (`Bearer …`, as feature text
    /// writes it) in this deployment's scheme; any other value as it is.
    pub fn translate_scheme(&self, value: &str) -> String {
        let (first, rest) = match value.split_once(' ') {
            Some((f, r)) => (f, Some(r)),
            None => (value, None),
        };
        let scheme = match first {
            "Bearer" => self.scheme().to_string(),
            "bearer" => self.scheme().to_lowercase(),
            _ => return value.to_string(),
        };
        match rest {
            Some(r) => format!("{scheme} {r}"),
            None => scheme,
        }
    }

    /// Expected claims written with the default names, renamed to these (top-level keys only).
    pub fn rename_claims(&self, expected: serde_json::Value) -> serde_json::Value {
        match expected {
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.claim(&k).to_string(), v))
                    .collect(),
            ),
            other => other,
        }
    }

    fn check(&self) -> Result<(), String> {
        let claims = [
            ("user_id_claim", &self.user_id_claim),
            ("token_type_claim", &self.token_type_claim),
            ("jti_claim", &self.jti_claim),
        ];
        for (key, name) in claims {
            if name.is_empty() || ["exp", "iat", "nbf"].contains(&name.as_str()) {
                return Err(format!(
                    "tokens.{key} {name:?} must be a claim name other than exp, iat and nbf"
                ));
            }
        }
        if claims
            .iter()
            .enumerate()
            .any(|(i, (_, a))| claims[..i].iter().any(|(_, b)| a == b))
        {
            return Err("tokens.user_id_claim, token_type_claim and jti_claim must differ".into());
        }
        if self.auth_header_types.is_empty()
            || self
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(
                "tokens.auth_header_types must list at least one scheme, each a word without spaces"
                    .into(),
            );
        }
        if hyper::header::HeaderName::from_bytes(self.auth_header_name.as_bytes()).is_err() {
            return Err(format!(
                "tokens.auth_header_name {:?} is not an HTTP header name",
                self.auth_header_name
            ));
        }
        Ok(())
    }
}

/// The names `--profile` accepts besides a path.
pub const BUILT_IN: [&str; 2] = ["classic", "v1"];

const DEFAULT_OVERSIZED_BODY: usize = 8 * 1024 * 1024;
/// The largest body limit a profile may declare: the suite builds a body of that size, and one
/// byte more, in memory.
const MAX_BODY_LIMIT: usize = 64 * 1024 * 1024;

impl Profile {
    /// The path of an endpoint, if the profile has it.
    pub fn endpoint(&self, endpoint: Endpoint) -> Option<&str> {
        self.endpoints.path(endpoint)
    }

    /// Removes an endpoint a probe found absent, keeping why (the skip reason of its scenarios).
    pub fn drop_endpoint(&mut self, endpoint: Endpoint, reason: String) {
        *self.endpoints.slot(endpoint) = None;
        self.absent.push((endpoint, reason));
    }

    /// Document 000: `/gettoken/`, `/tokenrefresh/`, `/verifytoken/`, `/api/resource/`.
    pub fn classic() -> Self {
        Profile {
            name: "classic".into(),
            dialect: Dialect::Classic,
            login_field: "username".into(),
            endpoints: Endpoints {
                obtain: Some("/gettoken/".into()),
                refresh: Some("/tokenrefresh/".into()),
                verify: Some("/verifytoken/".into()),
                protected: Some("/api/resource/".into()),
                resources: Some("/api/resource/".into()),
                users: None,
            },
            access_lifetime: None,
            refresh_lifetime: None,
            leeway: Duration::ZERO,
            rotate_refresh_tokens: None,
            blacklist_after_rotation: false,
            oversized_body_bytes: DEFAULT_OVERSIZED_BODY,
            body_limit: None,
            optional: Vec::new(),
            absent: Vec::new(),
            wire: WireNames::default(),
            algorithm: Algorithm::Hs256,
            jwks_url: None,
        }
    }

    /// Document 004: `/api/v1/token/` (email login), its refresh, `/api/v1/users/`; document 004
    /// has no verify endpoint, so `/api/v1/token/verify/` is probed, not required.
    pub fn v1() -> Self {
        Profile {
            name: "v1".into(),
            dialect: Dialect::Simplejwt,
            login_field: "email".into(),
            endpoints: Endpoints {
                obtain: Some("/api/v1/token/".into()),
                refresh: Some("/api/v1/token/refresh/".into()),
                verify: Some("/api/v1/token/verify/".into()),
                protected: Some("/api/v1/users/".into()),
                resources: None,
                users: Some("/api/v1/users/".into()),
            },
            optional: vec![Endpoint::Verify],
            ..Profile::classic()
        }
    }

    /// A built-in profile by name.
    pub fn built_in(name: &str) -> Option<Self> {
        match name {
            "classic" => Some(Self::classic()),
            "v1" => Some(Self::v1()),
            _ => None,
        }
    }

    /// Resolves `--profile`: a built-in name or a TOML file.
    pub fn load(spec: &str) -> Result<Self, ProfileError> {
        if let Some(p) = Self::built_in(spec) {
            return Ok(p);
        }
        let path = Path::new(spec);
        if !path.exists() {
            return Err(ProfileError::NotFound(spec.to_string()));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProfileError::Read(spec.to_string(), e.to_string()))?;
        let fallback_name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| spec.to_string());
        Self::from_toml(&text, &fallback_name)
            .map_err(|e| ProfileError::Invalid(spec.to_string(), e))
    }

    /// Parses a TOML profile; `fallback_name` names it when the file does not.
    pub fn from_toml(text: &str, fallback_name: &str) -> Result<Self, String> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut p = match file.base.as_deref() {
            Some(base) => Self::built_in(base).ok_or_else(|| {
                format!(
                    "unknown base profile {base:?} (built in: {})",
                    BUILT_IN.join(", ")
                )
            })?,
            None => {
                let dialect = file
                    .dialect
                    .ok_or("a profile without `base` must name its `dialect`")?;
                Profile {
                    dialect,
                    endpoints: Endpoints::default(),
                    login_field: "username".into(),
                    ..Self::classic()
                }
            }
        };
        p.name = file.name.unwrap_or_else(|| fallback_name.to_string());
        if let Some(d) = file.dialect {
            p.dialect = d;
        }
        if let Some(f) = file.login_field {
            p.login_field = f;
        }
        if let Some(mut e) = file.endpoints {
            for &endpoint in Endpoint::ALL {
                let Some(path) = e.slot(endpoint).take() else {
                    continue;
                };
                // A path the file names, even to remove it, is the user's word: no probe.
                p.optional.retain(|o| *o != endpoint);
                *p.endpoints.slot(endpoint) = if path.is_empty() {
                    None
                } else if path.starts_with('/') {
                    Some(path)
                } else {
                    return Err(format!("endpoint path {path:?} must start with '/'"));
                };
            }
        }
        if let Some(t) = file.tokens {
            let dur = |s: Option<String>, what: &str| -> Result<Option<Duration>, String> {
                s.map(|v| parse_duration(&v).map_err(|e| format!("tokens.{what}: {e}")))
                    .transpose()
            };
            if let Some(d) = dur(t.access_lifetime, "access_lifetime")? {
                p.access_lifetime = Some(d);
            }
            if let Some(d) = dur(t.refresh_lifetime, "refresh_lifetime")? {
                p.refresh_lifetime = Some(d);
            }
            if let Some(d) = dur(t.leeway, "leeway")? {
                p.leeway = d;
            }
            if t.rotate_refresh_tokens.is_some() {
                p.rotate_refresh_tokens = t.rotate_refresh_tokens;
            }
            if let Some(b) = t.blacklist_after_rotation {
                p.blacklist_after_rotation = b;
            }
            let w = &mut p.wire;
            let set = |slot: &mut String, given: Option<String>| {
                if let Some(v) = given {
                    *slot = v;
                }
            };
            set(&mut w.user_id_claim, t.user_id_claim);
            set(&mut w.token_type_claim, t.token_type_claim);
            set(&mut w.jti_claim, t.jti_claim);
            set(&mut w.auth_header_name, t.auth_header_name);
            if let Some(types) = t.auth_header_types {
                w.auth_header_types = types;
            }
            w.check()?;
            if let Some(a) = t.algorithm {
                p.algorithm = a.parse().map_err(|e| format!("tokens.algorithm: {e}"))?;
            }
            if let Some(url) = t.jwks_url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!(
                        "tokens.jwks_url {url:?} must be an http:// or https:// URL"
                    ));
                }
                p.jwks_url = Some(url);
            }
            if p.jwks_url.is_some() && p.algorithm.is_hmac() {
                return Err(format!(
                    "tokens.jwks_url publishes public keys, but tokens.algorithm is {}, an HMAC algorithm with no public key",
                    p.algorithm
                ));
            }
        }
        if let Some(n) = file.oversized_body_bytes {
            p.oversized_body_bytes = n;
        }
        if let Some(n) = file.body_limit_bytes {
            if !(1..=MAX_BODY_LIMIT).contains(&n) {
                return Err(format!(
                    "body_limit_bytes {n} is out of range: the suite sends bodies of 1 byte to {MAX_BODY_LIMIT} bytes (64 MiB) and one byte more"
                ));
            }
            p.body_limit = Some(n);
        }
        if p.endpoints.obtain.is_none() {
            return Err(
                "a profile needs an `endpoints.obtain` path: every scenario logs in".into(),
            );
        }
        if p.blacklist_after_rotation && p.rotate_refresh_tokens == Some(false) {
            return Err(
                "blacklist_after_rotation needs rotation: rotate_refresh_tokens is false".into(),
            );
        }
        Ok(p)
    }
}

/// Parses `2s`, `5m`, `1d`, `1h 30m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("{s:?} is not a duration ({e}); try 2s, 5m, 1d"))
}

/// Why `--profile` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Neither a built-in nor an existing file.
    #[error("profile {0:?} is neither a built-in profile ({built}) nor a file", built = BUILT_IN.join(", "))]
    NotFound(String),
    /// The file exists but cannot be read.
    #[error("cannot read profile {0}: {1}")]
    Read(String, String),
    /// The file is not a valid profile.
    #[error("invalid profile {0}: {1}")]
    Invalid(String, String),
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "classic" => Ok(Dialect::Classic),
            "simplejwt" => Ok(Dialect::Simplejwt),
            other => Err(format!("unknown dialect {other:?} (classic or simplejwt)")),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    base: Option<String>,
    name: Option<String>,
    dialect: Option<Dialect>,
    login_field: Option<String>,
    endpoints: Option<Endpoints>,
    tokens: Option<TokensFile>,
    oversized_body_bytes: Option<usize>,
    body_limit_bytes: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensFile {
    access_lifetime: Option<String>,
    refresh_lifetime: Option<String>,
    leeway: Option<String>,
    rotate_refresh_tokens: Option<bool>,
    blacklist_after_rotation: Option<bool>,
    user_id_claim: Option<String>,
    token_type_claim: Option<String>,
    jti_claim: Option<String>,
    auth_header_types: Option<Vec<String>>,
    auth_header_name: Option<String>,
    algorithm: Option<String>,
    jwks_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_differ_in_dialect_and_login_field() {
        assert_eq!(Profile::classic().dialect, Dialect::Classic);
        assert_eq!(Profile::v1().dialect, Dialect::Simplejwt);
        assert_eq!(Profile::v1().login_field, "email");
        assert_eq!(Profile::v1().endpoints.resources, None);
    }

    #[test]
    fn toml_profile_for_a_stock_simplejwt_app() {
        let p = Profile::from_toml(
            r#"
            name = "tutorial"
            dialect = "simplejwt"
            [endpoints]
            obtain = "/api/token/"
            refresh = "/api/token/refresh/"
            verify = "/api/token/verify/"
            protected = "/api/resource/"
            [tokens]
            access_lifetime = "2s"
            rotate_refresh_tokens = true
            blacklist_after_rotation = true
            "#,
            "x",
        )
        .expect("valid profile");
        assert_eq!(p.name, "tutorial");
        assert_eq!(p.login_field, "username");
        assert_eq!(p.endpoints.obtain.as_deref(), Some("/api/token/"));
        assert_eq!(p.endpoints.resources, None);
        assert_eq!(p.access_lifetime, Some(Duration::from_secs(2)));
        assert_eq!(p.rotate_refresh_tokens, Some(true));
        assert!(p.blacklist_after_rotation);
    }

    #[test]
    fn v1_verify_is_probed_unless_a_file_names_it() {
        assert_eq!(Profile::v1().optional, vec![Endpoint::Verify]);
        assert!(Profile::classic().optional.is_empty());
        let inherited = Profile::from_toml("base = \"v1\"\n", "x").expect("valid");
        assert_eq!(inherited.optional, vec![Endpoint::Verify]);
        let named = Profile::from_toml(
            "base = \"v1\"\n[endpoints]\nverify = \"/api/v1/token/verify/\"\n",
            "x",
        )
        .expect("valid");
        assert!(named.optional.is_empty());
        let mut p = Profile::v1();
        p.drop_endpoint(Endpoint::Verify, "probed".into());
        assert_eq!(p.endpoint(Endpoint::Verify), None);
        assert_eq!(p.absent, vec![(Endpoint::Verify, "probed".to_string())]);
    }

    #[test]
    fn wire_names_default_to_simplejwts_and_can_be_renamed() {
        let d = Profile::v1().wire;
        assert_eq!(
            d.authorization("T"),
            ("Authorization".to_string(), "Bearer T".to_string())
        );
        assert_eq!(d.claim("user_id"), "user_id");
        let p = Profile::from_toml(
            r#"
            base = "v1"
            [tokens]
            user_id_claim = "uid"
            token_type_claim = "typ_"
            jti_claim = "id"
            auth_header_types = ["JWT", "Bearer"]
            auth_header_name = "X-Access-Token"
            "#,
            "renamed",
        )
        .expect("valid");
        let w = &p.wire;
        assert_eq!(
            w.authorization("T"),
            ("X-Access-Token".to_string(), "JWT T".to_string())
        );
        assert_eq!(
            (
                w.claim("user_id"),
                w.claim("token_type"),
                w.claim("jti"),
                w.claim("exp")
            ),
            ("uid", "typ_", "id", "exp")
        );
        assert_eq!(
            w.translate_scheme("Bearer ${access} extra"),
            "JWT ${access} extra"
        );
        assert_eq!(w.translate_scheme("Bearer"), "JWT");
        assert_eq!(w.translate_scheme("bearer x"), "jwt x");
        assert_eq!(w.translate_scheme("Token x"), "Token x");
        assert_eq!(
            w.rename_claims(
                serde_json::json!({"token_type": "access", "user_id": "$id", "exp": 1})
            ),
            serde_json::json!({"typ_": "access", "uid": "$id", "exp": 1})
        );
        for bad in [
            "user_id_claim = \"exp\"",
            "jti_claim = \"user_id\"",
            "auth_header_types = []",
            "auth_header_types = [\"Two words\"]",
            "auth_header_name = \"Bad Name\"",
        ] {
            let text = format!("base = \"v1\"\n[tokens]\n{bad}\n");
            assert!(Profile::from_toml(&text, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn the_algorithm_defaults_to_hs256_and_a_jwks_needs_an_asymmetric_one() {
        assert_eq!(Profile::v1().algorithm, Algorithm::Hs256);
        let p = Profile::from_toml(
            "base = \"v1\"\n[tokens]\nalgorithm = \"RS256\"\njwks_url = \"https://id.example.test/jwks.json\"\n",
            "x",
        )
        .expect("valid");
        assert_eq!(p.algorithm, Algorithm::Rs256);
        assert_eq!(
            p.jwks_url.as_deref(),
            Some("https://id.example.test/jwks.json")
        );
        for bad in [
            "algorithm = \"rs256\"",
            "algorithm = \"none\"",
            "jwks_url = \"https://id.example.test/jwks.json\"",
            "algorithm = \"ES256\"\njwks_url = \"/jwks.json\"",
        ] {
            let text = format!("base = \"v1\"\n[tokens]\n{bad}\n");
            assert!(Profile::from_toml(&text, "x").is_err(), "{bad}");
        }
    }

    #[test]
    fn base_profile_is_overridden_field_by_field() {
        let p = Profile::from_toml(
            "base = \"classic\"\n[endpoints]\nrefresh = \"/refreshtoken/\"\nverify = \"\"\n",
            "mine",
        )
        .expect("valid profile");
        assert_eq!(p.dialect, Dialect::Classic);
        assert_eq!(p.endpoints.refresh.as_deref(), Some("/refreshtoken/"));
        assert_eq!(
            p.endpoints.verify, None,
            "an empty path removes the endpoint"
        );
        assert_eq!(p.endpoints.obtain.as_deref(), Some("/gettoken/"));
    }

    #[test]
    fn bad_profiles_say_why() {
        let err = Profile::from_toml("[endpoints]\nobtain = \"/x/\"\n", "x").unwrap_err();
        assert!(err.contains("dialect"), "{err}");
        let err = Profile::from_toml("base = \"classic\"\nbogus = 1\n", "x").unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        let err = Profile::from_toml("base = \"nope\"", "x").unwrap_err();
        assert!(err.contains("unknown base"), "{err}");
        let err = Profile::from_toml("base = \"v1\"\n[endpoints]\nobtain = \"api/token/\"\n", "x")
            .unwrap_err();
        assert!(err.contains("must start with '/'"), "{err}");
        let err =
            Profile::from_toml("base = \"v1\"\n[tokens]\nleeway = \"soon\"\n", "x").unwrap_err();
        assert!(err.contains("not a duration"), "{err}");
        let err = Profile::from_toml("base = \"v1\"\nbody_limit_bytes = 0\n", "x").unwrap_err();
        assert!(err.contains("body_limit_bytes 0 is out of range"), "{err}");
    }

    #[test]
    fn a_declared_body_limit_is_kept() {
        let p = Profile::from_toml("base = \"v1\"\nbody_limit_bytes = 65536\n", "x")
            .expect("valid profile");
        assert_eq!(p.body_limit, Some(65_536));
        assert_eq!(Profile::v1().body_limit, None);
    }

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86400)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert!(parse_duration("soon").is_err());
    }
}
