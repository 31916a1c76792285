//! The suite's own, independent handling of JWS compact tokens: decoding without verification,
//! HMAC signing, and the named derivations (`${access:alg-none}`, `${refresh:expired}`, ...) that
//! the features use to build forged and mangled tokens.
//!
//! Deliberately written against RFC 7515/7519 with `hmac` + `sha2`, not with a JWT library, so
//! that a bug shared with the server's library cannot hide.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};

use crate::{
    keys::{self, Algorithm, KeySet, PrivateKey},
    profile::WireNames,
};

/// A token split and decoded, without any verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
    /// The raw signature segment, as sent.
    pub signature: String,
}

/// Why a string is not a decodable JWS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not exactly three dot-separated segments.
    #[error("a JWS in compact form has 3 segments, this has {0}")]
    Segments(usize),
    /// A segment is not base64url.
    #[error("the {0} segment is not base64url")]
    Base64(&'static str),
    /// A segment does not hold a JSON object.
    #[error("the {0} segment is not a JSON object")]
    Json(&'static str),
}

/// Splits and decodes a compact JWS without checking its signature.
pub fn decode(token: &str) -> Result<Decoded, DecodeError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(DecodeError::Segments(parts.len()));
    };
    Ok(Decoded {
        header: segment_object(h, "header")?,
        claims: segment_object(p, "payload")?,
        signature: (*s).to_string(),
    })
}

fn segment_object(seg: &str, name: &'static str) -> Result<Map<String, Value>, DecodeError> {
    let bytes = B64.decode(seg).map_err(|_| DecodeError::Base64(name))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(DecodeError::Json(name)),
    }
}

/// Whether a string has the shape of a compact JWS whose header and payload are JSON objects.
pub fn looks_like_jwt(s: &str) -> bool {
    decode(s).is_ok()
}

/// base64url without padding, as JWS uses.
pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// HMAC algorithms the suite can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hs {
    /// HMAC-SHA256, the only one a conformant server accepts.
    Hs256,
    /// HMAC-SHA384.
    Hs384,
    /// HMAC-SHA512.
    Hs512,
}

impl Hs {
    /// The HMAC algorithm of a declared one.
    pub fn of(alg: Algorithm) -> Option<Hs> {
        match alg {
            Algorithm::Hs256 => Some(Hs::Hs256),
            Algorithm::Hs384 => Some(Hs::Hs384),
            Algorithm::Hs512 => Some(Hs::Hs512),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Hs::Hs256 => "HS256",
            Hs::Hs384 => "HS384",
            Hs::Hs512 => "HS512",
        }
    }
}

/// The MAC of `input` under `key`.
pub fn mac(alg: Hs, key: &[u8], input: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            // HMAC accepts keys of any length, the empty key included.
            let mut m = <Hmac<$d> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        Hs::Hs256 => run!(sha2::Sha256),
        Hs::Hs384 => run!(sha2::Sha384),
        Hs::Hs512 => run!(sha2::Sha512),
    }
}

/// Encodes header and claims and signs them.
pub fn sign(
    alg: Hs,
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    key: &[u8],
) -> String {
    let signing_input = format!("{}.{}", b64(&to_json(header)), b64(&to_json(claims)));
    let sig = mac(alg, key, signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig))
}

/// The HS256 JWS of header and claims given as JSON text (which may repeat a name).
pub fn sign_json_hs256(header: &[u8], claims: &[u8], key: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let sig = mac(Hs::Hs256, key, signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&sig))
}

/// A fresh HS256 token with simplejwt's header, for tests and properties.
pub fn sign_hs256(claims: &Map<String, Value>, key: &[u8]) -> String {
    sign(Hs::Hs256, &standard_header(Hs::Hs256), claims, key)
}

fn standard_header(alg: Hs) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), json!(alg.name()));
    h.insert("typ".into(), json!("JWT"));
    h
}

fn to_json(m: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(m).unwrap_or_default()
}

/// What a derivation may need beyond the token itself.
#[derive(Debug, Clone, Copy)]
pub struct Forge<'a> {
    /// The algorithm the deployment signs with.
    pub algorithm: Algorithm,
    /// The server's HMAC secret, when the user gave it.
    pub key: Option<&'a [u8]>,
    /// The server's private key (RS256, ES256, EdDSA), when the user gave it.
    pub private_key: Option<&'a PrivateKey>,
    /// The server's public keys, when the user gave them (a PEM file or the JWKS).
    pub public_keys: Option<&'a KeySet>,
    /// The server's clock now, in seconds since the epoch, as estimated from its own tokens.
    pub server_now: i64,
    /// The leeway the profile declares, in seconds.
    pub leeway: i64,
    /// The `user_id` of the inactive account, when the user gave it.
    pub inactive_user_id: Option<&'a str>,
    /// The claim names of the deployment (`user_id`, `token_type`, `jti` by default).
    pub names: &'a WireNames,
}

