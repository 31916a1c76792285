//! The algorithm a deployment signs with, and its asymmetric keys (RS256, ES256, EdDSA): PEM
//! files and JWKS read, signatures made and checked, and the attacker's keys the suite carries.
//!
//! The suite writes every header and payload byte itself (`jwt`); only the signature primitive
//! comes from a library, `jsonwebtoken::crypto` over RustCrypto, which takes DER. So the PEM
//! armour and the few DER structures around keys (SubjectPublicKeyInfo, PKCS#8, PKCS#1) are read
//! and written here, by hand, as RFC 7468, RFC 5280 §4.1 and RFC 5208 describe them.

use std::{fmt, str::FromStr, sync::LazyLock};

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64},
};
use jsonwebtoken::{
    Algorithm as JwsAlgorithm, DecodingKey, EncodingKey, crypto::rust_crypto::DEFAULT_PROVIDER,
    jwk::EllipticCurve,
};
use serde_json::{Value, json};

/// The algorithm a deployment signs its tokens with (simplejwt's `ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// HMAC-SHA256 with a shared secret: simplejwt's default.
    #[default]
    Hs256,
    /// HMAC-SHA384.
    Hs384,
    /// HMAC-SHA512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

/// The kinds of asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// RSA (RS256).
    Rsa,
    /// EC on P-256 (ES256).
    Ec,
    /// Ed25519 (EdDSA).
    Ed,
}

impl Algorithm {
    /// Every algorithm a profile may declare.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Hs256,
        Algorithm::Hs384,
        Algorithm::Hs512,
        Algorithm::Rs256,
        Algorithm::Es256,
        Algorithm::EdDsa,
    ];

    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// The kind of key an asymmetric algorithm signs with; `None` for HMAC.
    pub fn key_type(self) -> Option<KeyType> {
        match self {
            Algorithm::Rs256 => Some(KeyType::Rsa),
            Algorithm::Es256 => Some(KeyType::Ec),
            Algorithm::EdDsa => Some(KeyType::Ed),
            _ => None,
        }
    }

    /// Whether it signs with a shared secret.
    pub fn is_hmac(self) -> bool {
        self.key_type().is_none()
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
                format!("unknown algorithm {s:?} (one of {})", names.join(", "))
            })
    }
}

impl KeyType {
    /// How people name it.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC P-256",
            KeyType::Ed => "Ed25519",
        }
    }

    /// The algorithm a deployment with this key declares.
    pub fn algorithm(self) -> Algorithm {
        match self {
            KeyType::Rsa => Algorithm::Rs256,
            KeyType::Ec => Algorithm::Es256,
            KeyType::Ed => Algorithm::EdDsa,
        }
    }
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not PEM, or not the PEM of a key.
    #[error("not a PEM key: {0}")]
    Pem(String),
    /// A key of a kind the suite does not handle.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The DER inside does not hold what its label says.
    #[error("not a valid {0} key")]
    Invalid(&'static str),
    /// A JWK or JWKS that cannot be read.
    #[error("{0}")]
    Jwk(String),
}

/// A public key, as a verifier of the deployment's tokens has it.
#[derive(Clone)]
pub struct PublicKey {
    /// Its kind.
    pub key_type: KeyType,
    decoding: DecodingKey,
    /// The PEM text byte for byte as the file has it (written out for a key from a JWK).
    pub pem: Vec<u8>,
    /// The DER inside the PEM (SubjectPublicKeyInfo, or PKCS#1 for an `RSA PUBLIC KEY`).
    pub der: Vec<u8>,
    /// The key's public JWK (`kty`, `n`/`e`, `crv`/`x`/`y`).
    pub jwk: Value,
    /// The `kid` a JWKS gives it.
    pub kid: Option<String>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("key_type", &self.key_type)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A private key, as the deployment's signer has it (or the attacker's).
