//! JWTs: minting token pairs and verifying them in simplejwt's order of checks, with the one
//! algorithm and key the server is configured with (HS256 by default).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::blacklist::Blacklist;
use crate::keys::{Algorithm, Signer};

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

/// The names of the claims simplejwt lets a deployment rename (`USER_ID_CLAIM`,
/// `TOKEN_TYPE_CLAIM`, `JTI_CLAIM`); the defaults are simplejwt's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNames {
    pub user_id: String,
    pub token_type: String,
    pub jti: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            user_id: "user_id".to_owned(),
            token_type: "token_type".to_owned(),
            jti: "jti".to_owned(),
        }
    }
}

/// Claims in simplejwt's order: token_type, exp, iat, jti, user_id (under their configured
/// names).
struct MintedClaims<'a> {
    names: &'a ClaimNames,
    token_type: &'a str,
    exp: i64,
    iat: i64,
    jti: String,
    user_id: Option<&'a Value>,
}

impl Serialize for MintedClaims<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(&self.names.token_type, self.token_type)?;
        map.serialize_entry("exp", &self.exp)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry(&self.names.jti, &self.jti)?;
        if let Some(user_id) = self.user_id {
            map.serialize_entry(&self.names.user_id, user_id)?;
        }
        map.end()
    }
}

/// The claims `verify` reads; any others are ignored. Values stay JSON so that a claim of
/// the wrong type is refused by the check that reads it, in simplejwt's order. A member
/// that is `null` counts as absent.
#[derive(Debug, Default)]
struct Payload {
    token_type: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
    nbf: Option<Value>,
    jti: Option<Value>,
    user_id: Option<Value>,
    aud: Option<Value>,
}

/// A member name of the claims: the ones `verify` reads, without allocating, or another.
enum Member {
    TokenType,
    Exp,
    Iat,
    Nbf,
    Jti,
    UserId,
    Aud,
    Other(String),
}

/// Reads a member name as a [`Member`], under the configured claim names.
struct MemberSeed<'a>(&'a ClaimNames);

impl<'de> de::DeserializeSeed<'de> for MemberSeed<'_> {
    type Value = Member;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Member, D::Error> {
        struct Name<'a>(&'a ClaimNames);
        impl Visitor<'_> for Name<'_> {
            type Value = Member;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Member, E> {
                let names = self.0;
                Ok(match name {
                    "exp" => Member::Exp,
                    "iat" => Member::Iat,
                    "nbf" => Member::Nbf,
                    "aud" => Member::Aud,
                    _ if name == names.token_type => Member::TokenType,
                    _ if name == names.jti => Member::Jti,
                    _ if name == names.user_id => Member::UserId,
                    other => Member::Other(other.to_owned()),
                })
            }
        }
        deserializer.deserialize_str(Name(self.0))
    }
}

/// Reads the claims as a [`Payload`], under the configured claim names.
struct PayloadSeed<'a>(&'a ClaimNames);

impl<'de> de::DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Payload;
    /// A JSON object in which no member name occurs twice (CONTRACT.md TOK-15: refused, the
    /// same way whatever the header); the values kept are read with [`Unique`].
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Payload, D::Error> {
        struct Claims<'a>(&'a ClaimNames);
        impl<'de> Visitor<'de> for Claims<'_> {
            type Value = Payload;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Payload, A::Error> {
                let mut payload = Payload::default();
                let mut seen: [bool; 7] = [false; 7];
                let mut others: Vec<String> = Vec::new();
                while let Some(member) = map.next_key_seed(MemberSeed(self.0))? {
                    let (index, slot) = match member {
                        Member::TokenType => (0, &mut payload.token_type),
                        Member::Exp => (1, &mut payload.exp),
                        Member::Iat => (2, &mut payload.iat),
                        Member::Nbf => (3, &mut payload.nbf),
                        Member::Jti => (4, &mut payload.jti),
                        Member::UserId => (5, &mut payload.user_id),
                        Member::Aud => (6, &mut payload.aud),
                        Member::Other(name) => {
                            if others.contains(&name) {
                                return Err(de::Error::custom("duplicate member"));
                            }
                            others.push(name);
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    if std::mem::replace(&mut seen[index], true) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    let Unique(value) = map.next_value()?;
                    *slot = Some(value).filter(|value| !value.is_null());
                }
                Ok(payload)
            }
        }
        deserializer.deserialize_map(Claims(self.0))
    }
}

/// A JSON value in which no object, at any depth, names a member twice.
struct Unique(Value);