/// Why a derivation cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeriveError {
    /// The derivation signs with the server's key, which was not given.
    #[error(
        "forging `{0}` needs the server's signing key (--signing-key; --signing-key-file for RS256, ES256, EdDSA)"
    )]
    NeedsKey(String),
    /// The derivation is made from the server's public key, which was not given.
    #[error(
        "forging `{0}` needs the server's public key (--verifying-key-file, or jwks_url in the profile)"
    )]
    NeedsPublicKey(String),
    /// The derivation names the inactive account, whose id was not given.
    #[error("forging `{0}` needs the inactive account's user id (--inactive-user-id)")]
    NeedsInactiveUser(String),
    /// The derivation cannot apply to this token.
    #[error("cannot derive `{0}`: {1}")]
    NotApplicable(String, String),
    /// No derivation has this name.
    #[error("no token derivation is called `{0}`")]
    Unknown(String),
}

/// Every derivation name, for documentation and the property tests.
pub const DERIVATIONS: &[&str] = &[
    "alg-none",
    "alg-None",
    "alg-NONE",
    "alg-nOnE",
    "alg-none-keep-signature",
    "no-alg",
    "no-signature",
    "two-segments",
    "truncated-signature",
    "flipped-signature",
    "tampered",
    "tampered-user",
    "tampered-exp",
    "other-key",
    "empty-key",
    "garbage-header",
    "garbage-payload",
    "garbage-signature",
    "extra-segment",
    "non-json-payload",
    "non-json-header",
    "non-canonical-signature",
    "jwk-attacker",
    "jku-attacker",
    "kid-empty-key",
    // These sign with the server's key.
    "resigned",
    "expired",
    "nbf-future",
    "iat-future",
    "no-exp",
    "no-jti",
    "no-type",
    "no-user",
    "type-access",
    "type-refresh",
    "type-bogus",
    "alg-HS384",
    "alg-HS512",
    "unknown-user",
    "inactive-user",
    "numeric-user-id",
    "inactive-user-numeric",
    "user-id-list",
    "user-id-object",
    "nbf-past",
    "aud-other",
    "extra-claim",
    "expired-within-leeway",
    "nbf-within-leeway",
    "iat-within-leeway",
    "with-kid",
    "with-jku",
    "with-x5u",
    "with-jwk",
    "with-x5c",
    "crit",
    "alg-hs256",
    "type-Access",
    "type-ACCESS",
    "type-Refresh",
    "type-numeric",
    "dup-type-other-last",
    "dup-exp-past-last",
    "dup-alg-none-last",
    // These are for deployments that sign with RS256, ES256 or EdDSA.
    "hs256-public-pem",
    "hs256-public-der",
    "attacker-key",
    "attacker-key-jwk",
    "alg-PS256",
    "alg-RS512",
];

/// Why an asymmetric derivation does not apply to an HMAC deployment (the skip reason).
pub const NOT_ASYMMETRIC: &str =
    "the profile declares no asymmetric algorithm (RS256, ES256, EdDSA: [tokens] algorithm)";

/// The key an attacker signs with when a header parameter could make a server use it.
pub const ATTACKER_KEY: &[u8] = b"the-attackers-own-key-for-header-parameters";

/// The smallest declared leeway, in seconds, whose granting the suite checks: smaller ones
/// leave too little room around its estimate of the server's clock.
pub const MIN_LEEWAY_CHECKED: i64 = 4;

/// The audience of a token minted for another service that shares the key (TOK-23).
pub const OTHER_AUDIENCE: &str = "https://another-service.example/";

/// A claim no server knows, named collision-resistantly as RFC 7519 §4.2 asks (TOK-24).
pub const EXTRA_CLAIM: &str = "https://jwt-conformance.example/note";

/// A user id no deployment is expected to have.
pub const UNKNOWN_USER_ID: i64 = 987_654_321;