#[derive(Clone)]
pub struct PrivateKey {
    /// Its kind.
    pub key_type: KeyType,
    encoding: EncodingKey,
    public: PublicKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

// Object identifiers, as the content octets of their DER encoding.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

impl PrivateKey {
    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`, any of the three kinds), PKCS#1
    /// (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`). Unencrypted only.
    pub fn from_pem(text: &[u8]) -> Result<Self, KeyError> {
        let (label, der) = pem_block(text)?;
        let key = match label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8(&der)?,
            "RSA PRIVATE KEY" => Self::rsa(&der)?,
            "EC PRIVATE KEY" => {
                let algorithm = [der_tlv(OID, OID_EC), der_tlv(OID, OID_P256)].concat();
                let pkcs8 = der_tlv(
                    SEQUENCE,
                    &[
                        der_tlv(INTEGER, &[0]),
                        der_tlv(SEQUENCE, &algorithm),
                        der_tlv(OCTET_STRING, &der),
                    ]
                    .concat(),
                );
                Self::ec(&pkcs8)?
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(KeyError::Unsupported(
                    "an encrypted private key: decrypt it first (openssl pkey -in KEY -out PLAIN)"
                        .into(),
                ));
            }
            other => {
                return Err(KeyError::Pem(format!(
                    "a PEM block labelled {other:?}, not a private key"
                )));
            }
        };
        // A key that cannot make a signature its own public key accepts is not a usable key.
        let probe = b"jwt-conformance key check";
        let alg = key.key_type.algorithm();
        match key.sign(alg.name(), probe) {
            Ok(sig) if key.public.verifies(alg.name(), probe, &sig) => Ok(key),
            _ => Err(KeyError::Invalid(key.key_type.name())),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let invalid = || KeyError::Pem("a PRIVATE KEY block that is not PKCS#8".into());
        let (body, _) = expect(der, SEQUENCE).ok_or_else(invalid)?;
        let (_, rest) = expect(body, INTEGER).ok_or_else(invalid)?;
        let (algorithm, rest) = expect(rest, SEQUENCE).ok_or_else(invalid)?;
        let (oid, _) = expect(algorithm, OID).ok_or_else(invalid)?;
        let (inner, _) = expect(rest, OCTET_STRING).ok_or_else(invalid)?;
        match oid {
            OID_RSA => Self::rsa(inner),
            OID_EC => Self::ec(der),
            OID_ED25519 => Self::ed(der),
            _ => Err(KeyError::Unsupported(
                "a private key that is not RSA, EC P-256 or Ed25519".into(),
            )),
        }
    }

    fn rsa(pkcs1: &[u8]) -> Result<Self, KeyError> {
        let (n, e) = (DEFAULT_PROVIDER
            .key_utils
            .rsa_pub_components_from_private_key)(pkcs1)
        .map_err(|_| KeyError::Invalid("RSA"))?;
        Ok(PrivateKey {
            key_type: KeyType::Rsa,
            encoding: EncodingKey::from_rsa_der(pkcs1),
            public: PublicKey::rsa(&n, &e, None),
        })
    }

    fn ec(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let (curve, x, y) =
            (DEFAULT_PROVIDER
                .key_utils
                .ec_pub_components_from_private_key)(pkcs8, JwsAlgorithm::ES256)
            .map_err(|_| KeyError::Invalid("EC P-256"))?;
        if curve != EllipticCurve::P256 {
            return Err(KeyError::Unsupported(
                "an EC key on a curve other than P-256 (ES256)".into(),
            ));
        }
        Ok(PrivateKey {
            key_type: KeyType::Ec,
            encoding: EncodingKey::from_ec_der(pkcs8),
            public: PublicKey::ec(&x, &y, None)?,
        })
    }

    fn ed(pkcs8: &[u8]) -> Result<Self, KeyError> {
        let x = (DEFAULT_PROVIDER
            .key_utils
            .ed_pub_components_from_private_key)(pkcs8, &EllipticCurve::Ed25519)
        .map_err(|_| KeyError::Invalid("Ed25519"))?;
        Ok(PrivateKey {
            key_type: KeyType::Ed,
            encoding: EncodingKey::from_ed_der(pkcs8),
            public: PublicKey::ed(&x, None)?,
        })
    }

    /// Its public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The base64url signature of `input` under the JWS algorithm named `alg` (`RS256`,
    /// `PS256`, `RS512`, `ES256`, `EdDSA`, ...), if this key can make one.
    pub fn sign(&self, alg: &str, input: &[u8]) -> Result<String, KeyError> {
        let alg = JwsAlgorithm::from_str(alg)
            .map_err(|_| KeyError::Unsupported(format!("the algorithm {alg:?}")))?;
        jsonwebtoken::crypto::sign(input, &self.encoding, alg)
            .map_err(|e| KeyError::Unsupported(format!("signing with {alg:?}: {e}")))
    }
}