impl<'de> de::Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Unique, D::Error> {
        deserializer.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, value: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(value)))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }
    fn visit_u64<E>(self, value: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }
    fn visit_f64<E>(self, value: f64) -> Result<Unique, E> {
        Ok(Unique(Value::from(value)))
    }
    fn visit_str<E>(self, value: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(value.to_owned())))
    }
    fn visit_string<E>(self, value: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(value)))
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Unique, D::Error> {
        de::Deserialize::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut items = Vec::new();
        while let Some(Unique(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Unique(Value::Array(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let Unique(value) = map.next_value()?;
            if members.insert(name, value).is_some() {
                return Err(de::Error::custom("duplicate member"));
            }
        }
        Ok(Unique(Value::Object(members)))
    }
}

/// A header other than the server's own: a JSON object without duplicate names, `alg`
/// exactly the configured algorithm (TOK-16, TOK-21: never one the header chooses), no `crit`
/// whatever its value (TOK-14). Nothing else in it is read: `kid`, `jku`, `x5u`, `jwk`, `x5c`
/// never choose a key (TOK-13), `typ` is not checked (as PyJWT).
fn check_header(segment: &str, algorithm: Algorithm) -> Result<(), TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| TokenError::Invalid)?;
    let Ok(Unique(Value::Object(header))) = serde_json::from_slice::<Unique>(&bytes) else {
        return Err(TokenError::Invalid);
    };
    if header.get("alg").and_then(Value::as_str) != Some(algorithm.name())
        || header.contains_key("crit")
    {
        return Err(TokenError::Invalid);
    }
    Ok(())
}

