//! The target of a run: where it is, how it is laid out, which account to use, and what the
//! user told the suite about it (signing key, inactive account, limits).

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{
    http::{Client, Request, Response, TransportError},
    keys::{self, Algorithm, KeySet, KeyType, PrivateKey, PublicKey},
    profile::{Endpoint, Profile},
    redact::Redactor,
    tls::Transport,
};

/// Credentials of an account on the target.
#[derive(Debug, Clone)]
pub struct Account {
    /// The value of the profile's login field (a username or an email).
    pub login: String,
    /// Its password.
    pub password: String,
}

impl Account {
    /// The body that logs this account in (JSON, the profile's login field beside `password`).
    pub fn login_body(&self, login_field: &str) -> Value {
        json!({ login_field: self.login, "password": self.password })
    }
}

/// A request to an endpoint the profile does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile {profile} has no {endpoint} endpoint")]
pub struct NoEndpoint {
    /// The profile's name.
    pub profile: String,
    /// The endpoint it lacks.
    pub endpoint: Endpoint,
}

/// The path of an endpoint of `profile`, or which one is missing.
pub fn path_of(profile: &Profile, endpoint: Endpoint) -> Result<&str, NoEndpoint> {
    profile.endpoint(endpoint).ok_or_else(|| NoEndpoint {
        profile: profile.name.clone(),
        endpoint,
    })
}

/// Why a `--base-url` cannot be used (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// It does not parse.
    #[error("--base-url {url:?} is not a URL: {why}")]
    NotAUrl {
        /// As given.
        url: String,
        /// Why.
        why: String,
    },
    /// Another scheme than http or https.
    #[error("--base-url {0:?} must be http:// or https://")]
    Scheme(String),
}

/// A base URL as the user gave it, checked (`http://` or `https://`) and without its trailing
/// slash.
pub fn base_url(url: &str) -> Result<(String, reqwest::Url), BaseUrlError> {
    let base_url = url.trim_end_matches('/').to_string();
    let parsed = reqwest::Url::parse(&base_url).map_err(|e| BaseUrlError::NotAUrl {
        url: url.to_string(),
        why: e.to_string(),
    })?;
    if !["http", "https"].contains(&parsed.scheme()) {
        return Err(BaseUrlError::Scheme(url.to_string()));
    }
    Ok((base_url, parsed))
}

/// Why the target cannot be reached, in one sentence: a certificate the run does not trust is
/// said as it is; anything else asks whether the server runs at that URL.
pub fn cannot_reach(base_url: &str, error: &dyn std::fmt::Display) -> String {
    let error = error.to_string();
    if error.contains(crate::tls::NOT_TRUSTED) {
        format!("cannot reach {base_url}: {error}")
    } else {
        format!("cannot reach {base_url}: {error}. Is the server running, and is --base-url right?")
    }
}

/// Why the account could not log in, in one sentence naming the options to check; `shown` is
/// the start of the answer's body.
fn login_refused(
    account: &Account,
    url: &str,
    status: &dyn std::fmt::Display,
    shown: &str,
    login_field: &str,
) -> String {
    format!(
        "logging in as {:?} at {url} failed with {status}: {shown}. Check --login/--password (the profile's login field is {login_field:?})",
        account.login
    )
}

/// The login of `account`: `POST` its credentials as JSON to the profile's obtain endpoint.
pub fn login_request(
    base_url: &str,
    profile: &Profile,
    account: &Account,
) -> Result<Request, NoEndpoint> {
    let path = path_of(profile, Endpoint::Obtain)?;
    Ok(Request::post(format!("{base_url}{path}")).json(&account.login_body(&profile.login_field)))
}

