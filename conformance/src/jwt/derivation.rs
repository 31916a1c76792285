//! The named derivations (`${access:alg-none}`, `${refresh:expired}`, ...) that the features use
//! to build forged and mangled tokens from genuine ones: one vocabulary (`Derivation`), three
//! kinds, each with its own exhaustive `match`: [`Mangle`] changes the token's bytes (or signs
//! with a key that is not the server's), [`Confuse`] forges with the server's public key or an
//! attacker's key pair, [`Resign`] signs changed claims with the server's key.

use std::{fmt, str::FromStr};

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::{B64, Decoded, Hs, b64, decode, mac, sign, to_json};
use crate::{
    keys::{self, Algorithm, KeySet, PrivateKey},
    profile::WireNames,
};

crate::vocabulary! {
    /// Derivations that need no key of the server's: bytes changed, or a key that is not its.
    pub enum Mangle {
        AlgNone = "alg-none",
        AlgNoneCapitalized = "alg-None",
        AlgNoneUpper = "alg-NONE",
        AlgNoneMixed = "alg-nOnE",
        AlgNoneKeepSignature = "alg-none-keep-signature",
        NoAlg = "no-alg",
        NoSignature = "no-signature",
        TwoSegments = "two-segments",
        TruncatedSignature = "truncated-signature",
        FlippedSignature = "flipped-signature",
        Tampered = "tampered",
        TamperedUser = "tampered-user",
        TamperedExp = "tampered-exp",
        OtherKey = "other-key",
        EmptyKey = "empty-key",
        GarbageHeader = "garbage-header",
        GarbagePayload = "garbage-payload",
        GarbageSignature = "garbage-signature",
        ExtraSegment = "extra-segment",
        NonJsonPayload = "non-json-payload",
        NonJsonHeader = "non-json-header",
        NonCanonicalSignature = "non-canonical-signature",
        JwkAttacker = "jwk-attacker",
        JkuAttacker = "jku-attacker",
        KidEmptyKey = "kid-empty-key",
    }
}

crate::vocabulary! {
    /// Derivations that sign changed claims (or headers) with the server's key.
    pub enum Resign {
        Resigned = "resigned",
        Expired = "expired",
        NbfFuture = "nbf-future",
        IatFuture = "iat-future",
        NoExp = "no-exp",
        NoJti = "no-jti",
        NoType = "no-type",
        NoUser = "no-user",
        TypeAccess = "type-access",
        TypeRefresh = "type-refresh",
        TypeBogus = "type-bogus",
        AlgHs384 = "alg-HS384",
        AlgHs512 = "alg-HS512",
        UnknownUser = "unknown-user",
        InactiveUser = "inactive-user",
        NumericUserId = "numeric-user-id",
        InactiveUserNumeric = "inactive-user-numeric",
        UserIdList = "user-id-list",
        UserIdObject = "user-id-object",
        NbfPast = "nbf-past",
        AudOther = "aud-other",
        ExtraClaim = "extra-claim",
        ExpiredWithinLeeway = "expired-within-leeway",
        NbfWithinLeeway = "nbf-within-leeway",
        IatWithinLeeway = "iat-within-leeway",
        WithKid = "with-kid",
        WithJku = "with-jku",
        WithX5u = "with-x5u",
        WithJwk = "with-jwk",
        WithX5c = "with-x5c",
        Crit = "crit",
        AlgHs256Lower = "alg-hs256",
        TypeAccessCapitalized = "type-Access",
        TypeAccessUpper = "type-ACCESS",
        TypeRefreshCapitalized = "type-Refresh",
        TypeNumeric = "type-numeric",
        DupTypeOtherLast = "dup-type-other-last",
        DupExpPastLast = "dup-exp-past-last",
        DupAlgNoneLast = "dup-alg-none-last",
        /// For deployments that sign with RSA: another RSA algorithm, the same key.
        AlgPs256 = "alg-PS256",
        /// For deployments that sign with RSA: another RSA algorithm, the same key.
        AlgRs512 = "alg-RS512",
    }
}

crate::vocabulary! {
    /// Derivations for deployments that sign with RS256, ES256 or EdDSA: algorithm confusion
    /// with the public key, and an attacker's own key pair.
    pub enum Confuse {
        Hs256PublicPem = "hs256-public-pem",
        Hs256PublicDer = "hs256-public-der",
        AttackerKey = "attacker-key",
        AttackerKeyJwk = "attacker-key-jwk",
    }
}

/// A named derivation, as `${token:name}` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// Needs no key of the server's.
    Mangle(Mangle),
    /// Made from the server's public key or an attacker's key pair.
    Confuse(Confuse),
    /// Signed with the server's key.
    Resign(Resign),
}