/// Mints and verifies tokens with one algorithm and key. Everything costly is built once, in
/// [`Tokens::new`] or [`Tokens::with_signer`].
pub struct Tokens {
    signer: Signer,
    algorithm: Algorithm,
    /// base64url of `{"alg":"<algorithm>","typ":"JWT"}`: simplejwt's header, byte for byte.
    header: String,
    /// The names of the claims that may be renamed.
    names: ClaimNames,
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
        Tokens::with_signer(
            Algorithm::Hs256,
            Signer::hmac(Algorithm::Hs256, key),
            settings,
        )
    }

    /// Tokens signed and checked with `algorithm` and `signer` (which must be of that
    /// algorithm: [`Signer::hmac`] or [`Signer::key_pair`]).
    pub fn with_signer(algorithm: Algorithm, signer: Signer, settings: TokenSettings) -> Tokens {
        let header = if algorithm == Algorithm::Hs256 {
            HEADER_SEGMENT.to_owned()
        } else {
            URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{}","typ":"JWT"}}"#, algorithm.name()))
        };
        Tokens {
            signer,
            algorithm,
            header,
            names: ClaimNames::default(),
            settings,
            blacklist: Blacklist::default(),
        }
    }

    /// The same, writing and reading the claims under these names.
    pub fn with_claim_names(mut self, names: ClaimNames) -> Tokens {
        self.names = names;
        self
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

    /// Signature and format: one reading for every token. Every token this server mints has
    /// the same header bytes, which need no reading; any other header is read by
    /// [`check_header`]. Then the signature over `header.payload` with the configured
    /// algorithm and key (an HMAC keyed once at start, or the key pair's public key), and the
    /// claims, read the same way whatever the header was.
    fn decode(&self, token: &str) -> Result<Payload, TokenError> {
        let (header, rest) = token.split_once('.').ok_or(TokenError::Invalid)?;
        if header != self.header {
            check_header(header, self.algorithm)?;
        }
        let (payload, signature) = rest.split_once('.').ok_or(TokenError::Invalid)?;
        let signed = &token[..header.len() + 1 + payload.len()];
        // HMAC signatures fit on the stack; RSA ones (up to 8192 bits) do not.
        let genuine = if self.algorithm.is_hmac() {
            let mut given = [0u8; 64];
            let n = URL_SAFE_NO_PAD
                .decode_slice(signature, &mut given)
                .map_err(|_| TokenError::Invalid)?;
            // Constant-time, and a signature of any other length fails.
            self.signer.verify(signed.as_bytes(), &given[..n])
        } else {
            let given = URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| TokenError::Invalid)?;
            self.signer.verify(signed.as_bytes(), &given)
        };
        if !genuine {
            return Err(TokenError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Invalid)?;
        let mut reader = serde_json::Deserializer::from_slice(&bytes);
        let payload = de::DeserializeSeed::deserialize(PayloadSeed(&self.names), &mut reader)
            .and_then(|payload| reader.end().map(|()| payload))
            .map_err(|_| TokenError::Invalid)?;
        // An `aud` this server does not expect is refused (as PyJWT and jsonwebtoken do).
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
            names: &self.names,
            token_type,
            exp: (now + lifetime.as_secs_f64()).floor() as i64,
            iat: now.floor() as i64,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id,
        };
        // Serialising a struct of strings and integers cannot fail; an empty payload would
        // only produce a token that every check refuses.
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let mut token = format!("{}.{}", self.header, URL_SAFE_NO_PAD.encode(payload));
        let signature = URL_SAFE_NO_PAD.encode(self.signer.sign(token.as_bytes()));
        token.push('.');
        token.push_str(&signature);
        token
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
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

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

    /// jsonwebtoken's answer on signature and format with the unit-test key, time claims
    /// left to `verify` (its default leeway is 60 s).
    fn library_accepts(token: &str) -> bool {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation};
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Map<String, Value>>(
            token,
            &DecodingKey::from_secret(b"unit-test-key"),
            &validation,
        )
        .is_ok()
    }

    /// `header` and `payload` given as JSON text (so members may repeat), signed with the
    /// unit-test key.
    fn sign_text(header: &str, payload: &str) -> String {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"unit-test-key")
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        mac.update(message.as_bytes());
        format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    const OWN_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    #[test]
    fn every_header_gets_the_same_reading_of_the_claims() {
        let t = tokens(false, false);
        let now = now();
        let (exp, iat) = (now + 60, now);
        let claims =
            |inner: &str| format!(r#"{{{inner},"exp":{exp},"iat":{iat},"jti":"j","user_id":"1"}}"#);
        let payloads = [
            claims(r#""token_type":"access""#),
            claims(r#""token_type":"refresh""#),
            // Duplicates: refused, whichever member comes last.
            claims(r#""token_type":"refresh","token_type":"access""#),
            claims(r#""token_type":"access","token_type":"refresh""#),
            claims(r#""token_type":"access","x":1,"x":2"#),
            claims(r#""token_type":"access","user_id":{"a":1,"a":2}"#),
            format!(r#"{{"token_type":"access","exp":{exp},"exp":{exp},"jti":"j"}}"#),
            // Values of the wrong type or case.
            claims(r#""token_type":1"#),
            claims(r#""token_type":["access"]"#),
            claims(r#""token_type":"Access""#),
            claims(r#""token_type":null"#),
            claims(r#""token_type":"access","aud":"x""#),
            r#"["access",1]"#.to_owned(),
            "{".to_owned(),
        ];
        let headers = [
            OWN_HEADER,
            r#"{"typ":"JWT","alg":"HS256"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"HS256","typ":"JWT","kid":"0"}"#,
            r#"{"alg":"HS256","typ":"JWT","kid":"../../../../dev/null"}"#,
            r#"{"alg":"HS256","typ":"JWT","jku":"http://127.0.0.1:9/jwks.json"}"#,
            r#"{"alg":"HS256","typ":"JWT","x5u":"http://127.0.0.1:9/cert.pem"}"#,
            r#"{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","k":"AAAA"}}"#,
            r#"{"alg":"HS256","typ":"JWT","x5c":["MIIB"]}"#,
        ];
        for payload in &payloads {
            let own = sign_text(OWN_HEADER, payload);
            for header in headers {
                let token = sign_text(header, payload);
                for expect in [Expect::Access, Expect::Refresh, Expect::Any] {
                    assert_eq!(
                        t.verify(&token, expect),
                        t.verify(&own, expect),
                        "{header} {payload} {expect:?}"
                    );
                }
            }
        }
        let access = sign_text(OWN_HEADER, &payloads[0]);
        assert!(t.verify(&access, Expect::Access).is_ok());
        for duplicated in &payloads[2..7] {
            assert_eq!(
                t.verify(&sign_text(OWN_HEADER, duplicated), Expect::Any),
                Err(TokenError::Invalid),
                "{duplicated}"
            );
        }
        for (payload, expected) in [
            (&payloads[7], TokenError::WrongType),
            (&payloads[8], TokenError::WrongType),
            (&payloads[9], TokenError::WrongType),
            (&payloads[10], TokenError::NoType),
        ] {
            assert_eq!(
                t.verify(&sign_text(OWN_HEADER, payload), Expect::Access),
                Err(expected),
                "{payload}"
            );
        }
        // Where jsonwebtoken has an answer (no duplicates), it is the same.
        for header in &headers[1..] {
            for payload in [&payloads[0], &payloads[7], &payloads[11], &payloads[12]] {
                let token = sign_text(header, payload);
                assert_eq!(
                    t.decode(&token).is_ok(),
                    library_accepts(&token),
                    "{header} {payload}"
                );
            }
        }
    }

    #[test]
    fn headers_that_would_change_the_meaning_are_refused() {
        let t = tokens(false, false);
        let now = now();
        let payload = format!(r#"{{"token_type":"access","exp":{},"jti":"j"}}"#, now + 60);
        assert!(
            t.verify(&sign_text(OWN_HEADER, &payload), Expect::Access)
                .is_ok()
        );
        for header in [
            r#"{"alg":"HS256","typ":"JWT","crit":["exp"]}"#,
            r#"{"alg":"HS256","typ":"JWT","crit":[]}"#,
            r#"{"alg":"HS256","typ":"JWT","crit":null}"#,
            r#"{"alg":"HS256","typ":"JWT","b64":false,"crit":["b64"]}"#,
            r#"{"alg":"hs256","typ":"JWT"}"#,
            r#"{"alg":"HS256 ","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":["HS256"],"typ":"JWT"}"#,
            r#"{"typ":"JWT"}"#,
            r#"{"alg":"HS256","alg":"HS256"}"#,
            r#"{"alg":"none","alg":"HS256"}"#,
            r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
            r#"{"alg":"HS256","kid":"a","kid":"b"}"#,
            r#"["HS256"]"#,
            "",
        ] {
            assert_eq!(
                t.verify(&sign_text(header, &payload), Expect::Access),
                Err(TokenError::Invalid),
                "{header}"
            );
        }
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
                library_accepts(token),
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
            format!(
                "{message}.{}",
                URL_SAFE_NO_PAD.encode(t.signer.sign(message.as_bytes()))
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

    fn key_pair_tokens(algorithm: Algorithm, private: &str, public: &str) -> Tokens {
        let data = |name: &str| {
            std::path::PathBuf::from(format!(
                "{}/../conformance/tests/data/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
        };
        let signer = Signer::key_pair(algorithm, &data(private), Some(&data(public)))
            .unwrap_or_else(|e| panic!("{algorithm}: {e}"));
        Tokens::with_signer(
            algorithm,
            signer,
            TokenSettings {
                access_lifetime: Duration::from_secs(300),
                refresh_lifetime: Duration::from_secs(86_400),
                leeway: Duration::ZERO,
                rotate_refresh_tokens: false,
                blacklist_after_rotation: false,
            },
        )
    }

    #[test]
    fn asymmetric_tokens_verify_only_under_the_configured_algorithm_and_key() {
        for (algorithm, private, public) in [
            (Algorithm::Rs256, "rs256-private.pem", "rs256-public.pem"),
            (Algorithm::Es256, "es256-private.pem", "es256-public.pem"),
            (Algorithm::EdDsa, "eddsa-private.pem", "eddsa-public.pem"),
        ] {
            let tokens = key_pair_tokens(algorithm, private, public);
            let pair = tokens.obtain_pair(1);
            let header = pair.access.split('.').next().unwrap_or_default();
            let header = URL_SAFE_NO_PAD.decode(header).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&header),
                format!(r#"{{"alg":"{algorithm}","typ":"JWT"}}"#)
            );
            assert!(
                tokens.verify(&pair.access, Expect::Access).is_ok(),
                "{algorithm}"
            );
            assert!(
                tokens.verify(&pair.refresh, Expect::Refresh).is_ok(),
                "{algorithm}"
            );
            // Algorithm confusion: HS256 keyed with the public key's PEM text, and its DER.
            let pem = std::fs::read(format!(
                "{}/../conformance/tests/data/{public}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap_or_default();
            let payload = pair.access.split('.').nth(1).unwrap_or_default();
            let input = format!("{HEADER_SEGMENT}.{payload}");
            for secret in [pem.clone(), pem[..pem.len() - 1].to_vec()] {
                let sig = Signer::hmac(Algorithm::Hs256, &secret).sign(input.as_bytes());
                let confused = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig));
                assert_eq!(
                    tokens.verify(&confused, Expect::Access),
                    Err(TokenError::Invalid),
                    "{algorithm}"
                );
            }
            // Another algorithm named in the header, with this very signature: refused.
            let (signed, signature) = pair.access.rsplit_once('.').unwrap_or_default();
            let (_, payload) = signed.split_once('.').unwrap_or_default();
            for other in [
                "RS512",
                "PS256",
                "ES384",
                "HS256",
                "none",
                &algorithm.name().to_lowercase(),
            ] {
                let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{other}","typ":"JWT"}}"#));
                let renamed = format!("{header}.{payload}.{signature}");
                assert_eq!(
                    tokens.verify(&renamed, Expect::Access),
                    Err(TokenError::Invalid),
                    "{algorithm} as {other}"
                );
            }
            // A flipped byte of the signature.
            let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
            sig[0] ^= 1;
            let flipped = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig));
            assert_eq!(
                tokens.verify(&flipped, Expect::Access),
                Err(TokenError::Invalid)
            );
        }
    }

    #[test]
    fn hs512_tokens_name_their_algorithm() {
        let hs512 = Tokens::with_signer(
            Algorithm::Hs512,
            Signer::hmac(Algorithm::Hs512, b"unit-test-key"),
            tokens(false, false).settings.clone(),
        );
        let pair = hs512.obtain_pair(1);
        assert!(hs512.verify(&pair.access, Expect::Access).is_ok());
        assert_eq!(
            tokens(false, false).verify(&pair.access, Expect::Access),
            Err(TokenError::Invalid),
            "an HS256 server refuses HS512 tokens of the same key"
        );
    }
}