impl PublicKey {
    /// Reads a PEM public key: `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1).
    pub fn from_pem(text: &[u8]) -> Result<Self, KeyError> {
        let (label, der) = pem_block(text)?;
        let mut key = match label.as_str() {
            "PUBLIC KEY" => Self::from_spki(&der)?,
            "RSA PUBLIC KEY" => {
                let (n, e) = rsa_public_components(&der).ok_or(KeyError::Invalid("RSA"))?;
                Self::rsa(&n, &e, None)
            }
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                return Err(KeyError::Pem(
                    "a private key where the public key belongs: give the public key (openssl pkey -in KEY -pubout)"
                        .into(),
                ));
            }
            other => {
                return Err(KeyError::Pem(format!(
                    "a PEM block labelled {other:?}, not a public key"
                )));
            }
        };
        key.pem = text.to_vec();
        key.der = der;
        Ok(key)
    }

    fn from_spki(der: &[u8]) -> Result<Self, KeyError> {
        let invalid =
            || KeyError::Pem("a PUBLIC KEY block that is not SubjectPublicKeyInfo".into());
        let (body, _) = expect(der, SEQUENCE).ok_or_else(invalid)?;
        let (algorithm, rest) = expect(body, SEQUENCE).ok_or_else(invalid)?;
        let (oid, params) = expect(algorithm, OID).ok_or_else(invalid)?;
        let (bits, _) = expect(rest, BIT_STRING).ok_or_else(invalid)?;
        let key = match bits.split_first() {
            Some((0, key)) => key,
            _ => return Err(invalid()),
        };
        match oid {
            OID_RSA => {
                let (n, e) = rsa_public_components(key).ok_or(KeyError::Invalid("RSA"))?;
                Ok(Self::rsa(&n, &e, None))
            }
            OID_EC => {
                if expect(params, OID).map(|(c, _)| c) != Some(OID_P256) {
                    return Err(KeyError::Unsupported(
                        "an EC key on a curve other than P-256 (ES256)".into(),
                    ));
                }
                match key {
                    [4, point @ ..] if point.len() == 64 => {
                        Self::ec(&point[..32], &point[32..], None)
                    }
                    _ => Err(KeyError::Invalid("EC P-256")),
                }
            }
            OID_ED25519 => Self::ed(key, None),
            _ => Err(KeyError::Unsupported(
                "a public key that is not RSA, EC P-256 or Ed25519".into(),
            )),
        }
    }

    /// A key from its JWK (`kty` RSA, EC on P-256, or OKP Ed25519).
    pub fn from_jwk(jwk: &Value) -> Result<Self, KeyError> {
        let field = |name: &str| -> Result<Vec<u8>, KeyError> {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(|v| B64.decode(v.trim_end_matches('=')).ok())
                .ok_or_else(|| KeyError::Jwk(format!("a JWK without a base64url {name:?}")))
        };
        let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_string);
        let kty = jwk.get("kty").and_then(Value::as_str).unwrap_or_default();
        let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or_default();
        match (kty, crv) {
            ("RSA", _) => Ok(Self::rsa(&field("n")?, &field("e")?, kid)),
            ("EC", "P-256") => Self::ec(&field("x")?, &field("y")?, kid),
            ("OKP", "Ed25519") => Self::ed(&field("x")?, kid),
            _ => Err(KeyError::Jwk(format!(
                "a JWK of kty {kty:?}{}: not RSA, EC P-256 or Ed25519",
                if crv.is_empty() {
                    String::new()
                } else {
                    format!(" crv {crv:?}")
                }
            ))),
        }
    }

    fn rsa(n: &[u8], e: &[u8], kid: Option<String>) -> Self {
        let pkcs1 = der_tlv(SEQUENCE, &[der_uint(n), der_uint(e)].concat());
        let algorithm = [der_tlv(OID, OID_RSA), der_tlv(NULL, &[])].concat();
        let spki = spki(&algorithm, &pkcs1);
        PublicKey {
            key_type: KeyType::Rsa,
            decoding: DecodingKey::from_rsa_raw_components(n, e),
            pem: pem_text("PUBLIC KEY", &spki),
            der: spki,
            jwk: json!({"kty": "RSA", "n": B64.encode(trim_zeros(n)), "e": B64.encode(trim_zeros(e))}),
            kid,
        }
    }

    fn ec(x: &[u8], y: &[u8], kid: Option<String>) -> Result<Self, KeyError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(KeyError::Invalid("EC P-256"));
        }
        let point = [&[4u8][..], x, y].concat();
        let algorithm = [der_tlv(OID, OID_EC), der_tlv(OID, OID_P256)].concat();
        let spki = spki(&algorithm, &point);
        Ok(PublicKey {
            key_type: KeyType::Ec,
            decoding: DecodingKey::from_ec_der(&point),
            pem: pem_text("PUBLIC KEY", &spki),
            der: spki,
            jwk: json!({"kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y)}),
            kid,
        })
    }

    fn ed(x: &[u8], kid: Option<String>) -> Result<Self, KeyError> {
        if x.len() != 32 {
            return Err(KeyError::Invalid("Ed25519"));
        }
        let spki = spki(&der_tlv(OID, OID_ED25519), x);
        Ok(PublicKey {
            key_type: KeyType::Ed,
            decoding: DecodingKey::from_ed_der(x),
            pem: pem_text("PUBLIC KEY", &spki),
            der: spki,
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(x)}),
            kid,
        })
    }

    /// Whether `signature` (base64url) is this key's signature of `input` under `alg`.
    pub fn verifies(&self, alg: &str, input: &[u8], signature: &str) -> bool {
        JwsAlgorithm::from_str(alg).is_ok_and(|alg| {
            jsonwebtoken::crypto::verify(signature, input, &self.decoding, alg).unwrap_or(false)
        })
    }
}