impl Derivation {
    /// Every derivation: the mangling ones, the re-signing ones, then the asymmetric ones.
    pub fn all() -> impl Iterator<Item = Derivation> {
        let mangle = Mangle::ALL.iter().map(|m| Derivation::Mangle(*m));
        let resign = Resign::ALL.iter().map(|r| Derivation::Resign(*r));
        let confuse = Confuse::ALL.iter().map(|c| Derivation::Confuse(*c));
        mangle.chain(resign).chain(confuse)
    }

    /// Its name in feature text.
    pub fn name(self) -> &'static str {
        match self {
            Derivation::Mangle(m) => m.name(),
            Derivation::Confuse(c) => c.name(),
            Derivation::Resign(r) => r.name(),
        }
    }

    /// Builds this derivation of `token`.
    pub fn apply(self, token: &str, forge: &Forge<'_>) -> Result<String, DeriveError> {
        let name = self.name();
        let d =
            decode(token).map_err(|e| DeriveError::NotApplicable(name.into(), e.to_string()))?;
        match self {
            Derivation::Mangle(m) => mangle(token, &d, m, forge),
            Derivation::Confuse(c) => confuse(&d, c, forge),
            Derivation::Resign(r) => resign(&d, r, forge),
        }
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Derivation {
    type Err = DeriveError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Derivation::all()
            .find(|d| d.name() == s)
            .ok_or_else(|| DeriveError::Unknown(s.to_string()))
    }
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

/// Why an asymmetric derivation does not apply to an HMAC deployment (the skip reason).
pub const NOT_ASYMMETRIC: &str =
    "the profile declares no asymmetric algorithm (RS256, ES256, EdDSA: [tokens] algorithm)";

/// The key an attacker signs with when a header parameter could make a server use it.
pub const ATTACKER_KEY: &[u8] = b"the-attackers-own-key-for-header-parameters";

/// A user id no deployment is expected to have.
pub const UNKNOWN_USER_ID: i64 = 987_654_321;

/// The smallest declared leeway, in seconds, whose granting the suite checks: smaller ones
/// leave too little room around its estimate of the server's clock.
pub const MIN_LEEWAY_CHECKED: i64 = 4;

/// The audience of a token minted for another service that shares the key (TOK-23).
pub const OTHER_AUDIENCE: &str = "https://another-service.example/";

/// A claim no server knows, named collision-resistantly as RFC 7519 §4.2 asks (TOK-24).
pub const EXTRA_CLAIM: &str = "https://jwt-conformance.example/note";

/// Builds the token named `name` from `token` (see [`Derivation`]).
pub fn derive(token: &str, name: &str, forge: &Forge<'_>) -> Result<String, DeriveError> {
    name.parse::<Derivation>()?.apply(token, forge)
}

/// The derivations that change a token's bytes, or sign it with a key that is not the server's.
fn mangle(
    token: &str,
    d: &Decoded,
    mangled: Mangle,
    forge: &Forge<'_>,
) -> Result<String, DeriveError> {
    use Mangle as M;
    let name = mangled.name();
    let not_applicable = |why: &str| DeriveError::NotApplicable(name.to_string(), why.to_string());
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
    let out = match mangled {
        M::AlgNone | M::AlgNoneCapitalized | M::AlgNoneUpper | M::AlgNoneMixed => {
            format!("{}.{p}.", with_alg(&name[4..]))
        }
        M::AlgNoneKeepSignature => format!("{}.{p}.{s}", with_alg("none")),
        M::NoAlg => {
            let mut header = d.header.clone();
            header.remove("alg");
            format!("{}.{p}.{s}", b64(&to_json(&header)))
        }
        M::NoSignature => format!("{h}.{p}."),
        M::TwoSegments => format!("{h}.{p}"),
        M::TruncatedSignature => {
            let keep = s.len().saturating_sub(4);
            format!("{h}.{p}.{}", &s[..keep])
        }
        M::FlippedSignature => {
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
        M::Tampered => {
            let mut claims = d.claims.clone();
            claims.insert(
                forge.names.jti_claim.as_str().into(),
                json!(uuid::Uuid::new_v4().simple().to_string()),
            );
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        M::TamperedUser => {
            let mut claims = d.claims.clone();
            let uid = forge.names.user_id_claim.as_str();
            claims.insert(uid.into(), other_user_id(claims.get(uid)));
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        M::TamperedExp => {
            let mut claims = d.claims.clone();
            let exp = claims
                .get("exp")
                .and_then(Value::as_i64)
                .unwrap_or(forge.server_now);
            claims.insert("exp".into(), json!(exp + 86_400));
            format!("{h}.{}.{s}", claims_seg(&claims))
        }
        M::OtherKey => sign(
            Hs::Hs256,
            &d.header,
            &d.claims,
            b"not-the-server-key-but-a-well-formed-one",
        ),
        M::EmptyKey => sign(Hs::Hs256, &d.header, &d.claims, b""),
        M::GarbageHeader => format!("garbage.{p}.{s}"),
        M::GarbagePayload => format!("{h}.garbage.{s}"),
        M::GarbageSignature => format!("{h}.{p}.garbage"),
        M::ExtraSegment => format!("{h}.{p}.{s}.{s}"),
        M::NonJsonPayload => format!("{h}.{}.{s}", b64(b"this is not json")),
        M::NonJsonHeader => format!("{}.{p}.{s}", b64(b"this is not json")),
        // A key named or embedded in the header must never be used (TOK-13).
        M::JwkAttacker => {
            let mut header = d.header.clone();
            header.insert("jwk".into(), json!({"kty": "oct", "k": b64(ATTACKER_KEY)}));
            sign(Hs::Hs256, &header, &d.claims, ATTACKER_KEY)
        }
        M::JkuAttacker => {
            let mut header = d.header.clone();
            header.insert("jku".into(), json!("http://127.0.0.1:9/jwks.json"));
            header.insert("kid".into(), json!("attacker"));
            sign(Hs::Hs256, &header, &d.claims, ATTACKER_KEY)
        }
        M::KidEmptyKey => {
            let mut header = d.header.clone();
            header.insert("kid".into(), json!("../../../../../../../dev/null"));
            sign(Hs::Hs256, &header, &d.claims, b"")
        }
        M::NonCanonicalSignature => format!(
            "{h}.{p}.{}",
            non_canonical(s)
                .ok_or_else(|| { not_applicable("the signature has no unused bits to change") })?
        ),
    };
    Ok(out)
}

/// The derivations made from the server's public key, or from an attacker's key pair.
fn confuse(d: &Decoded, confusion: Confuse, forge: &Forge<'_>) -> Result<String, DeriveError> {
    use Confuse as C;
    let name = confusion.name();
    let not_applicable = |why: &str| DeriveError::NotApplicable(name.to_string(), why.to_string());
    let out = match confusion {
        // Algorithm confusion: the public key, which anyone may read, as an HMAC secret.
        C::Hs256PublicPem | C::Hs256PublicDer => {
            if forge.algorithm.is_hmac() {
                return Err(not_applicable(NOT_ASYMMETRIC));
            }
            let keys = forge
                .public_keys
                .ok_or_else(|| DeriveError::NeedsPublicKey(name.to_string()))?;
            let kid = d.header.get("kid").and_then(Value::as_str);
            let public = keys
                .for_kid(kid)
                .map_err(|why| not_applicable(&why.to_string()))?;
            let secret = if confusion == C::Hs256PublicPem {
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
        C::AttackerKey | C::AttackerKeyJwk => {
            let key_type = forge
                .algorithm
                .key_type()
                .ok_or_else(|| not_applicable(NOT_ASYMMETRIC))?;
            let attacker =
                keys::attacker_key(key_type).map_err(|e| not_applicable(&e.to_string()))?;
            let mut header = d.header.clone();
            if confusion == C::AttackerKeyJwk {
                header.insert("jwk".into(), attacker.public().jwk.clone());
            }
            let input = format!("{}.{}", b64(&to_json(&header)), b64(&to_json(&d.claims)));
            let sig = attacker
                .sign(forge.algorithm.name(), input.as_bytes())
                .map_err(|e| not_applicable(&e.to_string()))?;
            format!("{input}.{sig}")
        }
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

/// The derivations that re-sign changed claims with the server's key.
fn resign(d: &Decoded, resigned: Resign, forge: &Forge<'_>) -> Result<String, DeriveError> {
    use Resign as R;
    let name = resigned.name();
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
    match resigned {
        R::Resigned => {}
        R::Expired => {
            let exp = now - forge.leeway - 3;
            claims.insert("exp".into(), json!(exp));
            claims.insert("iat".into(), json!(exp - lifetime));
        }
        R::NbfFuture => {
            claims.insert("nbf".into(), json!(now + forge.leeway + 60));
        }
        R::IatFuture => {
            let iat = now + forge.leeway + 60;
            claims.insert("iat".into(), json!(iat));
            claims.insert("exp".into(), json!(iat + lifetime));
        }
        R::NoExp => {
            claims.remove("exp");
        }
        R::NoJti => {
            claims.remove(&forge.names.jti_claim);
        }
        R::NoType => {
            claims.remove(&forge.names.token_type_claim);
        }
        R::NoUser => {
            claims.remove(&forge.names.user_id_claim);
        }
        R::TypeAccess => {
            claims.insert(forge.names.token_type_claim.clone(), json!("access"));
        }
        R::TypeRefresh => {
            claims.insert(forge.names.token_type_claim.clone(), json!("refresh"));
        }
        R::TypeBogus => {
            claims.insert(forge.names.token_type_claim.clone(), json!("bogus"));
        }
        R::TypeAccessCapitalized | R::TypeAccessUpper | R::TypeRefreshCapitalized => {
            claims.insert(forge.names.token_type_claim.clone(), json!(&name[5..]));
        }
        R::TypeNumeric => {
            claims.insert(forge.names.token_type_claim.clone(), json!(1));
        }
        R::WithKid
        | R::WithJku
        | R::WithX5u
        | R::WithJwk
        | R::WithX5c
        | R::Crit
        | R::AlgHs256Lower
        | R::DupTypeOtherLast
        | R::DupExpPastLast
        | R::DupAlgNoneLast => {}
        R::AlgHs384 | R::AlgHs512 => {
            let hs = if resigned == R::AlgHs384 {
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
        R::AlgPs256 | R::AlgRs512 => {
            let alg = if resigned == R::AlgPs256 {
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
        R::UnknownUser => {
            let id = match claims.get(&forge.names.user_id_claim) {
                Some(Value::Number(_)) => json!(UNKNOWN_USER_ID),
                _ => json!(UNKNOWN_USER_ID.to_string()),
            };
            claims.insert(forge.names.user_id_claim.clone(), id);
        }
        R::InactiveUser | R::InactiveUserNumeric => {
            let id = forge
                .inactive_user_id
                .ok_or_else(|| DeriveError::NeedsInactiveUser(name.to_string()))?;
            let numeric = resigned == R::InactiveUserNumeric
                || matches!(
                    claims.get(&forge.names.user_id_claim),
                    Some(Value::Number(_))
                );
            let value = match id.parse::<i64>() {
                Ok(n) if numeric => json!(n),
                Err(_) if resigned == R::InactiveUserNumeric => {
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
        R::UserIdList | R::UserIdObject => {
            let id = claims
                .get(&forge.names.user_id_claim)
                .cloned()
                .unwrap_or(Value::Null);
            let wrapped = if resigned == R::UserIdList {
                json!([id])
            } else {
                json!({ "id": id })
            };
            claims.insert(forge.names.user_id_claim.clone(), wrapped);
        }
        // `nbf` at the issue time: passed, as a deployment that writes `nbf` would set it.
        R::NbfPast => {
            let nbf = claims
                .get("iat")
                .and_then(Value::as_i64)
                .unwrap_or(now - 60);
            claims.insert("nbf".into(), json!(nbf));
        }
        R::AudOther => {
            claims.insert("aud".into(), json!(OTHER_AUDIENCE));
        }
        R::ExtraClaim => {
            claims.insert(
                EXTRA_CLAIM.into(),
                json!("a claim this server does not know"),
            );
        }
        // Inside a declared leeway of at least MIN_LEEWAY_CHECKED seconds, with a second or
        // more to spare either side of the estimate of the server's clock.
        R::ExpiredWithinLeeway => {
            let exp = now - 1;
            claims.insert("exp".into(), json!(exp));
            claims.insert("iat".into(), json!(exp - lifetime));
        }
        R::NbfWithinLeeway => {
            claims.insert("nbf".into(), json!(now + forge.leeway / 2));
        }
        R::IatWithinLeeway => {
            let iat = now + forge.leeway / 2;
            claims.insert("iat".into(), json!(iat));
            claims.insert("exp".into(), json!(iat + lifetime));
        }
        R::NumericUserId => {
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
    }
    let mut header = d.header.clone();
    header.insert("alg".into(), json!(header_alg));
    if let Some(param) = name.strip_prefix("with-") {
        header.insert(param.into(), header_parameter(param));
    }
    match resigned {
        R::Crit => {
            header.insert("crit".into(), json!([CRIT_EXTENSION]));
            header.insert(CRIT_EXTENSION.into(), json!(true));
        }
        // The declared algorithm in lower case (`hs256` for simplejwt's default).
        R::AlgHs256Lower => {
            header.insert("alg".into(), json!(declared.name().to_lowercase()));
        }
        _ => {}
    }
    // Duplicate members are written into the JSON text: a map cannot hold them.
    let (mut header_json, mut claims_json) = (to_json(&header), to_json(&claims));
    match resigned {
        R::DupTypeOtherLast => {
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
        R::DupExpPastLast => {
            append_member(&mut claims_json, "exp", &json!(now - forge.leeway - 3600));
        }
        R::DupAlgNoneLast => append_member(&mut header_json, "alg", &json!("none")),
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
