//! JWTs: minting HS256 token pairs and verifying them in simplejwt's order of checks.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::blacklist::Blacklist;

/// base64url of `{"alg":"HS256","typ":"JWT"}`: simplejwt's header, byte for byte.
const HEADER_SEGMENT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// What a token is being used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Authenticating a request: `token_type` must be `access`.
    Access,
    /// Refreshing: `token_type` must be `refresh`, and the blacklist applies.
    Refresh,
    /// The verify endpoint: any type, even none (simplejwt's `UntypedToken`).
    Any,
}

/// Why a token was refused; `message()` is simplejwt's text for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("Token is invalid")]
    Invalid,
    #[error("Token is expired")]
    Expired,
    #[error("Token has no 'exp' claim")]
    NoExp,
    #[error("Token has no type")]
    NoType,
    #[error("Token has wrong type")]
    WrongType,
    #[error("Token has no id")]
    NoId,
    #[error("Token is blacklisted")]
    Blacklisted,
}

impl TokenError {
    /// simplejwt's message for this failure.
    pub fn message(self) -> &'static str {
        match self {
            TokenError::Invalid => "Token is invalid",
            TokenError::Expired => "Token is expired",
            TokenError::NoExp => "Token has no 'exp' claim",
            TokenError::NoType => "Token has no type",
            TokenError::WrongType => "Token has wrong type",
            TokenError::NoId => "Token has no id",
            TokenError::Blacklisted => "Token is blacklisted",
        }
    }
}

/// The claims of a token that passed [`Tokens::verify`].
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// Absent only for tokens verified with [`Expect::Any`].
    pub token_type: Option<String>,
    pub exp: i64,
    pub iat: Option<i64>,
    /// The `jti` claim as text (a non-string value is kept in its JSON form).
    pub jti: String,
    /// The `user_id` claim as sent: simplejwt writes a string, a number is accepted too.
    pub user_id: Option<Value>,
}

/// A freshly minted access + refresh pair.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub refresh: String,
    pub access: String,
}

/// The answer to a refresh: a new access token, and a new refresh token when rotating.
#[derive(Debug, Clone, Serialize)]
pub struct Refreshed {
    pub access: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
}

/// Lifetimes and refresh policy.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    pub leeway: Duration,
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
}

/// Claims in simplejwt's order: token_type, exp, iat, jti, user_id.
#[derive(Serialize)]
struct MintedClaims<'a> {
    token_type: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a Value>,
}

/// The claims `verify` reads; any others are ignored. Values stay JSON so that a claim of
/// the wrong type is refused by the check that reads it, in simplejwt's order.
#[derive(Debug, serde::Deserialize)]
struct Payload {
    token_type: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
    nbf: Option<Value>,
    jti: Option<Value>,
    user_id: Option<Value>,
    aud: Option<serde::de::IgnoredAny>,
}

/// Mints and verifies tokens with one key. Everything costly is built once, in [`Tokens::new`].
pub struct Tokens {
    signer: Hmac<Sha256>,
    decoding_key: DecodingKey,
    validation: Validation,
    settings: TokenSettings,
    blacklist: Blacklist,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// `key` is the HS256 secret (any length, as HMAC allows).
    pub fn new(key: &[u8], settings: TokenSettings) -> Tokens {
        // HMAC takes keys of any length, so this never fails; the fallback keeps it total.
        let signer = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        let mut validation = Validation::new(Algorithm::HS256);
        // Time claims are checked in `verify` (jsonwebtoken's `exp < now - leeway` lets a
        // token live one second past `exp`, and its default leeway is 60 s).
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims.clear();
        Tokens {
            signer,
            decoding_key: DecodingKey::from_secret(key),
            validation,
            settings,
            blacklist: Blacklist::default(),
        }
    }

    /// A pair for a user who just logged in; both share `iat`.
    pub fn obtain_pair(&self, user_id: u64) -> TokenPair {
        let now = now_seconds();
        let user_id = Value::String(user_id.to_string());
        TokenPair {
            refresh: self.mint(
                "refresh",
                now,
                self.settings.refresh_lifetime,
                Some(&user_id),
            ),
            access: self.mint("access", now, self.settings.access_lifetime, Some(&user_id)),
        }
    }