/// The public keys the suite was given: one PEM file, or the keys of a JWKS.
#[derive(Debug, Clone)]
pub struct KeySet {
    /// The keys.
    pub keys: Vec<PublicKey>,
    /// Where they came from, for messages (`--verifying-key-file public.pem`, `jwks_url …`).
    pub source: String,
}

impl KeySet {
    /// A single key from a PEM file.
    pub fn single(key: PublicKey, source: String) -> Self {
        KeySet {
            keys: vec![key],
            source,
        }
    }

    /// The keys of a JWKS document (`{"keys": [...]}`); keys of kinds the suite does not
    /// handle are left out, and an empty result is an error.
    pub fn from_jwks(document: &Value, source: String) -> Result<Self, KeyError> {
        let listed = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| KeyError::Jwk(format!("{source}: not a JWKS (no \"keys\" array)")))?;
        let mut keys = Vec::new();
        let mut refused = Vec::new();
        for jwk in listed {
            // Keys marked for encryption only are not signature keys.
            if jwk.get("use").and_then(Value::as_str) == Some("enc") {
                continue;
            }
            match PublicKey::from_jwk(jwk) {
                Ok(k) => keys.push(k),
                Err(e) => refused.push(e.to_string()),
            }
        }
        if keys.is_empty() {
            return Err(KeyError::Jwk(format!(
                "{source}: no RSA, EC P-256 or Ed25519 signature key in the JWKS{}",
                if refused.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", refused.join("; "))
                }
            )));
        }
        Ok(KeySet { keys, source })
    }

    /// The key that verifies a token whose header has this `kid`: the one of a PEM file
    /// whatever the `kid`; in a JWKS, the key with that `kid`, or the only key when the token
    /// names none.
    pub fn for_kid(&self, kid: Option<&str>) -> Result<&PublicKey, NoKeyFor> {
        if let [only] = self.keys.as_slice()
            && (only.kid.is_none() || kid.is_none() || only.kid.as_deref() == kid)
        {
            return Ok(only);
        }
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .ok_or_else(|| NoKeyFor::Kid {
                    keys: self.source.clone(),
                    kid: kid.to_string(),
                }),
            None => Err(NoKeyFor::NoKid {
                keys: self.source.clone(),
                count: self.keys.len(),
            }),
        }
    }
}

/// Why no key of a set verifies a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoKeyFor {
    /// No key has the token's `kid`.
    #[error("no key of {keys} has the kid {kid:?}")]
    Kid {
        /// Where the keys came from.
        keys: String,
        /// The token's `kid`.
        kid: String,
    },
    /// The token names no `kid`, and the set has several keys.
    #[error("the token names no kid, and {keys} has {count} keys")]
    NoKid {
        /// Where the keys came from.
        keys: String,
        /// How many it has.
        count: usize,
    },
}

