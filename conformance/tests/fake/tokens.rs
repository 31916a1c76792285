//! HS256 tokens of the fake, written out with hmac + sha2 + base64: minting, and checking in
//! simplejwt's order (signature, times, type, jti), with simplejwt's refusal messages.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Sha256, Sha384, Sha512};

use super::{ACCESS_LIFETIME, App, Defect, KEY, REFRESH_LIFETIME};

/// What a token is presented for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// `Authorization: Bearer` on a protected endpoint: an access token.
    Authenticate,
    /// The refresh endpoint: a refresh token.
    Refresh,
    /// The verify endpoint: any genuine, unexpired token.
    Verify,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Invalid,
    Expired,
    NoExp,
    NoType,
    WrongType,
    NoId,
    Blacklisted,
    NoUser,
    UnknownUser,
    InactiveUser,
    /// Not a refusal: the server fell over (a defect), and answers 500.
    Crashed,
}

impl Refusal {
    /// simplejwt's message.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Invalid => "Token is invalid",
            Refusal::Expired => "Token is expired",
            Refusal::NoExp => "Token has no 'exp' claim",
            Refusal::NoType => "Token has no type",
            Refusal::WrongType => "Token has wrong type",
            Refusal::NoId => "Token has no id",
            Refusal::Blacklisted => "Token is blacklisted",
            Refusal::NoUser => "Token contained no recognizable user identification",
            Refusal::UnknownUser => "User not found",
            Refusal::InactiveUser => "User is inactive",
            Refusal::Crashed => "Server error.",
        }
    }
}