/// Builds the token named `name` from `token` (see [`DERIVATIONS`]).
pub fn derive(token: &str, name: &str, forge: &Forge<'_>) -> Result<String, DeriveError> {
    let not_applicable = |why: &str| DeriveError::NotApplicable(name.to_string(), why.to_string());
    let d = decode(token).map_err(|e| not_applicable(&e.to_string()))?;
    let mut segs = token.split('.');
    let (h, p, s) = match (segs.next(), segs.next(), segs.next()) {
        (Some(h), Some(p), Some(s)) => (h, p, s),
        _ => return Err(not_applicable("not three segments")),
    };
    let with_alg = |alg: &str| {
        let mut header = d.header.clone();
        header.insert("alg".into(), json!(alg));
        b64(&to_json(&header))
    };
    let claims_seg = |claims: &Map<String, Value>| b64(&to_json(claims));
    let out = match name {
        "alg-none" | "alg-None" | "alg-NONE" | "alg-nOnE" => {
            format!("{}.{p}.", with_alg(&name[4..]))
        }
        "alg-none-keep-signature" => format!("{}.{p}.{s}", with_alg("none")),
        "no-alg" => {
            let mut header = d.header.clone();
            header.remove("alg");
            format!("{}.{p}.{s}", b64(&to_json(&header)))
        }
        "no-signature" => format!("{h}.{p}."),
        "two-segments" => format!("{h}.{p}"),
        "truncated-signature" => {
            let keep = s.len().saturating_sub(4);
            format!("{h}.{p}.{}", &s[..keep])
        }
        "flipped-signature" => {
            let mut sig = B64
                .decode(s)
                .map_err(|_| not_applicable("signature is not base64url"))?;
            let Some(first) = sig.first_mut() else {
                return Err(not_applicable("empty signature"));
            };
            *first ^= 0x01;
            format!("{h}.{p}.{}", b64(&sig))
        }
        // A payload edited so that, were the signature not checked, the token would still
        // be valid: the only thing refusing it is the signature.
        "tampered" => {
            let mut claims = d.claims.clone();
            claims.insert(
                forge.names.jti_claim.as_str().into(),
                json!(uuid::Uuid::new_v4().simple().to_string()),
            );
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        "tampered-user" => {
            let mut claims = d.claims.clone();
            let uid = forge.names.user_id_claim.as_str();
            claims.insert(uid.into(), other_user_id(claims.get(uid)));
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        "tampered-exp" => {
            let mut claims = d.claims.clone();
            let exp = claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or(forge.server_now);
            claims.insert("exp".into(), json!(exp + 86_400));
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        "other-key" => sign(
            Hs::Hs256,
            &d.header,
            &d.claims,
            b"not-the-server-key-but-a-well-formed-one",
        ),
        "empty-key" => sign(Hs::Hs256, &d.header, &d.claims, b""),
        "garbage-header" => format!("garbage.{p}.{s}"),
        "garbage-payload" => format!("{h}.garbage.{s}"),
        "garbage-signature" => format!("{h}.{p}.garbage"),
        "extra-segment" => format!("{h}.{p}.{s}.{s}"),
        "non-json-payload" => format!("{h}.{}.{s}", b64(b"this is not json")),
        "non-json-header" => format!("{}.{p}.{s}", b64(b"this is not json")),
        // A key named or embedded in the header must never be used (TOK-13).
        "jwk-attacker" => {
            let mut header = d.header.clone();
            header.insert("jwk".into(), json!({"kty": "oct", "k": b64(ATTACKER_KEY)}));
            sign(Hs::Hs256, &header, &d.claims, ATTACKER_KEY)
        }
        "jku-attacker" => {
            let mut header = d.header.clone();
            header.insert("jku".into(), json!("http://127.0.0.1:9/jwks.json"));
            header.insert("kid".into(), json!("attacker"));
            sign(Hs::Hs256, &header, &d.claims, ATTACKER_KEY)
        }
        "kid-empty-key" => {
            let mut header = d.header.clone();
            header.insert("kid".into(), json!("../../../../../../../dev/null"));
            sign(Hs::Hs256, &header, &d.claims, b"")
        }
        "non-canonical-signature" => format!(
            "{h}.{p}.{}",
            non_canonical(s)
                .ok_or_else(|| { not_applicable("the signature has no unused bits to change") })?
        ),
        // Algorithm confusion: the public key, which anyone may read, as an HMAC secret.
        "hs256-public-pem" | "hs256-public-der" => {
            if forge.algorithm.is_hmac() {
                return Err(not_applicable(NOT_ASYMMETRIC));
            }
            let keys = forge
                .public_keys
                .ok_or_else(|| DeriveError::NeedsPublicKey(name.to_string()))?;
            let kid = d.header.get("kid").and_then(Value::as_str);
            let public = keys.for_kid(kid).map_err(|why| not_applicable(&why))?;
            let secret = if name.ends_with("pem") {
                &public.pem
            } else {
                &public.der
            };
            sign(
                Hs::Hs256,
                &with_header(&d.header, "alg", json!("HS256")),
                &d.claims,
                secret,
            )
        }
        // A perfect signature under the declared algorithm, by a key that is not the server's.
        "attacker-key" | "attacker-key-jwk" => {
            let key_type = forge
                .algorithm
                .key_type()
                .ok_or_else(|| not_applicable(NOT_ASYMMETRIC))?;
            let attacker =
                keys::attacker_key(key_type).map_err(|e| not_applicable(&e.to_string()))?;
            let mut header = d.header.clone();
            if name.ends_with("jwk") {
                header.insert("jwk".into(), attacker.public().jwk.clone());
            }
            let input = format!("{}.{}", b64(&to_json(&header)), b64(&to_json(&d.claims)));
            let sig = attacker
                .sign(forge.algorithm.name(), input.as_bytes())
                .map_err(|e| not_applicable(&e.to_string()))?;
            format!("{input}.{sig}")
        }
        _ => return derive_with_key(&d, name, forge),
    };
    Ok(out)
}

fn with_header(header: &Map<String, Value>, name: &str, value: Value) -> Map<String, Value> {
    let mut h = header.clone();
    h.insert(name.into(), value);
    h
}

/// How a forged token is signed.
enum Signer<'a> {
    /// An HMAC under this secret.
    Hmac(Hs, &'a [u8]),
    /// The server's private key, under the JWS algorithm of this name.
    Private(&'a PrivateKey, &'static str),
}

/// Whether `token` carries the declared `alg` and verifies under the key of `keys` its `kid`
/// selects; the error says which part fails.
pub fn check_published(token: &str, alg: Algorithm, keys: &KeySet) -> Result<(), String> {
    let d = decode(token).map_err(|e| e.to_string())?;
    let found = d.header.get("alg");
    if found != Some(&json!(alg.name())) {
        return Err(format!(
            "its header names alg {}, the profile declares {alg}",
            found.map_or("(none)".to_string(), Value::to_string)
        ));
    }
    let kid = d.header.get("kid").and_then(Value::as_str);
    let key = keys.for_kid(kid)?;
    let Some((input, signature)) = token.rsplit_once('.') else {
        return Err("it has no signature".into());
    };
    if key.verifies(alg.name(), input.as_bytes(), signature) {
        Ok(())
    } else {
        Err(format!(
            "its {alg} signature does not verify under the key of {}{}",
            keys.source,
            kid.map(|k| format!(" with kid {k:?}")).unwrap_or_default()
        ))
    }
}

/// The derivations that re-sign changed claims with the server's key.
fn derive_with_key(d: &Decoded, name: &str, forge: &Forge<'_>) -> Result<String, DeriveError> {
    if !DERIVATIONS.contains(&name) {
        return Err(DeriveError::Unknown(name.to_string()));
    }
    let needs_key = || DeriveError::NeedsKey(name.to_string());
    let not_applicable = |why: &str| DeriveError::NotApplicable(name.to_string(), why.to_string());
    let declared = forge.algorithm;
    let mut signer = match (Hs::of(declared), forge.private_key) {
        (Some(hs), _) => Signer::Hmac(hs, forge.key.ok_or_else(needs_key)?),
        (None, Some(private)) => Signer::Private(private, declared.name()),
        (None, None) => return Err(needs_key()),
    };
    let mut header_alg = declared.name();
    let mut claims = d.claims.clone();
    let lifetime = match (
        claims.get("exp").and_then(Value::as_i64),
        claims.get("iat").and_then(Value::as_i64),
    ) {
        (Some(exp), Some(iat)) if exp > iat => exp - iat,
        _ => 300,
    };
    // Forged times are relative to the server's clock, so a skewed clock cannot make an
    // "expired" token look fresh; "expired" lies 3 s beyond the declared leeway.
    let now = forge.server_now;
    match name {
        "resigned" => {}
        "expired" => {
            let exp = now - forge.leeway - 3;
            claims.insert("exp".into(), json!(exp));
            claims.insert("iat".into(), json!(exp - lifetime));
        }
        "nbf-future" => {
            claims.insert("nbf".into(), json!(now + forge.leeway + 60));
        }
        "iat-future" => {
            let iat = now + forge.leeway + 60;
            claims.insert("iat".into(), json!(iat));
            claims.insert("exp".into(), json!(iat + lifetime));
        }
        "no-exp" => {
            claims.remove("exp");
        }
        "no-jti" => {
            claims.remove(&forge.names.jti_claim);
        }
        "no-type" => {
            claims.remove(&forge.names.token_type_claim);
        }
        "no-user" => {
            claims.remove(&forge.names.user_id_claim);
        }
        "type-access" => {
            claims.insert(forge.names.token_type_claim.clone(), json!("access"));
        }
        "type-refresh" => {
            claims.insert(forge.names.token_type_claim.clone(), json!("refresh"));
        }
        "type-bogus" => {
            claims.insert(forge.names.token_type_claim.clone(), json!("bogus"));
        }
        "type-Access" | "type-ACCESS" | "type-Refresh" => {
            claims.insert(forge.names.token_type_claim.clone(), json!(&name[5..]));
        }
        "type-numeric" => {
            claims.insert(forge.names.token_type_claim.clone(), json!(1));
        }
        "with-kid"
        | "with-jku"
        | "with-x5u"
        | "with-jwk"
        | "with-x5c"
        | "crit"
        | "alg-hs256"
        | "dup-type-other-last"
        | "dup-exp-past-last"
        | "dup-alg-none-last" => {}
        "alg-HS384" | "alg-HS512" => {
            let hs = if name == "alg-HS384" {
                Hs::Hs384
            } else {
                Hs::Hs512
            };
            if Hs::of(declared) == Some(hs) {
                return Err(not_applicable(&format!(
                    "{} is the algorithm the profile declares",
                    hs.name()
                )));
            }
            // An asymmetric deployment has no secret: its public key stands in, as the
            // algorithm-confusion attack uses it.
            let secret = match (&signer, forge.private_key) {
                (Signer::Hmac(_, key), _) => *key,
                (_, Some(private)) => private.public().pem.as_slice(),
                (_, None) => return Err(needs_key()),
            };
            signer = Signer::Hmac(hs, secret);
            header_alg = hs.name();
        }
        // Another RSA algorithm, with the server's own RSA key.
        "alg-PS256" | "alg-RS512" => {
            let alg = if name == "alg-PS256" {
                "PS256"
            } else {
                "RS512"
            };
            match forge.private_key {
                _ if declared.is_hmac() => return Err(not_applicable(NOT_ASYMMETRIC)),
                Some(private) if private.key_type == keys::KeyType::Rsa => {
                    signer = Signer::Private(private, alg);
                    header_alg = alg;
                }
                Some(_) => {
                    return Err(not_applicable(&format!(
                        "an {declared} key signs under no other algorithm than {declared}"
                    )));
                }
                None => return Err(needs_key()),
            }
        }
        "unknown-user" => {
            let id = match claims.get(&forge.names.user_id_claim) {
                Some(Value::Number(_)) => json!(UNKNOWN_USER_ID),
                _ => json!(UNKNOWN_USER_ID.to_string()),
            };
            claims.insert(forge.names.user_id_claim.clone(), id);
        }
        "inactive-user" | "inactive-user-numeric" => {
            let id = forge
                .inactive_user_id
                .ok_or_else(|| DeriveError::NeedsInactiveUser(name.to_string()))?;
            let numeric = name == "inactive-user-numeric"
                || matches!(
                    claims.get(&forge.names.user_id_claim),
                    Some(Value::Number(_))
                );
            let value = match id.parse::<i64>() {
                Ok(n) if numeric => json!(n),
                Err(_) if name == "inactive-user-numeric" => {
                    return Err(DeriveError::NotApplicable(
                        name.to_string(),
                        "the inactive account's user id is not a number".to_string(),
                    ));
                }
                _ => json!(id),
            };
            claims.insert(forge.names.user_id_claim.clone(), value);
        }
        // The token's own user, wrapped: a user_id that is neither a string nor a number.
        "user-id-list" | "user-id-object" => {
            let id = claims
                .get(&forge.names.user_id_claim)
                .cloned()
                .unwrap_or(Value::Null);
            let wrapped = if name == "user-id-list" {
                json!([id])
            } else {
                json!({ "id": id })
            };
            claims.insert(forge.names.user_id_claim.clone(), wrapped);
        }
        // `nbf` at the issue time: passed, as a deployment that writes `nbf` would set it.
        "nbf-past" => {
            let nbf = claims
                .get("iat")
                .and_then(Value::as_i64)
                .unwrap_or(now - 60);
            claims.insert("nbf".into(), json!(nbf));
        }
        // Inside a declared leeway of at least MIN_LEEWAY_CHECKED seconds, with a second or
        // more to spare either side of the estimate of the server's clock.
        "expired-within-leeway" => {
            let exp = now - 1;
            claims.insert("exp".into(), json!(exp));
            claims.insert("iat".into(), json!(exp - lifetime));
        }
        "nbf-within-leeway" => {
            claims.insert("nbf".into(), json!(now + forge.leeway / 2));
        }
        "iat-within-leeway" => {
            let iat = now + forge.leeway / 2;
            claims.insert("iat".into(), json!(iat));
            claims.insert("exp".into(), json!(iat + lifetime));
        }
        "aud-other" => {
            claims.insert("aud".into(), json!(OTHER_AUDIENCE));
        }
        "extra-claim" => {
            claims.insert(
                EXTRA_CLAIM.into(),
                json!("a claim this server does not know"),
            );
        }
        "numeric-user-id" => {
            let n = match claims.get(&forge.names.user_id_claim) {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.parse::<i64>().ok(),
                _ => None,
            }
            .ok_or_else(|| {
                DeriveError::NotApplicable(name.to_string(), "user_id is not a number".to_string())
            })?;
            claims.insert(forge.names.user_id_claim.clone(), json!(n));
        }
        _ => return Err(DeriveError::Unknown(name.to_string())),
    }
    let mut header = d.header.clone();
    header.insert("alg".into(), json!(header_alg));
    if let Some(param) = name.strip_prefix("with-") {
        header.insert(param.into(), header_parameter(param));
    }
    match name {
        "crit" => {
            header.insert("crit".into(), json!([CRIT_EXTENSION]));
            header.insert(CRIT_EXTENSION.into(), json!(true));
        }
        // The declared algorithm in lower case (`hs256` for simplejwt's default).
        "alg-hs256" => {
            header.insert("alg".into(), json!(declared.name().to_lowercase()));
        }
        _ => {}
    }
    // Duplicate members are written into the JSON text: a map cannot hold them.
    let (mut header_json, mut claims_json) = (to_json(&header), to_json(&claims));
    match name {
        "dup-type-other-last" => {
            let other = match claims
                .get(&forge.names.token_type_claim)
                .and_then(Value::as_str)
            {
                Some("access") => "refresh",
                _ => "access",
            };
            append_member(
                &mut claims_json,
                &forge.names.token_type_claim,
                &json!(other),
            );
        }
        "dup-exp-past-last" => {
            append_member(&mut claims_json, "exp", &json!(now - forge.leeway - 3600));
        }
        "dup-alg-none-last" => append_member(&mut header_json, "alg", &json!("none")),
        _ => {}
    }
    let signing_input = format!("{}.{}", b64(&header_json), b64(&claims_json));
    let sig = match signer {
        Signer::Hmac(hs, key) => b64(&mac(hs, key, signing_input.as_bytes())),
        Signer::Private(private, alg) => private
            .sign(alg, signing_input.as_bytes())
            .map_err(|e| not_applicable(&e.to_string()))?,
    };
    Ok(format!("{signing_input}.{sig}"))
}

/// The header parameter a critical extension names: no server implements it.
const CRIT_EXTENSION: &str = "urn:jwt-conformance:must-understand";

/// A plausible value for a header parameter that could name or carry a key (RFC 7515 §4.1).
fn header_parameter(name: &str) -> Value {
    match name {
        "kid" => json!("jwt-conformance-key-1"),
        "jku" => json!("http://127.0.0.1:9/jwks.json"),
        "x5u" => json!("http://127.0.0.1:9/cert.pem"),
        "jwk" => json!({"kty": "oct", "k": b64(ATTACKER_KEY)}),
        "x5c" => json!([base64::engine::general_purpose::STANDARD.encode(b"not a certificate")]),
        _ => Value::Null,
    }
}

/// Appends `"name": value` as the last member of a serialized JSON object.
pub fn append_member(object: &mut Vec<u8>, name: &str, value: &Value) {
    if object.last() == Some(&b'}') {
        object.pop();
        if object.len() > 1 {
            object.push(b',');
        }
        object.extend_from_slice(format!("{}:{value}}}", json!(name)).as_bytes());
    }
}

/// A user id that differs from `current`, of the same JSON type.
fn other_user_id(current: Option<&Value>) -> Value {
    match current {
        Some(Value::Number(n)) => json!(n.as_i64().unwrap_or(0) + 1_000_000),
        Some(Value::String(s)) => match s.parse::<i64>() {
            Ok(n) => json!((n + 1_000_000).to_string()),
            Err(_) => json!(format!("{s}-someone-else")),
        },
        _ => json!(UNKNOWN_USER_ID.to_string()),
    }
}

/// The same signature bytes with the unused low bits of the last base64url character changed
/// (TOK-17: implementation-defined, not a forgery).
fn non_canonical(sig: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let unused_bits = match sig.len() % 4 {
        2 => 4,
        3 => 2,
        _ => return None,
    };
    let last = *sig.as_bytes().last()?;
    let idx = ALPHABET.iter().position(|&c| c == last)?;
    let changed = ALPHABET[idx ^ ((1 << unused_bits) - 1)] as char;
    let mut out = sig[..sig.len() - 1].to_string();
    out.push(changed);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"suite-test-key";

    static DEFAULT_NAMES: std::sync::LazyLock<WireNames> =
        std::sync::LazyLock::new(WireNames::default);

    fn token() -> String {
        let claims =
            json!({"token_type": "access", "exp": 2000, "iat": 1700, "jti": "abc", "user_id": "1"});
        let Value::Object(m) = claims else {
            unreachable!()
        };
        sign_hs256(&m, KEY)
    }

    fn forge(key: Option<&[u8]>) -> Forge<'_> {
        Forge {
            algorithm: Algorithm::Hs256,
            key,
            private_key: None,
            public_keys: None,
            server_now: 1800,
            leeway: 0,
            inactive_user_id: Some("2"),
            names: &DEFAULT_NAMES,
        }
    }

    fn verifies(token: &str, key: &[u8]) -> bool {
        let Some((input, sig)) = token.rsplit_once('.') else {
            return false;
        };
        B64.decode(sig)
            .is_ok_and(|s| s == mac(Hs::Hs256, key, input.as_bytes()))
    }

    #[test]
    fn signs_like_rfc7515_appendix_a1() {
        // RFC 7515 A.1: the example HS256 JWS and its key.
        let key = B64
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .expect("key");
        let input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            b64(&mac(Hs::Hs256, &key, input.as_bytes())),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
    }

    #[test]
    fn decode_round_trips_and_rejects_malformed() {
        let t = token();
        let d = decode(&t).expect("decodes");
        assert_eq!(d.header.get("alg"), Some(&json!("HS256")));
        assert_eq!(d.claims.get("jti"), Some(&json!("abc")));
        assert_eq!(decode("a.b"), Err(DecodeError::Segments(2)));
        assert_eq!(decode("!!.e30.x"), Err(DecodeError::Base64("header")));
        assert!(verifies(&t, KEY));
    }

    #[test]
    fn every_keyless_derivation_changes_the_token_and_breaks_the_signature() {
        let t = token();
        for name in DERIVATIONS.iter().take_while(|n| **n != "resigned") {
            let d = derive(&t, name, &forge(None)).expect(name);
            assert_ne!(d, t, "{name} must change the token");
            if *name != "non-canonical-signature" {
                assert!(
                    !verifies(&d, KEY),
                    "{name} must not verify under the server key"
                );
            }
        }
    }

    #[test]
    fn alg_none_keeps_the_payload_and_drops_the_signature() {
        let d = derive(&token(), "alg-nOnE", &forge(None)).expect("derives");
        assert!(d.ends_with('.'));
        let dec = decode(&d).expect("decodes");
        assert_eq!(dec.header.get("alg"), Some(&json!("nOnE")));
        assert_eq!(dec.claims.get("user_id"), Some(&json!("1")));
    }

    #[test]
    fn keyed_derivations_need_the_key_and_verify_with_it() {
        let t = token();
        assert_eq!(
            derive(&t, "expired", &forge(None)),
            Err(DeriveError::NeedsKey("expired".into()))
        );
        let e = derive(&t, "expired", &forge(Some(KEY))).expect("derives");
        assert!(verifies(&e, KEY));
        let c = decode(&e).expect("decodes").claims;
        assert_eq!(c.get("exp"), Some(&json!(1797)));
        assert_eq!(c.get("iat"), Some(&json!(1497)));
        let r = derive(&t, "resigned", &forge(Some(KEY))).expect("derives");
        assert_eq!(
            r, t,
            "re-signing the same claims with the same key gives the same token"
        );
        let u = decode(&derive(&t, "unknown-user", &forge(Some(KEY))).expect("derives"))
            .expect("decodes");
        assert_eq!(u.claims.get("user_id"), Some(&json!("987654321")));
        let n = decode(&derive(&t, "numeric-user-id", &forge(Some(KEY))).expect("derives"))
            .expect("decodes");
        assert_eq!(n.claims.get("user_id"), Some(&json!(1)));
        let h =
            decode(&derive(&t, "alg-HS512", &forge(Some(KEY))).expect("derives")).expect("decodes");
        assert_eq!(h.header.get("alg"), Some(&json!("HS512")));
        assert_eq!(
            derive(&t, "bogus", &forge(Some(KEY))),
            Err(DeriveError::Unknown("bogus".into()))
        );
    }

    #[test]
    fn non_canonical_signature_decodes_to_the_same_bytes() {
        let t = token();
        let d = derive(&t, "non-canonical-signature", &forge(None)).expect("derives");
        let (a, b) = (
            t.rsplit_once('.').expect("dot").1,
            d.rsplit_once('.').expect("dot").1,
        );
        assert_ne!(a, b);
        let lenient = base64::engine::GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            base64::engine::GeneralPurposeConfig::new()
                .with_encode_padding(false)
                .with_decode_allow_trailing_bits(true)
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
        );
        assert_eq!(lenient.decode(a).expect("a"), lenient.decode(b).expect("b"));
    }

    #[test]
    fn duplicate_members_are_written_into_the_text_and_signed_with_the_key() {
        let t = token();
        let seg = |tok: &str, i: usize| {
            String::from_utf8(
                B64.decode(tok.split('.').nth(i).expect("segment"))
                    .expect("b64"),
            )
            .expect("utf-8")
        };
        let d = derive(&t, "dup-type-other-last", &forge(Some(KEY))).expect("derives");
        assert!(verifies(&d, KEY));
        let payload = seg(&d, 1);
        assert!(
            payload.ends_with(r#","token_type":"refresh"}"#),
            "{payload}"
        );
        assert_eq!(payload.matches("token_type").count(), 2, "{payload}");
        let d = derive(&t, "dup-alg-none-last", &forge(Some(KEY))).expect("derives");
        assert!(seg(&d, 0).ends_with(r#","alg":"none"}"#), "{}", seg(&d, 0));
        let d = derive(&t, "dup-exp-past-last", &forge(Some(KEY))).expect("derives");
        assert!(seg(&d, 1).ends_with(r#","exp":-1800}"#), "{}", seg(&d, 1));
        for name in [
            "with-kid", "with-jku", "with-x5u", "with-jwk", "with-x5c", "crit",
        ] {
            let d = derive(&t, name, &forge(Some(KEY))).expect("derives");
            assert!(verifies(&d, KEY), "{name}");
            let param = name.strip_prefix("with-").unwrap_or(name);
            assert!(
                decode(&d).expect("decodes").header.contains_key(param),
                "{name}"
            );
        }
        let d = derive(&t, "jwk-attacker", &forge(None)).expect("derives");
        assert!(verifies(&d, ATTACKER_KEY) && !verifies(&d, KEY));
        let d = derive(&t, "kid-empty-key", &forge(None)).expect("derives");
        assert!(verifies(&d, b""));
        let d = derive(&t, "type-numeric", &forge(Some(KEY))).expect("derives");
        assert_eq!(decode(&d).expect("decodes").claims["token_type"], json!(1));
    }

    #[test]
    fn claims_added_for_tok_7_23_24_keep_the_rest_and_the_signature() {
        let t = token();
        let original = decode(&t).expect("decodes").claims;
        for (name, claim, value) in [
            ("nbf-past", "nbf", original["iat"].clone()),
            ("aud-other", "aud", json!(OTHER_AUDIENCE)),
            (
                "extra-claim",
                EXTRA_CLAIM,
                json!("a claim this server does not know"),
            ),
        ] {
            let d = derive(&t, name, &forge(Some(KEY))).expect("derives");
            assert!(verifies(&d, KEY), "{name}");
            let mut claims = decode(&d).expect("decodes").claims;
            assert_eq!(claims.remove(claim), Some(value), "{name}");
            assert_eq!(claims, original, "{name}");
        }
    }

    #[test]
    fn derivations_follow_renamed_claims() {
        let names = WireNames {
            user_id_claim: "uid".into(),
            token_type_claim: "typ_".into(),
            jti_claim: "id".into(),
            ..WireNames::default()
        };
        let claims = json!({"typ_": "access", "exp": 2000, "iat": 1700, "id": "abc", "uid": "1"});
        let Value::Object(m) = claims else {
            unreachable!()
        };
        let t = sign_hs256(&m, KEY);
        let f = Forge {
            names: &names,
            ..forge(Some(KEY))
        };
        let claims_of = |name: &str| {
            decode(&derive(&t, name, &f).expect(name))
                .expect("decodes")
                .claims
        };
        assert_eq!(claims_of("no-jti").get("id"), None);
        assert_eq!(claims_of("no-type").get("typ_"), None);
        assert_eq!(claims_of("no-user").get("uid"), None);
        assert_eq!(claims_of("type-refresh")["typ_"], json!("refresh"));
        assert_eq!(claims_of("numeric-user-id")["uid"], json!(1));
        assert_eq!(claims_of("inactive-user")["uid"], json!("2"));
        assert_ne!(claims_of("tampered-user")["uid"], json!("1"));
        assert_ne!(claims_of("tampered")["id"], json!("abc"));
        for c in ["no-jti", "type-refresh", "tampered"] {
            let claims = claims_of(c);
            assert!(
                !claims.contains_key("jti") && !claims.contains_key("token_type"),
                "{c}: {claims:?}"
            );
        }
        let dup = derive(&t, "dup-type-other-last", &f).expect("derives");
        let payload = String::from_utf8(
            B64.decode(dup.split('.').nth(1).expect("payload"))
                .expect("base64"),
        )
        .expect("utf-8");
        assert!(payload.ends_with(r#","typ_":"refresh"}"#), "{payload}");
    }

    fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn asymmetric_derivations_sign_with_the_keys_they_name() {
        use crate::keys::{KeySet, PrivateKey, PublicKey, attacker_key};
        for (alg, private, public) in [
            (Algorithm::Rs256, "rs256-private.pem", "rs256-public.pem"),
            (Algorithm::Es256, "es256-private.pem", "es256-public.pem"),
            (Algorithm::EdDsa, "eddsa-private.pem", "eddsa-public.pem"),
        ] {
            let sk = PrivateKey::from_pem(&data(private)).expect("private");
            let pk = PublicKey::from_pem(&data(public)).expect("public");
            let set = KeySet::single(pk.clone(), "test".into());
            let f = Forge {
                algorithm: alg,
                key: None,
                private_key: Some(&sk),
                public_keys: Some(&set),
                ..forge(None)
            };
            let claims = json!({"token_type": "access", "exp": 2000, "iat": 1700, "jti": "abc", "user_id": "1"});
            let Value::Object(claims) = claims else {
                unreachable!()
            };
            let mut header = Map::new();
            header.insert("alg".into(), json!(alg.name()));
            header.insert("typ".into(), json!("JWT"));
            let input = format!("{}.{}", b64(&to_json(&header)), b64(&to_json(&claims)));
            let t = format!(
                "{input}.{}",
                sk.sign(alg.name(), input.as_bytes()).expect("signs")
            );
            assert_eq!(check_published(&t, alg, &set), Ok(()), "{alg}");

            // Keyed derivations sign with the private key under the declared algorithm.
            for name in ["resigned", "expired", "no-jti", "with-kid", "crit"] {
                let d = derive(&t, name, &f).expect(name);
                assert_eq!(check_published(&d, alg, &set), Ok(()), "{alg} {name}");
            }
            let lower = derive(&t, "alg-hs256", &f).expect("alg-hs256");
            assert_eq!(
                decode(&lower).expect("decodes").header["alg"],
                json!(alg.name().to_lowercase())
            );
            let hs384 = derive(&t, "alg-HS384", &f).expect("alg-HS384");
            assert!(check_published(&hs384, alg, &set).is_err());

            // Confusion: HS256 keyed with the public key's PEM text, exactly, and its DER.
            let pem = derive(&t, "hs256-public-pem", &f).expect("pem");
            assert_eq!(decode(&pem).expect("decodes").header["alg"], json!("HS256"));
            assert!(verifies(&pem, &data(public)));
            let der = derive(&t, "hs256-public-der", &f).expect("der");
            assert!(verifies(&der, &pk.der));
            assert!(!verifies(&der, &data(public)));

            // The attacker's key: the declared algorithm, a valid signature, not the server's.
            let a = derive(&t, "attacker-key", &f).expect("attacker");
            assert!(check_published(&a, alg, &set).is_err(), "{alg}");
            let attacker = attacker_key(sk.key_type).expect("key");
            let attacker_set = KeySet::single(attacker.public().clone(), "attacker".into());
            assert_eq!(check_published(&a, alg, &attacker_set), Ok(()));
            let j = derive(&t, "attacker-key-jwk", &f).expect("attacker jwk");
            assert_eq!(
                decode(&j).expect("decodes").header["jwk"],
                attacker.public().jwk
            );
            assert_eq!(check_published(&j, alg, &attacker_set), Ok(()));

            // Other RSA algorithms exist only for an RSA key.
            let swapped = derive(&t, "alg-PS256", &f);
            if alg == Algorithm::Rs256 {
                let swapped = swapped.expect("PS256");
                assert_eq!(
                    decode(&swapped).expect("decodes").header["alg"],
                    json!("PS256")
                );
                let (input, sig) = swapped.rsplit_once('.').expect("dot");
                assert!(pk.verifies("PS256", input.as_bytes(), sig));
                assert!(check_published(&swapped, alg, &set).is_err());
            } else {
                assert!(
                    matches!(swapped, Err(DeriveError::NotApplicable(..))),
                    "{alg}"
                );
            }

            // Without the keys they skip, saying which key is missing.
            let keyless = Forge {
                private_key: None,
                public_keys: None,
                ..f
            };
            assert_eq!(
                derive(&t, "expired", &keyless),
                Err(DeriveError::NeedsKey("expired".into()))
            );
            assert_eq!(
                derive(&t, "hs256-public-pem", &keyless),
                Err(DeriveError::NeedsPublicKey("hs256-public-pem".into()))
            );
            assert!(derive(&t, "attacker-key", &keyless).is_ok());
        }
        // An HMAC deployment has no public key to confuse.
        assert!(matches!(
            derive(&token(), "hs256-public-pem", &forge(Some(KEY))),
            Err(DeriveError::NotApplicable(..))
        ));
        assert!(matches!(
            derive(&token(), "attacker-key", &forge(Some(KEY))),
            Err(DeriveError::NotApplicable(..))
        ));
    }
}