    /// Mints what a valid refresh token buys. With rotation the old token's `jti` is
    /// blacklisted first (when configured); losing that race to a concurrent refresh of the
    /// same token means it is already blacklisted.
    pub fn refresh(&self, refresh: &Claims) -> Result<Refreshed, TokenError> {
        let now = now_seconds();
        let user_id = refresh.user_id.as_ref();
        let access = self.mint("access", now, self.settings.access_lifetime, user_id);
        if !self.settings.rotate_refresh_tokens {
            return Ok(Refreshed {
                access,
                refresh: None,
            });
        }
        // Kept until the token could no longer pass the expiry check, leeway included.
        let forget_after = refresh
            .exp
            .saturating_add(self.settings.leeway.as_secs() as i64 + 1);
        if self.settings.blacklist_after_rotation
            && !self.blacklist.insert(&refresh.jti, forget_after, now)
        {
            return Err(TokenError::Blacklisted);
        }
        let rotated = self.mint("refresh", now, self.settings.refresh_lifetime, user_id);
        Ok(Refreshed {
            access,
            refresh: Some(rotated),
        })
    }

    /// Checks a token for a use, in simplejwt's order: signature and format, iat/nbf/exp
    /// (as PyJWT does), presence of `exp`, `token_type`, `jti`, then the blacklist.
    /// Users are not looked up here.
    pub fn verify(&self, token: &str, expected: Expect) -> Result<Claims, TokenError> {
        let payload = self.decode(token)?;
        let now = now_seconds();
        let leeway = self.settings.leeway.as_secs_f64();
        let iat = time_claim(payload.iat.as_ref())?;
        if iat.is_some_and(|iat| iat as f64 > now + leeway) {
            return Err(TokenError::Invalid);
        }
        if time_claim(payload.nbf.as_ref())?.is_some_and(|nbf| nbf as f64 > now + leeway) {
            return Err(TokenError::Invalid);
        }
        let exp = time_claim(payload.exp.as_ref())?;
        if exp.is_some_and(|exp| now >= exp as f64 + leeway) {
            return Err(TokenError::Expired);
        }
        let exp = exp.ok_or(TokenError::NoExp)?;
        let token_type = match payload.token_type {
            None => None,
            Some(Value::String(kind)) => Some(kind),
            Some(_) => Some(String::new()),
        };
        let wanted = match expected {
            Expect::Access => Some("access"),
            Expect::Refresh => Some("refresh"),
            Expect::Any => None,
        };
        if let Some(wanted) = wanted {
            match token_type.as_deref() {
                None => return Err(TokenError::NoType),
                Some(kind) if kind != wanted => return Err(TokenError::WrongType),
                Some(_) => {}
            }
        }
        let jti = match payload.jti {
            None => return Err(TokenError::NoId),
            Some(Value::String(jti)) => jti,
            Some(other) => other.to_string(),
        };
        if expected != Expect::Access && self.blacklist.contains(&jti) {
            return Err(TokenError::Blacklisted);
        }
        Ok(Claims {
            token_type,
            exp,
            iat,
            jti,
            user_id: payload.user_id,
        })
    }