/// Why a login gave no token, each in one sentence. The first four are wrong arguments (exit
/// code 2); the last two are the target's defects, which the scenarios report.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The profile has no obtain endpoint.
    #[error(transparent)]
    NoEndpoint(#[from] NoEndpoint),
    /// No connection (a certificate the run does not trust is said as it is), or no answer in
    /// time.
    #[error("{0}")]
    Unreachable(String),
    /// 404 or 405: the path is not an obtain endpoint.
    #[error(
        "POST {url} answered {status}: is that the obtain endpoint? Check --profile ({profile}) and --base-url. Body: {shown}"
    )]
    NotObtain {
        /// Where the login went.
        url: String,
        /// What it answered.
        status: u16,
        /// The profile's name.
        profile: String,
        /// The start of the body, redacted.
        shown: String,
    },
    /// Another 4xx: the credentials are wrong.
    #[error("{0}")]
    Refused(String),
    /// The connection dropped before a whole answer.
    #[error("POST {url}: {error}")]
    Dropped {
        /// Where the login went.
        url: String,
        /// What happened.
        error: TransportError,
    },
    /// Neither a 2xx nor a 4xx (a 5xx, a redirect).
    #[error("POST {url} answered {status}: {shown}")]
    Failed {
        /// Where the login went.
        url: String,
        /// What it answered.
        status: u16,
        /// The start of the body, redacted.
        shown: String,
    },
}

impl LoginError {
    /// Whether this is the target's defect (for the scenarios to report), not a wrong argument.
    pub fn is_defect(&self) -> bool {
        matches!(self, LoginError::Dropped { .. } | LoginError::Failed { .. })
    }
}

/// Logs `account` in: the one way into a target, for preflight and for `load`'s token pool.
/// Any 2xx is the answer; anything else says why, its body redacted by `redactor`.
pub async fn log_in(
    client: &Client,
    base_url: &str,
    profile: &Profile,
    account: &Account,
    redactor: &Redactor,
) -> Result<Response, LoginError> {
    let request = login_request(base_url, profile, account)?;
    let url = request.url.clone();
    let resp = match client.send(request).await.outcome {
        Ok(r) => r,
        // A certificate the run does not trust is said as it is, without "could not connect".
        Err(TransportError::Connect(why)) if why.contains(crate::tls::NOT_TRUSTED) => {
            return Err(LoginError::Unreachable(cannot_reach(base_url, &why)));
        }
        Err(e @ (TransportError::Connect(_) | TransportError::Timeout(_))) => {
            return Err(LoginError::Unreachable(cannot_reach(base_url, &e)));
        }
        Err(error @ TransportError::Dropped(_)) => return Err(LoginError::Dropped { url, error }),
    };
    let shown = redactor.apply(
        &String::from_utf8_lossy(&resp.body)
            .chars()
            .take(300)
            .collect::<String>(),
    );
    match resp.status {
        200..=299 => Ok(resp),
        404 | 405 => Err(LoginError::NotObtain {
            url,
            status: resp.status,
            profile: profile.name.clone(),
            shown,
        }),
        400..=499 => Err(LoginError::Refused(login_refused(
            account,
            &url,
            &resp.status,
            &shown,
            &profile.login_field,
        ))),
        status => Err(LoginError::Failed { url, status, shown }),
    }
}

/// The `access` token of a login's answer.
pub fn access_token(resp: &Response) -> Option<String> {
    resp.json()?.get("access")?.as_str().map(str::to_owned)
}

/// Everything a scenario needs to know about the target; shared by all scenarios of a run.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// Layout and dialect.
    pub profile: Profile,
    /// An existing active account.
    pub account: Account,
    /// An existing inactive account, for the inactive-user rows.
    pub inactive: Option<Account>,
    /// The inactive account's `user_id` claim, for forging its tokens.
    pub inactive_user_id: Option<String>,
    /// The server's HMAC secret (HS256, HS384, HS512), for forging tokens.
    pub signing_key: Option<Vec<u8>>,
    /// The server's private key (RS256, ES256, EdDSA), for forging tokens.
    pub private_key: Option<PrivateKey>,
    /// The server's public keys (a PEM file or its JWKS), to check its tokens and to forge
    /// the algorithm-confusion tokens.
    pub public_keys: Option<KeySet>,
    /// Longest a scenario may wait for a token to expire.
    pub max_wait: Duration,
    /// The HTTP client every scenario shares.
    pub client: Client,
    /// Hides the key and passwords in all output.
    pub redactor: Redactor,
}

impl Target {
    /// The redactor for these secrets.
    pub fn redactor_for(
        account: &Account,
        inactive: Option<&Account>,
        key: Option<&[u8]>,
        transport: &Transport,
    ) -> Redactor {
        // `${basic_credentials}` puts the password in a header, base64-encoded.
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", account.login, account.password));
        let mut secrets = vec![
            (account.password.clone(), "<password>"),
            (basic, "<basic credentials>"),
        ];
        if let Some(i) = inactive {
            secrets.push((i.password.clone(), "<inactive password>"));
        }
        if let Some(k) = key {
            secrets.push((String::from_utf8_lossy(k).into_owned(), "<signing key>"));
        }
        secrets.extend(transport.secrets());
        Redactor::new(secrets)
    }