/// Seconds since the epoch, floored.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh `jti`.
pub fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The compact JWS of `header` and `claims`, signed HS256 with the fake's key (the mocks'
/// canned tokens, and the fake's in HS256 mode).
pub fn sign(header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let signature = <Hmac<Sha256> as Mac>::new_from_slice(KEY.as_bytes())
        .map(|mut mac| {
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default();
    format!("{input}.{}", B64.encode(signature))
}

/// Claims as simplejwt writes them (`user_id` a string).
pub fn claims(token_type: &str, user_id: &str, lifetime: i64, jti: &str) -> Value {
    let now = now();
    json!({
        "token_type": token_type,
        "exp": now + lifetime,
        "iat": now,
        "jti": jti,
        "user_id": user_id,
    })
}

fn verifies(key: &[u8], alg: &str, input: &str, signature: &[u8]) -> bool {
    macro_rules! with {
        ($digest:ty) => {
            <Hmac<$digest> as Mac>::new_from_slice(key).is_ok_and(|mut mac| {
                mac.update(input.as_bytes());
                mac.verify_slice(signature).is_ok()
            })
        };
    }
    match alg {
        "HS256" => with!(Sha256),
        "HS384" => with!(Sha384),
        "HS512" => with!(Sha512),
        _ => false,
    }
}

/// A segment's JSON object; a name given twice keeps its last value (as serde_json and
/// Python's json do), or (a defect) its first.
fn object(segment: &str, first_wins: bool) -> Option<Map<String, Value>> {
    let bytes = B64.decode(segment).ok()?;
    if first_wins {
        return serde_json::from_slice::<FirstWins>(&bytes)
            .ok()
            .map(|f| f.0);
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A JSON object read member by member, keeping the first value of a repeated name: what a
/// hand-written scanner that stops at the first match does.
struct FirstWins(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for FirstWins {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = FirstWins;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<FirstWins, A::Error> {
                let mut m = Map::new();
                while let Some((k, v)) = a.next_entry::<String, Value>()? {
                    m.entry(k).or_insert(v);
                }
                Ok(FirstWins(m))
            }
        }
        d.deserialize_map(Visitor)
    }
}

impl App {
    /// A token of this type for `user_id`; `jti: None` leaves the claim out.
    pub fn mint(&self, token_type: &str, user_id: &str, jti: Option<&str>) -> String {
        let lifetime = match token_type {
            "access" => ACCESS_LIFETIME,
            _ if self.has(Defect::RefreshLivesNoLonger) => ACCESS_LIFETIME,
            _ => REFRESH_LIFETIME,
        };
        let mut claims = claims(token_type, user_id, lifetime, jti.unwrap_or_default());
        if let Some(c) = claims.as_object_mut() {
            if jti.is_none() {
                c.remove("jti");
            }
            if self.has(Defect::NoIat) {
                c.remove("iat");
            }
        }
        let header = if self.has(Defect::HeaderWithoutTyp) {
            json!({"alg": self.header_alg()})
        } else {
            json!({"alg": self.header_alg(), "typ": "JWT"})
        };
        self.sign_token(&header, &claims)
    }

    /// The `alg` the fake writes into its headers.
    fn header_alg(&self) -> &'static str {
        match &self.rsa {
            // A header kept from the HS256 days, written by hand, while the signing changed.
            Some(_) if self.has(Defect::HeaderAlgWrittenByHand) => "HS256",
            Some(_) => "RS256",
            None => "HS256",
        }
    }

    /// The compact JWS of `header` and `claims` under the fake's key.
    fn sign_token(&self, header: &Value, claims: &Value) -> String {
        let Some(rsa) = &self.rsa else {
            return sign(header, claims);
        };
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = rsa.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(signature))
    }

    /// A token minted by the refresh endpoint, from the claims of the refresh token presented;
    /// the defects of refresh code paths live here.
    pub fn mint_on_refresh(
        &self,
        token_type: &str,
        user_id: &str,
        presented: &Map<String, Value>,
    ) -> String {
        let access = token_type == "access";
        let now = now();
        let lifetime = if access && !self.has(Defect::RefreshedAccessWithRefreshLifetime) {
            ACCESS_LIFETIME
        } else {
            REFRESH_LIFETIME
        };
        let copied = |name: &str| presented.get(name).cloned().unwrap_or(Value::Null);
        let jti = match token_type {
            "access" if self.has(Defect::RefreshedAccessCopiesJti) => copied("jti"),
            "refresh" if self.has(Defect::RotatedRefreshCopiesJti) => copied("jti"),
            _ => json!(new_jti()),
        };
        let iat = if access && self.has(Defect::RefreshedAccessIatCopied) {
            copied("iat")
        } else {
            json!(now)
        };
        let exp = if !access && self.has(Defect::RotatedRefreshKeepsExp) {
            copied("exp")
        } else {
            json!(now + lifetime)
        };
        let (exp, iat) = if access && self.has(Defect::RefreshedAccessFloatTimes) {
            (
                json!(now as f64 + lifetime as f64 + 0.25),
                json!(now as f64 + 0.25),
            )
        } else {
            (exp, iat)
        };
        let mut claims = json!({"token_type": token_type, "exp": exp, "iat": iat, "jti": jti, "user_id": user_id});
        if access
            && self.has(Defect::RefreshedAccessWithoutJti)
            && let Some(c) = claims.as_object_mut()
        {
            c.remove("jti");
        }
        let header = if access && self.has(Defect::RefreshedAccessHeaderWithoutTyp) {
            json!({"alg": self.header_alg()})
        } else {
            json!({"alg": self.header_alg(), "typ": "JWT"})
        };
        self.sign_token(&header, &claims)
    }

    /// A token pair for a user who has just logged in.
    pub fn mint_pair(&self, user: &super::Account) -> (String, String) {
        let access_jti = new_jti();
        let refresh_jti = if self.has(Defect::SharedJti) {
            access_jti.clone()
        } else {
            new_jti()
        };
        let id = user.id.to_string();
        let refresh_user = if self.has(Defect::RefreshTokenNamesUsername) {
            user.username
        } else {
            &id
        };
        (
            self.mint("access", &id, Some(&access_jti)),
            self.mint("refresh", refresh_user, Some(&refresh_jti)),
        )
    }

    /// The claims of `token` if it is genuine, in force and of the right type for `use_`.
    /// The user it names is the caller's business.
    pub fn check(&self, token: &str, use_: Use) -> Result<Map<String, Value>, Refusal> {
        let claims = self.signed_claims(token)?;
        if use_ == Use::Verify && self.has(Defect::VerifyChecksSignatureOnly) {
            return Ok(claims);
        }
        let now = now();
        let int = |name: &str| claims.get(name).and_then(Value::as_i64);
        let not_yet = |nbf: i64| {
            if self.has(Defect::NbfComparedBackwards) {
                nbf <= now
            } else {
                nbf > now
            }
        };
        if int("nbf").is_some_and(not_yet) && !self.has(Defect::NbfIgnored) {
            return Err(Refusal::Invalid);
        }
        // No audience is configured: a token that names one is not for this server (PyJWT).
        if claims.contains_key("aud") {
            return Err(Refusal::Invalid);
        }
        const KNOWN: [&str; 7] = ["token_type", "exp", "iat", "nbf", "aud", "jti", "user_id"];
        if self.has(Defect::UnknownClaimsRefused)
            && claims.keys().any(|k| !KNOWN.contains(&k.as_str()))
        {
            return Err(Refusal::Invalid);
        }
        // PyJWT, under stock simplejwt, refuses a token issued in the future.
        if int("iat").is_some_and(|iat| iat > now) {
            return Err(Refusal::Invalid);
        }
        let leeway = if use_ == Use::Authenticate && self.has(Defect::ExpiryLeeway60s) {
            60
        } else {
            0
        };
        let exp_checked = !(use_ == Use::Refresh && self.has(Defect::ExpiredRefreshAccepted));
        let type_first = use_ == Use::Refresh && self.has(Defect::TypeCheckedBeforeExpiry);
        if type_first {
            self.check_type(&claims, use_)?;
        }
        // A token is expired from the first instant of its exp second; the defect keeps it
        // through that second.
        let expired = |exp: i64| {
            if self.has(Defect::ExpiryWholeSeconds) {
                now > exp + leeway
            } else {
                now >= exp + leeway
            }
        };
        match int("exp") {
            None if self.has(Defect::TokensWithoutExpNeverExpire) => {}
            None => return Err(Refusal::NoExp),
            Some(exp) if exp_checked && expired(exp) => return Err(Refusal::Expired),
            Some(_) => {}
        }
        if !type_first {
            self.check_type(&claims, use_)?;
        }
        let has_jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .is_some_and(|j| !j.is_empty());
        if !has_jti && !self.has(Defect::JtiNotRequired) {
            return Err(Refusal::NoId);
        }
        Ok(claims)
    }

    /// `token_type` against the use.
    fn check_type(&self, claims: &Map<String, Value>, use_: Use) -> Result<(), Refusal> {
        let raw = claims.get("token_type");
        if raw.is_some_and(|t| !t.is_string()) && self.has(Defect::NonStringTokenTypeCrashes) {
            return Err(Refusal::Crashed);
        }
        let folded = raw.and_then(Value::as_str).map(|t| {
            if self.has(Defect::TokenTypeCaseInsensitive) {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            }
        });
        let found = folded.as_deref();
        let type_ok = match (use_, found) {
            (Use::Verify, _) => true,
            (Use::Authenticate, found) if self.has(Defect::TypeCheckedByExclusion) => {
                found != Some("refresh")
            }
            (Use::Refresh, found) if self.has(Defect::TypeCheckedByExclusion) => {
                found != Some("access")
            }
            (_, None) => return Err(Refusal::NoType),
            (Use::Authenticate, Some(t)) => {
                t == "access" || (t == "refresh" && self.has(Defect::RefreshTokenAuthenticates))
            }
            (Use::Refresh, Some(t)) => {
                t == "refresh" || (t == "access" && self.has(Defect::AccessTokenRefreshes))
            }
        };
        if type_ok {
            Ok(())
        } else {
            Err(Refusal::WrongType)
        }
    }

    /// The key a token is checked with: the fake's own, or (defects) one its header names or
    /// carries.
    fn key_for(&self, header: &Map<String, Value>) -> Vec<u8> {
        if self.has(Defect::EmbeddedJwkTrusted)
            && let Some(jwk) = header.get("jwk")
            && jwk.get("kty").and_then(Value::as_str) == Some("oct")
            && let Some(k) = jwk
                .get("k")
                .and_then(Value::as_str)
                .and_then(|k| B64.decode(k).ok())
        {
            return k;
        }
        if self.has(Defect::KidSelectsKey)
            && let Some(kid) = header.get("kid")
        {
            // The key file the kid names: only the fake's own has content.
            return if kid == "fake-key-1" {
                KEY.as_bytes().to_vec()
            } else {
                Vec::new()
            };
        }
        KEY.as_bytes().to_vec()
    }

    /// Header and signature: three segments, `alg` HS256, the MAC of the first two.
    fn signed_claims(&self, token: &str) -> Result<Map<String, Value>, Refusal> {
        let segments: Vec<&str> = token.split('.').collect();
        let (header, payload, signature) = match segments[..] {
            [h, p, s] => (h, p, Some(s)),
            [h, p, s, ..] if self.has(Defect::ExtraSegmentsIgnored) => (h, p, Some(s)),
            [h, p] if self.has(Defect::SignatureCheckedIfPresent) => (h, p, None),
            _ => return Err(Refusal::Invalid),
        };
        let first_wins = self.has(Defect::FirstDuplicateWins);
        let (Some(header_json), Some(claims)) =
            (object(header, first_wins), object(payload, first_wins))
        else {
            return Err(if self.has(Defect::GarbageTokenCrashes) {
                Refusal::Crashed
            } else {
                Refusal::Invalid
            });
        };
        let Some(signature) = signature.filter(|_| !self.has(Defect::SignatureNotChecked)) else {
            return Ok(claims);
        };
        let alg = header_json
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if alg.eq_ignore_ascii_case("none") && self.has(Defect::AlgNoneAccepted) {
            return Ok(claims);
        }
        // RFC 7515 §4.1.11: an extension the fake does not understand cannot be ignored.
        if header_json.contains_key("crit") && !self.has(Defect::CritIgnored) {
            return Err(Refusal::Invalid);
        }
        if self.has(Defect::HeaderParametersRefused)
            && header_json.keys().any(|k| k != "alg" && k != "typ")
        {
            return Err(Refusal::Invalid);
        }
        let signature = B64.decode(signature).map_err(|_| Refusal::Invalid)?;
        let alg = if self.has(Defect::AlgCaseInsensitive) {
            alg.to_ascii_uppercase()
        } else {
            alg.to_string()
        };
        let input = format!("{header}.{payload}");
        if let Some(rsa) = &self.rsa {
            return if self.rsa_verifies(rsa, &header_json, &alg, &input, &signature) {
                Ok(claims)
            } else {
                Err(Refusal::Invalid)
            };
        }
        let allowed = alg == "HS256" || self.has(Defect::AnyHmacAccepted);
        let genuine = allowed && verifies(&self.key_for(&header_json), &alg, &input, &signature);
        if genuine || (self.has(Defect::AnyWellFormedSignature) && signature.len() == 32) {
            Ok(claims)
        } else {
            Err(Refusal::Invalid)
        }
    }

    /// RS256 mode: whether the signature is genuine, as the fake (or its defect) checks it.
    fn rsa_verifies(
        &self,
        rsa: &super::asymmetric::RsaKeys,
        header: &Map<String, Value>,
        alg: &str,
        input: &str,
        signature: &[u8],
    ) -> bool {
        let input = input.as_bytes();
        if self.has(Defect::AlgFromHeader) {
            // PyJWT's `jwt.decode(token, PUBLIC_PEM, algorithms=[header["alg"]])`: the PEM
            // text goes to whichever algorithm the header names, HMAC included.
            return match alg {
                "HS256" | "HS384" | "HS512" => {
                    verifies(&rsa.pem, alg, &String::from_utf8_lossy(input), signature)
                }
                _ => rsa.verifies(alg, input, signature),
            };
        }
        if self.has(Defect::HmacKeyedWithPublicDer) && alg == "HS256" {
            // jsonwebtoken's `DecodingKey::from_secret(der)` under `Validation::new(header.alg)`.
            return verifies(&rsa.der, alg, &String::from_utf8_lossy(input), signature);
        }
        if self.has(Defect::HeaderAlgWrittenByHand) {
            // The header's alg is a constant nobody reads: RS256 is checked whatever it says.
            return rsa.verifies("RS256", input, signature);
        }
        if alg != "RS256" {
            return false;
        }
        if self.has(Defect::JwkHeaderKeyTrusted)
            && let Some(jwk) = header.get("jwk")
        {
            return super::asymmetric::verifies_with_jwk(jwk, input, signature);
        }
        if self.has(Defect::RsaSignatureLengthOnly) {
            return signature.len() == rsa.modulus_len();
        }
        rsa.verifies("RS256", input, signature)
    }

    /// The user a token names, if that user exists and is active.
    pub fn user_of(&self, claims: &Map<String, Value>) -> Result<super::Account, Refusal> {
        let id = match claims.get("user_id") {
            None | Some(Value::Null) if self.has(Defect::MissingUserIdAccepted) => {
                return Ok(super::ALICE);
            }
            None | Some(Value::Null) => return Err(Refusal::NoUser),
            Some(Value::String(s)) => s.parse::<u64>().ok(),
            Some(Value::Number(n)) if !self.has(Defect::NumericUserIdRefused) => n.as_u64(),
            Some(_) => None,
        };
        let user = match id.and_then(|id| self.store.user(id)) {
            Some(user) => user,
            // Takes the word of a correctly signed token that such a user exists.
            None if self.has(Defect::UnknownUserAccepted) => super::Account {
                id: id.unwrap_or_default(),
                username: "",
                email: "",
                password: "",
                active: true,
            },
            None => return Err(Refusal::UnknownUser),
        };
        if !user.active && !self.has(Defect::InactiveUserAccepted) {
            return Err(Refusal::InactiveUser);
        }
        Ok(user)
    }
}