    /// Signature and format. Every token this server mints has the same header bytes; those
    /// are checked here with the HMAC keyed once at start, which is all jsonwebtoken would do
    /// for them, at a third of its cost. Any other header goes through `jsonwebtoken::decode`,
    /// which decides what else is acceptable (a test holds the two paths to the same answers).
    fn decode(&self, token: &str) -> Result<Payload, TokenError> {
        let Some(rest) = token
            .strip_prefix(HEADER_SEGMENT)
            .and_then(|r| r.strip_prefix('.'))
        else {
            let claims = jsonwebtoken::decode::<Map<String, Value>>(
                token,
                &self.decoding_key,
                &self.validation,
            )
            .map_err(|err| token_error(err.kind()))?
            .claims;
            return serde_json::from_value(Value::Object(claims)).map_err(|_| TokenError::Invalid);
        };
        let (payload, signature) = rest.split_once('.').ok_or(TokenError::Invalid)?;
        let signed = &token[..HEADER_SEGMENT.len() + 1 + payload.len()];
        let mut given = [0u8; 64];
        let n = URL_SAFE_NO_PAD
            .decode_slice(signature, &mut given)
            .map_err(|_| TokenError::Invalid)?;
        let mut mac = self.signer.clone();
        mac.update(signed.as_bytes());
        // Constant-time, and a signature of any other length fails.
        mac.verify_slice(&given[..n])
            .map_err(|_| TokenError::Invalid)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Invalid)?;
        // Claims are a JSON object (serde would also read a struct from an array).
        if !bytes.trim_ascii_start().starts_with(b"{") {
            return Err(TokenError::Invalid);
        }
        let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| TokenError::Invalid)?;
        // jsonwebtoken refuses an `aud` the validation does not expect (so does PyJWT).
        if payload.aud.is_some() {
            return Err(TokenError::Invalid);
        }
        Ok(payload)
    }

    fn mint(
        &self,
        token_type: &str,
        now: f64,
        lifetime: Duration,
        user_id: Option<&Value>,
    ) -> String {
        let claims = MintedClaims {
            token_type,
            exp: (now + lifetime.as_secs_f64()).floor() as i64,
            iat: now.floor() as i64,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id,
        };
        // Serialising a struct of strings and integers cannot fail; an empty payload would
        // only produce a token that every check refuses.
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let mut token = format!("{HEADER_SEGMENT}.{}", URL_SAFE_NO_PAD.encode(payload));
        let mut mac = self.signer.clone();
        mac.update(token.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        token.push('.');
        token.push_str(&signature);
        token
    }
}

/// The one mapping from jsonwebtoken's errors to ours. Time claims are checked by
/// `verify` itself, so everything jsonwebtoken reports means "invalid".
fn token_error(kind: &ErrorKind) -> TokenError {
    tracing::debug!(error = ?kind, "token refused by jsonwebtoken");
    match kind {
        ErrorKind::ExpiredSignature => TokenError::Expired,
        _ => TokenError::Invalid,
    }
}

/// A NumericDate claim as whole seconds; a non-numeric value makes the token invalid
/// (PyJWT: "must be an integer").
fn time_claim(value: Option<&Value>) -> Result<Option<i64>, TokenError> {
    match value {
        None => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map(|v| v.trunc() as i64)
            })
            .map(Some)
            .ok_or(TokenError::Invalid),
        Some(_) => Err(TokenError::Invalid),
    }
}