    /// Whether tokens can be signed with the server's key, of whichever kind.
    pub fn can_sign(&self) -> bool {
        self.signing_key.is_some() || self.private_key.is_some()
    }

    /// An absolute URL for a path of the profile.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The absolute URL of an endpoint.
    pub fn endpoint_url(&self, endpoint: Endpoint) -> Result<String, NoEndpoint> {
        Ok(self.url(path_of(&self.profile, endpoint)?))
    }

    /// A request to an endpoint, to be given headers and a body.
    pub fn request(&self, method: &str, endpoint: Endpoint) -> Result<Request, NoEndpoint> {
        Ok(Request::new(method, self.endpoint_url(endpoint)?))
    }

    /// `POST` to an endpoint.
    pub fn post(&self, endpoint: Endpoint) -> Result<Request, NoEndpoint> {
        self.request("POST", endpoint)
    }

    /// The login of the account: `POST` its credentials as JSON to the obtain endpoint.
    pub fn login(&self) -> Result<Request, NoEndpoint> {
        login_request(&self.base_url, &self.profile, &self.account)
    }
}

/// The HMAC secret, the private key and the public keys the user gave.
pub type GivenKeys = (Option<Vec<u8>>, Option<PrivateKey>, Option<KeySet>);

/// Why the keys given on the command line cannot be used (exit code 2); each names the option
/// to fix.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Key files for an HMAC profile.
    #[error(
        "--signing-key-file and --verifying-key-file are for RS256, ES256 and EdDSA, but profile {profile} declares {alg} \
         (set [tokens] algorithm in the profile; an HMAC secret goes in --signing-key)"
    )]
    FilesForHmac {
        /// The profile's name.
        profile: String,
        /// What it declares.
        alg: Algorithm,
    },
    /// An HMAC secret for an asymmetric profile.
    #[error(
        "--signing-key is an HMAC secret, but profile {profile} declares {alg}: give the server's private key with --signing-key-file"
    )]
    SecretForAsymmetric {
        /// The profile's name.
        profile: String,
        /// What it declares.
        alg: Algorithm,
    },
    /// Two sources of the public key.
    #[error(
        "profile {0} names a jwks_url and --verifying-key-file gives a key too: give one of them"
    )]
    TwoPublicKeys(String),
    /// A key file that cannot be read.
    #[error("cannot read {flag} {}: {source}", path.display())]
    Unreadable {
        /// The option.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file that holds no usable key.
    #[error("{flag} {}: {source}", path.display())]
    Invalid {
        /// The option.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: keys::KeyError,
    },
    /// A key of another type than the profile's algorithm signs with.
    #[error(
        "{flag} {} holds an {} key, but profile {profile} declares {alg}, which signs with an {} key",
        path.display(),
        found.name(),
        wanted.name()
    )]
    WrongType {
        /// The option.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What it holds.
        found: KeyType,
        /// The profile's name.
        profile: String,
        /// What it declares.
        alg: Algorithm,
        /// What that signs with.
        wanted: KeyType,
    },
    /// A private and a public key that do not belong together.
    #[error("--signing-key-file and --verifying-key-file are not the two halves of one key pair")]
    NotAPair,
}