/// The attacker's keys: key pairs generated for this suite and **published with it**, so they
/// are nobody's secret and no deployment may trust them. A token signed with one of them has
/// the deployment's algorithm and a perfect signature by a key that is not the server's.
pub const ATTACKER_KEYS_PEM: [(KeyType, &str); 3] = [
    (KeyType::Rsa, include_str!("attacker_keys/rsa.pem")),
    (KeyType::Ec, include_str!("attacker_keys/ec.pem")),
    (KeyType::Ed, include_str!("attacker_keys/ed25519.pem")),
];

static ATTACKER_KEYS: LazyLock<Vec<Result<PrivateKey, KeyError>>> = LazyLock::new(|| {
    ATTACKER_KEYS_PEM
        .iter()
        .map(|(_, pem)| PrivateKey::from_pem(pem.as_bytes()))
        .collect()
});

/// The attacker's key of this kind.
pub fn attacker_key(key_type: KeyType) -> Result<&'static PrivateKey, KeyError> {
    let at = ATTACKER_KEYS_PEM
        .iter()
        .position(|(t, _)| *t == key_type)
        .unwrap_or_default();
    match ATTACKER_KEYS.get(at) {
        Some(Ok(k)) => Ok(k),
        Some(Err(e)) => Err(e.clone()),
        None => Err(KeyError::Unsupported(key_type.name().into())),
    }
}

/// The label and DER of the first PEM block of `text` (RFC 7468).
fn pem_block(text: &[u8]) -> Result<(String, Vec<u8>), KeyError> {
    let text = std::str::from_utf8(text).map_err(|_| KeyError::Pem("not text".into()))?;
    let start = text
        .find("-----BEGIN ")
        .ok_or_else(|| KeyError::Pem("no -----BEGIN line".into()))?;
    let after = &text[start + "-----BEGIN ".len()..];
    let (label, after) = after
        .split_once("-----")
        .ok_or_else(|| KeyError::Pem("a malformed -----BEGIN line".into()))?;
    let end = format!("-----END {label}-----");
    let (body, _) = after
        .split_once(end.as_str())
        .ok_or_else(|| KeyError::Pem(format!("no {end} line")))?;
    if body.contains(':') {
        return Err(KeyError::Unsupported(
            "a PEM block with headers (an encrypted key?): decrypt it first".into(),
        ));
    }
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD
        .decode(b64)
        .map_err(|_| KeyError::Pem(format!("the {label} block is not base64")))?;
    Ok((label.to_string(), der))
}

/// PEM text as OpenSSL and Python's `cryptography` write it: 64 columns, a final newline.
fn pem_text(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

/// The content of the DER element at the start of `input` if it has this tag, and what follows.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (found == tag && rest.len() >= len).then(|| (&rest[..len], &rest[len..]))
}

/// One DER element.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[start..]
}

/// A non-negative DER INTEGER of big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed = trim_zeros(bytes);
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    der_tlv(INTEGER, &content)
}

fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let bits = [&[0u8][..], key].concat();
    der_tlv(
        SEQUENCE,
        &[der_tlv(SEQUENCE, algorithm), der_tlv(BIT_STRING, &bits)].concat(),
    )
}