/// Seconds since the epoch, with the fraction: `exp` is compared against it exactly.
pub(crate) fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(rotate: bool, blacklist: bool) -> Tokens {
        Tokens::new(
            b"unit-test-key",
            TokenSettings {
                access_lifetime: Duration::from_secs(300),
                refresh_lifetime: Duration::from_secs(86_400),
                leeway: Duration::ZERO,
                rotate_refresh_tokens: rotate,
                blacklist_after_rotation: blacklist,
            },
        )
    }

    fn payload_of(token: &str) -> Value {
        let segment = token.split('.').nth(1).unwrap_or_default();
        let bytes = URL_SAFE_NO_PAD.decode(segment).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    /// Signs arbitrary claims with the unit-test key, as an attacker holding the key could.
    fn forge(claims: &Value) -> String {
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        let message = format!("{HEADER_SEGMENT}.{body}");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"unit-test-key")
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        mac.update(message.as_bytes());
        format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// jsonwebtoken's answer on signature and format, with the server's validation.
    fn library_accepts(t: &Tokens, token: &str) -> bool {
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(
            token,
            &t.decoding_key,
            &t.validation,
        )
        .is_ok()
    }

    #[test]
    fn the_fast_path_accepts_exactly_what_jsonwebtoken_accepts() {
        let t = tokens(false, false);
        let pair = t.obtain_pair(1);
        let mut corpus = vec![
            pair.access.clone(),
            pair.refresh.clone(),
            forge(&serde_json::json!({"exp": 1, "aud": "x"})),
            forge(&serde_json::json!([1, 2])),
            forge(&serde_json::json!([
                "access",
                9_999_999_999_i64,
                1,
                null,
                "j",
                "1",
                null
            ])),
            format!("{}=", pair.access),
            format!("{}.", pair.access),
            format!("{}.x", pair.access),
            pair.access.replace('.', ".."),
        ];
        // Every single-character change in the payload and signature segments.
        for token in [&pair.access, &pair.refresh] {
            let start = HEADER_SEGMENT.len() + 1;
            for (i, original) in token.char_indices().skip(start) {
                for c in ['A', 'z', '0', '-', '_', '=', '.', '!', ' '] {
                    if c != original {
                        let mut changed = token.clone();
                        changed.replace_range(i..i + 1, &c.to_string());
                        corpus.push(changed);
                    }
                }
                let mut shorter = token.clone();
                shorter.remove(i);
                corpus.push(shorter);
            }
        }
        let mut accepted = 0;
        for token in &corpus {
            let fast = t.decode(token).is_ok();
            assert_eq!(
                fast,
                library_accepts(&t, token),
                "the two paths disagree on {token}"
            );
            accepted += usize::from(fast);
        }
        // The genuine tokens and the canonical-equal variants only (a changed last character
        // of the signature may leave the same bytes only if its unused bits are zero: never
        // accepted by the strict decoder both use).
        assert_eq!(accepted, 2, "only the two genuine tokens pass");
        // Claims the server must read the same way on both paths.
        let other_header = {
            let body = URL_SAFE_NO_PAD.encode(payload_of(&pair.access).to_string());
            let message = format!(
                "{}.{body}",
                URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"HS256"}"#)
            );
            let mut mac = t.signer.clone();
            mac.update(message.as_bytes());
            format!(
                "{message}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        };
        assert_eq!(
            t.verify(&other_header, Expect::Access),
            t.verify(&pair.access, Expect::Access)
        );
    }

    fn now() -> i64 {
        now_seconds() as i64
    }

    #[test]
    fn minted_tokens_have_simplejwt_header_and_claim_order() {
        let pair = tokens(false, false).obtain_pair(7);
        assert!(
            pair.access
                .starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.")
        );
        let segment = pair.access.split('.').nth(1).unwrap_or_default();
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(segment).unwrap_or_default())
            .unwrap_or_default();
        let keys: Vec<&str> = ["token_type", "exp", "iat", "jti", "user_id"]
            .into_iter()
            .filter(|key| text.contains(&format!("\"{key}\"")))
            .collect();
        assert_eq!(keys.len(), 5, "{text}");
        let positions: Vec<usize> = keys
            .iter()
            .filter_map(|key| text.find(&format!("\"{key}\"")))
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
        let access = payload_of(&pair.access);
        let refresh = payload_of(&pair.refresh);
        assert_eq!(access["user_id"], "7");
        assert_eq!(access["iat"], refresh["iat"]);
        assert_eq!(
            access["exp"].as_i64().unwrap_or(0) - access["iat"].as_i64().unwrap_or(0),
            300
        );
        assert_eq!(
            refresh["exp"].as_i64().unwrap_or(0) - refresh["iat"].as_i64().unwrap_or(0),
            86_400
        );
        let jti = access["jti"].as_str().unwrap_or_default();
        assert_eq!(jti.len(), 32);
        assert!(
            jti.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(access["jti"], refresh["jti"]);
    }

    #[test]
    fn each_token_verifies_only_for_its_use() {
        let tokens = tokens(false, false);
        let pair = tokens.obtain_pair(1);
        assert!(tokens.verify(&pair.access, Expect::Access).is_ok());
        assert!(tokens.verify(&pair.refresh, Expect::Refresh).is_ok());
        assert!(tokens.verify(&pair.refresh, Expect::Any).is_ok());
        assert_eq!(
            tokens.verify(&pair.refresh, Expect::Access),
            Err(TokenError::WrongType)
        );
        assert_eq!(
            tokens.verify(&pair.access, Expect::Refresh),
            Err(TokenError::WrongType)
        );
    }

    #[test]
    fn checks_run_in_simplejwt_order() {
        let tokens = tokens(false, false);
        let now = now();
        let valid = |claims: Value| tokens.verify(&forge(&claims), Expect::Access);
        assert_eq!(
            valid(serde_json::json!({"token_type":"refresh","exp":now - 1,"jti":"a"})),
            Err(TokenError::Expired)
        );
        assert_eq!(
            valid(serde_json::json!({"token_type":"access","exp":now})),
            Err(TokenError::Expired)
        );
        assert_eq!(
            valid(serde_json::json!({"token_type":"access","jti":"a"})),
            Err(TokenError::NoExp)
        );
        assert_eq!(
            valid(serde_json::json!({"exp":now + 60})),
            Err(TokenError::NoType)
        );
        assert_eq!(
            valid(serde_json::json!({"token_type":"refresh","exp":now + 60})),
            Err(TokenError::WrongType)
        );
        assert_eq!(
            valid(serde_json::json!({"token_type":"access","exp":now + 60})),
            Err(TokenError::NoId)
        );
        assert_eq!(
            valid(
                serde_json::json!({"token_type":"access","exp":now + 60,"jti":"a","nbf":now + 30})
            ),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            valid(
                serde_json::json!({"token_type":"access","exp":now + 60,"jti":"a","iat":now + 30})
            ),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            valid(serde_json::json!({"token_type":"access","exp":"soon","jti":"a"})),
            Err(TokenError::Invalid)
        );
        let claims =
            valid(serde_json::json!({"token_type":"access","exp":now + 60,"jti":"a","user_id":1}));
        assert_eq!(claims.map(|c| c.user_id), Ok(Some(serde_json::json!(1))));
        assert!(
            tokens
                .verify(
                    &forge(&serde_json::json!({"exp":now + 60,"jti":"a"})),
                    Expect::Any
                )
                .is_ok()
        );
    }

    #[test]
    fn leeway_extends_exp_nbf_and_iat() {
        let mut lenient = tokens(false, false);
        lenient.settings.leeway = Duration::from_secs(30);
        let now = now();
        let claims = serde_json::json!({"token_type":"access","exp":now - 10,"nbf":now + 10,"iat":now + 10,"jti":"a"});
        assert!(lenient.verify(&forge(&claims), Expect::Access).is_ok());
    }

    #[test]
    fn forged_and_malformed_tokens_are_invalid() {
        let tokens = tokens(false, false);
        let pair = tokens.obtain_pair(1);
        let mut parts: Vec<&str> = pair.access.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let hs512_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#);
        let unsigned = format!("{}.{}.", none_header, parts[1]);
        let other_alg = format!("{}.{}.{}", hs512_header, parts[1], parts[2]);
        let no_signature = format!("{}.{}.", parts[0], parts[1]);
        let two_parts = format!("{}.{}", parts[0], parts[1]);
        parts[1] = "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0";
        let tampered = parts.join(".");
        for token in [
            "",
            "garbage",
            "a.b.c",
            &unsigned,
            &other_alg,
            &no_signature,
            &two_parts,
            &tampered,
        ] {
            assert_eq!(
                tokens.verify(token, Expect::Access),
                Err(TokenError::Invalid),
                "{token}"
            );
        }
        let other_key = Tokens::new(b"other-key", tokens.settings.clone()).obtain_pair(1);
        assert_eq!(
            tokens.verify(&other_key.access, Expect::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn rotation_blacklists_the_old_refresh_once() {
        let tokens = tokens(true, true);
        let pair = tokens.obtain_pair(1);
        let old = tokens
            .verify(&pair.refresh, Expect::Refresh)
            .unwrap_or_else(|e| panic!("{e}"));
        let refreshed = tokens.refresh(&old).unwrap_or_else(|e| panic!("{e}"));
        let new_refresh = refreshed.refresh.unwrap_or_default();
        assert!(tokens.verify(&new_refresh, Expect::Refresh).is_ok());
        assert_eq!(
            tokens.verify(&pair.refresh, Expect::Refresh),
            Err(TokenError::Blacklisted)
        );
        assert_eq!(
            tokens.verify(&pair.refresh, Expect::Any),
            Err(TokenError::Blacklisted)
        );
        assert_eq!(
            tokens.refresh(&old).map(|_| ()),
            Err(TokenError::Blacklisted)
        );
        assert!(tokens.verify(&pair.access, Expect::Access).is_ok());
    }

    #[test]
    fn without_rotation_refresh_tokens_are_reusable() {
        let tokens = tokens(false, true);
        let pair = tokens.obtain_pair(1);
        let claims = tokens
            .verify(&pair.refresh, Expect::Refresh)
            .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..3 {
            let refreshed = tokens.refresh(&claims).unwrap_or_else(|e| panic!("{e}"));
            assert!(refreshed.refresh.is_none());
        }
        assert!(tokens.verify(&pair.refresh, Expect::Refresh).is_ok());
    }
}