/// The keys given on the command line, read and checked against the profile's algorithm:
/// (the HMAC secret, the private key, the public key).
pub fn read_keys(
    profile: &Profile,
    signing_key: Option<&str>,
    signing_key_file: Option<&Path>,
    verifying_key_file: Option<&Path>,
) -> Result<GivenKeys, KeysError> {
    let alg = profile.algorithm;
    let name = || profile.name.clone();
    let Some(key_type) = alg.key_type() else {
        if signing_key_file.is_some() || verifying_key_file.is_some() {
            return Err(KeysError::FilesForHmac {
                profile: name(),
                alg,
            });
        }
        return Ok((signing_key.map(|k| k.as_bytes().to_vec()), None, None));
    };
    if signing_key.is_some() {
        return Err(KeysError::SecretForAsymmetric {
            profile: name(),
            alg,
        });
    }
    if verifying_key_file.is_some() && profile.jwks_url.is_some() {
        return Err(KeysError::TwoPublicKeys(name()));
    }
    let read = |flag: &'static str, path: &Path| {
        std::fs::read(path).map_err(|source| KeysError::Unreadable {
            flag,
            path: path.to_path_buf(),
            source,
        })
    };
    let invalid =
        |flag: &'static str, path: PathBuf| move |source| KeysError::Invalid { flag, path, source };
    let fits = |flag: &'static str, path: &Path, found: KeyType| {
        if found == key_type {
            Ok(())
        } else {
            Err(KeysError::WrongType {
                flag,
                path: path.to_path_buf(),
                found,
                profile: name(),
                alg,
                wanted: key_type,
            })
        }
    };
    let private = signing_key_file
        .map(|path| {
            let flag = "--signing-key-file";
            let key = PrivateKey::from_pem(&read(flag, path)?)
                .map_err(invalid(flag, path.to_path_buf()))?;
            fits(flag, path, key.key_type).map(|()| key)
        })
        .transpose()?;
    let public = verifying_key_file
        .map(|path| {
            let flag = "--verifying-key-file";
            let key = PublicKey::from_pem(&read(flag, path)?)
                .map_err(invalid(flag, path.to_path_buf()))?;
            fits(flag, path, key.key_type)
                .map(|()| KeySet::single(key, format!("{flag} {}", path.display())))
        })
        .transpose()?;
    if let (Some(sk), Some(pk)) = (&private, &public)
        && pk.keys.first().is_some_and(|k| k.jwk != sk.public().jwk)
    {
        return Err(KeysError::NotAPair);
    }
    Ok((None, private, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redactor_hides_passwords_basic_credentials_and_header_values() {
        let account = Account {
            login: "erin".into(),
            password: "erin-pw-1".into(),
        };
        let transport = Transport::new(&crate::tls::TransportOptions {
            headers: vec!["X-Api-Key: gw-secret-4711".into()],
            ..Default::default()
        })
        .expect("valid");
        let r = Target::redactor_for(&account, None, Some(b"the-key-0123"), &transport);
        let shown =
            r.apply("erin-pw-1 Basic ZXJpbjplcmluLXB3LTE= the-key-0123 x-api-key: gw-secret-4711");
        assert_eq!(
            shown,
            "<password> Basic <basic credentials> <signing key> x-api-key: <--header value>"
        );
    }

    #[test]
    fn keys_must_fit_the_declared_algorithm() {
        let data = |name: &str| {
            std::path::PathBuf::from(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR")))
        };
        let (rs_private, rs_public, es_public) = (
            data("rs256-private.pem"),
            data("rs256-public.pem"),
            data("es256-public.pem"),
        );
        let hs = Profile::classic();
        let mut rs = Profile::classic();
        rs.algorithm = crate::keys::Algorithm::Rs256;
        let (secret, _, _) = read_keys(&hs, Some("k"), None, None).expect("HS256");
        assert_eq!(secret.as_deref(), Some(&b"k"[..]));
        let err = read_keys(&hs, None, Some(&rs_private), None)
            .expect_err("HS256 with a PEM")
            .to_string();
        assert!(err.contains("declares HS256"), "{err}");
        let err = read_keys(&rs, Some("k"), None, None)
            .expect_err("RS256 with a secret")
            .to_string();
        assert!(err.contains("--signing-key-file"), "{err}");
        let err = read_keys(&rs, None, None, Some(&es_public))
            .expect_err("an EC key")
            .to_string();
        assert!(err.contains("EC P-256"), "{err}");
        let err = read_keys(&rs, None, Some(&data("missing.pem")), None)
            .expect_err("missing")
            .to_string();
        assert!(err.starts_with("cannot read --signing-key-file"), "{err}");
        let (_, private, public) =
            read_keys(&rs, None, Some(&rs_private), Some(&rs_public)).expect("a key pair");
        assert!(private.is_some() && public.is_some());
        let err = read_keys(&rs, None, None, Some(&rs_private))
            .expect_err("a private key")
            .to_string();
        assert!(
            err.contains("private key where the public key belongs"),
            "{err}"
        );
    }
}
