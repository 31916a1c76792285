//! The fake's RS256 mode: its RSA key pair (the test keys of `tests/data`, read with ring, not
//! with the suite's code), signing, and checking a signature the ways the defects of
//! asymmetric deployments check it.

use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64},
};
use ring::{
    rand::SystemRandom,
    signature::{self, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey},
};
use serde_json::Value;

/// The fake's RSA key pair and the public key it publishes.
#[derive(Debug)]
pub struct RsaKeys {
    pair: RsaKeyPair,
    /// The published public key's PEM text, byte for byte as in its file.
    pub pem: Vec<u8>,
    /// Its DER (SubjectPublicKeyInfo).
    pub der: Vec<u8>,
}

/// The test key pair the suite is given with `--signing-key-file` / `--verifying-key-file`.
pub const PRIVATE_PEM: &str = "tests/data/rs256-private.pem";
/// Its public half.
pub const PUBLIC_PEM: &str = "tests/data/rs256-public.pem";

fn read(path: &str) -> Result<Vec<u8>, String> {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).map_err(|e| format!("{full}: {e}"))
}

/// The DER inside PEM text.
fn pem_der(text: &[u8]) -> Result<Vec<u8>, String> {
    let body: String = String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).map_err(|e| format!("not PEM: {e}"))
}

impl RsaKeys {
    /// The test key pair.
    pub fn load() -> Result<Self, String> {
        let pair = RsaKeyPair::from_pkcs8(&pem_der(&read(PRIVATE_PEM)?)?)
            .map_err(|e| format!("{PRIVATE_PEM}: {e}"))?;
        let pem = read(PUBLIC_PEM)?;
        let der = pem_der(&pem)?;
        Ok(RsaKeys { pair, pem, der })
    }

    /// The RS256 signature of `input`.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; self.pair.public().modulus_len()];
        match self.pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            input,
            &mut sig,
        ) {
            Ok(()) => sig,
            Err(_) => Vec::new(),
        }
    }

    /// The length of its signatures, in bytes.
    pub fn modulus_len(&self) -> usize {
        self.pair.public().modulus_len()
    }

    /// Whether `sig` is this key's signature of `input` under the RSA algorithm `alg`.
    pub fn verifies(&self, alg: &str, input: &[u8], sig: &[u8]) -> bool {
        let params: &'static signature::RsaParameters = match alg {
            "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
            "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
            "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
            "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
            "PS384" => &signature::RSA_PSS_2048_8192_SHA384,
            "PS512" => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return false,
        };
        UnparsedPublicKey::new(params, self.pair.public().as_ref())
            .verify(input, sig)
            .is_ok()
    }
}

/// Whether `sig` is an RS256 signature of `input` by the RSA key of a JWK (`n`, `e`).
pub fn verifies_with_jwk(jwk: &Value, input: &[u8], sig: &[u8]) -> bool {
    let part = |name: &str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(|v| B64.decode(v).ok())
    };
    match (jwk.get("kty").and_then(Value::as_str), part("n"), part("e")) {
        (Some("RSA"), Some(n), Some(e)) => RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, input, sig)
            .is_ok(),
        _ => false,
    }
}
