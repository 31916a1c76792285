//! The suite's own, independent handling of JWS compact tokens: decoding without verification,
//! HMAC signing and checking a signature under a published key. The named derivations that the
//! features use to build forged and mangled tokens live in `derivation`.
//!
//! Deliberately written against RFC 7515/7519 with `hmac` + `sha2`, not with a JWT library, so
//! that a bug shared with the server's library cannot hide.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};

use crate::keys::{Algorithm, KeySet};

mod derivation;

pub use derivation::{
    ATTACKER_KEY, Confuse, Derivation, DeriveError, EXTRA_CLAIM, Forge, MIN_LEEWAY_CHECKED, Mangle,
    NOT_ASYMMETRIC, OTHER_AUDIENCE, Resign, UNKNOWN_USER_ID, append_member, derive,
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

/// base64url without padding, the JWS alphabet.
pub(crate) const B64: base64::engine::GeneralPurpose = URL_SAFE_NO_PAD;

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

/// `exp - iat` of a token, if it decodes and has both as integers (`exp` not before `iat`).
pub fn lifetime(token: &str) -> Option<std::time::Duration> {
    let claims = decode(token).ok()?.claims;
    let (exp, iat) = (claims.get("exp")?.as_i64()?, claims.get("iat")?.as_i64()?);
    Some(std::time::Duration::from_secs(
        u64::try_from(exp - iat).ok()?,
    ))
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
            let mut m = <Hmac<$d> as Mac>::new_from_slice(key)
                .expect("HMAC accepts keys of any length, the empty key included");
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

pub(crate) fn to_json(m: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(m).expect("a JSON map with string keys always serializes")
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
    let key = keys.for_kid(kid).map_err(|e| e.to_string())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::WireNames;

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
        let keyless: Vec<&str> = Mangle::ALL.iter().map(|m| m.name()).collect();
        for name in &keyless {
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