/// `n` and `e` of a PKCS#1 `RSAPublicKey`.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (body, _) = expect(der, SEQUENCE)?;
    let (n, rest) = expect(body, INTEGER)?;
    let (e, _) = expect(rest, INTEGER)?;
    Some((trim_zeros(n).to_vec(), trim_zeros(e).to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn algorithms_parse_by_their_exact_names() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
        }
        assert!("rs256".parse::<Algorithm>().is_err());
        assert!("none".parse::<Algorithm>().is_err());
        assert_eq!(Algorithm::default(), Algorithm::Hs256);
    }

    #[test]
    fn test_keys_sign_and_verify_under_their_algorithm_only() {
        for (private, public, alg) in [
            ("rs256-private.pem", "rs256-public.pem", "RS256"),
            ("es256-private.pem", "es256-public.pem", "ES256"),
            ("eddsa-private.pem", "eddsa-public.pem", "EdDSA"),
        ] {
            let sk = PrivateKey::from_pem(&data(private)).expect(private);
            let pk = PublicKey::from_pem(&data(public)).expect(public);
            assert_eq!(sk.key_type.algorithm().name(), alg);
            assert_eq!(pk.pem, data(public), "the PEM text is kept as in the file");
            assert_eq!(
                pk.der,
                sk.public().der,
                "{alg}: the SPKI written from the private key is the file's"
            );
            assert_eq!(pk.jwk, sk.public().jwk);
            let sig = sk.sign(alg, b"input").expect("signs");
            assert!(pk.verifies(alg, b"input", &sig), "{alg}");
            assert!(!pk.verifies(alg, b"other input", &sig), "{alg}");
            assert!(!pk.verifies("HS256", b"input", &sig), "{alg}");
            let jwk = PublicKey::from_jwk(&pk.jwk).expect("from its JWK");
            assert!(jwk.verifies(alg, b"input", &sig), "{alg} via JWK");
            assert_eq!(jwk.der, pk.der, "{alg}: the JWK gives the same SPKI");
            let attacker = attacker_key(sk.key_type).expect("attacker key");
            let forged = attacker.sign(alg, b"input").expect("signs");
            assert!(!pk.verifies(alg, b"input", &forged), "{alg}: attacker key");
        }
    }

    #[test]
    fn an_rsa_key_also_signs_under_other_rsa_algorithms() {
        let sk = PrivateKey::from_pem(&data("rs256-private.pem")).expect("key");
        for alg in ["PS256", "RS512"] {
            let sig = sk.sign(alg, b"x").expect(alg);
            assert!(sk.public().verifies(alg, b"x", &sig));
            assert!(!sk.public().verifies("RS256", b"x", &sig));
        }
    }

    #[test]
    fn wrong_files_say_what_is_wrong() {
        let err = PublicKey::from_pem(&data("rs256-private.pem")).expect_err("private");
        assert!(
            err.to_string()
                .contains("private key where the public key belongs")
        );
        let err = PrivateKey::from_pem(&data("rs256-public.pem")).expect_err("public");
        assert!(err.to_string().contains("not a private key"));
        let err = PrivateKey::from_pem(b"hello").expect_err("not pem");
        assert!(err.to_string().contains("BEGIN"));
        let err = PrivateKey::from_pem(&data("test-ca.pem")).expect_err("certificate");
        assert!(err.to_string().contains("CERTIFICATE"), "{err}");
    }

    #[test]
    fn a_sec1_ec_key_reads_like_its_pkcs8_form() {
        // The SEC1 ECPrivateKey inside the PKCS#8 test key, in its own PEM block.
        let (_, pkcs8) = pem_block(&data("es256-private.pem")).expect("pem");
        let (body, _) = expect(&pkcs8, SEQUENCE).expect("seq");
        let (_, rest) = expect(body, INTEGER).expect("version");
        let (_, rest) = expect(rest, SEQUENCE).expect("algorithm");
        let (sec1, _) = expect(rest, OCTET_STRING).expect("key");
        let sk = PrivateKey::from_pem(&pem_text("EC PRIVATE KEY", sec1)).expect("SEC1");
        let pk = PublicKey::from_pem(&data("es256-public.pem")).expect("public");
        assert_eq!(sk.public().der, pk.der);
    }

    #[test]
    fn a_jwks_selects_by_kid() {
        let a = PublicKey::from_pem(&data("rs256-public.pem")).expect("a");
        let b = PublicKey::from_pem(&data("es256-public.pem")).expect("b");
        let mut ja = a.jwk.clone();
        ja["kid"] = json!("a");
        let mut jb = b.jwk.clone();
        jb["kid"] = json!("b");
        let set = KeySet::from_jwks(
            &json!({"keys": [ja, jb, {"kty": "oct", "k": "AA"}]}),
            "jwks".into(),
        )
        .expect("two usable keys");
        assert_eq!(set.keys.len(), 2);
        assert_eq!(set.for_kid(Some("b")).expect("b").key_type, KeyType::Ec);
        assert!(set.for_kid(Some("c")).is_err());
        assert!(set.for_kid(None).is_err());
        assert!(KeySet::from_jwks(&json!({"keys": []}), "jwks".into()).is_err());
        let single = KeySet::single(a, "file".into());
        assert!(single.for_kid(Some("anything")).is_ok());
    }
}
