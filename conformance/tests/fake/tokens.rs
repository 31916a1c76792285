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

/// The compact JWS of `header` and `claims`, signed HS256 with the fake's key.
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

fn verifies(alg: &str, input: &str, signature: &[u8]) -> bool {
    macro_rules! with {
        ($digest:ty) => {
            <Hmac<$digest> as Mac>::new_from_slice(KEY.as_bytes()).is_ok_and(|mut mac| {
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

fn object(segment: &str) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&B64.decode(segment).ok()?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
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
            json!({"alg": "HS256"})
        } else {
            json!({"alg": "HS256", "typ": "JWT"})
        };
        sign(&header, &claims)
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
        if int("nbf").is_some_and(|nbf| nbf > now) && !self.has(Defect::NbfIgnored) {
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
        match int("exp") {
            None if self.has(Defect::TokensWithoutExpNeverExpire) => {}
            None => return Err(Refusal::NoExp),
            Some(exp) if exp_checked && now >= exp + leeway => return Err(Refusal::Expired),
            Some(_) => {}
        }
        let found = claims.get("token_type").and_then(Value::as_str);
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
        if !type_ok {
            return Err(Refusal::WrongType);
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

    /// Header and signature: three segments, `alg` HS256, the MAC of the first two.
    fn signed_claims(&self, token: &str) -> Result<Map<String, Value>, Refusal> {
        let segments: Vec<&str> = token.split('.').collect();
        let (header, payload, signature) = match segments[..] {
            [h, p, s] => (h, p, Some(s)),
            [h, p, s, ..] if self.has(Defect::ExtraSegmentsIgnored) => (h, p, Some(s)),
            [h, p] if self.has(Defect::SignatureCheckedIfPresent) => (h, p, None),
            _ => return Err(Refusal::Invalid),
        };
        let (Some(header_json), Some(claims)) = (object(header), object(payload)) else {
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
        let signature = B64.decode(signature).map_err(|_| Refusal::Invalid)?;
        let allowed = alg == "HS256" || self.has(Defect::AnyHmacAccepted);
        let input = format!("{header}.{payload}");
        let genuine = allowed && verifies(alg, &input, &signature);
        if genuine || (self.has(Defect::AnyWellFormedSignature) && signature.len() == 32) {
            Ok(claims)
        } else {
            Err(Refusal::Invalid)
        }
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
