//! The one algorithm and key every token is signed and checked with: an HMAC secret (HS256,
//! HS384, HS512) or an asymmetric key pair (RS256, ES256, EdDSA) read from PEM files with
//! ring. A token is only ever checked with this algorithm and key, whatever its header says.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use sha2::{Sha256, Sha384, Sha512};

/// The signing algorithm (simplejwt's `ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// HMAC-SHA256 with `--signing-key` (simplejwt's default).
    #[default]
    Hs256,
    /// HMAC-SHA384.
    Hs384,
    /// HMAC-SHA512.
    Hs512,
    /// RSASSA-PKCS1-v1_5 with SHA-256, an RSA key of 2048 to 8192 bits.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    /// Every algorithm, in the order `--help` lists them.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Hs256,
        Algorithm::Hs384,
        Algorithm::Hs512,
        Algorithm::Rs256,
        Algorithm::Es256,
        Algorithm::EdDsa,
    ];

    /// The JWS `alg` value.
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

    /// Whether it signs with a shared secret (`--signing-key`) rather than a key pair.
    pub fn is_hmac(self) -> bool {
        matches!(self, Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512)
    }

    /// The shortest HMAC secret RFC 7518 §3.2 allows for this algorithm: as long as its hash
    /// output (32, 48, 64 bytes); 0 for the key-pair algorithms.
    pub fn min_secret_bytes(self) -> usize {
        match self {
            Algorithm::Hs256 => 32,
            Algorithm::Hs384 => 48,
            Algorithm::Hs512 => 64,
            Algorithm::Rs256 | Algorithm::Es256 | Algorithm::EdDsa => 0,
        }
    }

    fn key_kind(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "an RSA",
            Algorithm::Es256 => "an EC P-256",
            Algorithm::EdDsa => "an Ed25519",
            _ => "an HMAC",
        }
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
                format!("unknown algorithm {s:?}: one of {}", names.join(", "))
            })
    }
}

/// Why the configured key cannot be used: one sentence naming the flag to fix.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {flag} {}: {source}", .path.display())]
    Read {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{flag} {}: {why}", .path.display())]
    Invalid {
        flag: &'static str,
        path: PathBuf,
        why: String,
    },
    #[error("--algorithm {0} signs with a key pair: give its private key with --private-key-file")]
    MissingPrivateKey(Algorithm),
    #[error(
        "--private-key-file and --public-key-file are for RS256, ES256 and EdDSA; --algorithm {0} signs with --signing-key"
    )]
    FilesWithHmac(Algorithm),
    #[error(
        "--signing-key is an HMAC secret, but --algorithm {0} signs with a key pair: give --private-key-file"
    )]
    SecretWithKeyPair(Algorithm),
    #[error(
        "--public-key-file {} is not the public half of --private-key-file {}",
        .public.display(),
        .private.display()
    )]
    Mismatch { public: PathBuf, private: PathBuf },
}

/// Signs and checks signatures with the configured algorithm and key, nothing else.
pub enum Signer {
    /// An HMAC keyed once at start (cloned per use).
    Hmac(HmacKey),
    /// RS256.
    Rsa(RsaKeyPair),
    /// ES256.
    Ecdsa(EcdsaKeyPair),
    /// EdDSA.
    Ed25519(Ed25519KeyPair),
}

/// A keyed HMAC of one of the three sizes.
#[derive(Clone)]
pub enum HmacKey {
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signer::Hmac(_) => "Signer::Hmac(<redacted>)",
            Signer::Rsa(_) => "Signer::Rsa(<redacted>)",
            Signer::Ecdsa(_) => "Signer::Ecdsa(<redacted>)",
            Signer::Ed25519(_) => "Signer::Ed25519(<redacted>)",
        })
    }
}

impl Signer {
    /// An HMAC signer; `key` may have any length, as HMAC allows.
    pub fn hmac(algorithm: Algorithm, key: &[u8]) -> Signer {
        macro_rules! keyed {
            ($digest:ty) => {
                // HMAC takes keys of any length, so this never fails; the fallback keeps it total.
                <Hmac<$digest> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| <Hmac<$digest> as Mac>::new(&Default::default()))
            };
        }
        Signer::Hmac(match algorithm {
            Algorithm::Hs384 => HmacKey::Sha384(keyed!(Sha384)),
            Algorithm::Hs512 => HmacKey::Sha512(keyed!(Sha512)),
            _ => HmacKey::Sha256(keyed!(Sha256)),
        })
    }

    /// The key pair of `private` (PEM), checked against `public` (PEM) when given.
    pub fn key_pair(
        algorithm: Algorithm,
        private: &Path,
        public: Option<&Path>,
    ) -> Result<Signer, KeyError> {
        let flag = "--private-key-file";
        let invalid = |why: String| KeyError::Invalid {
            flag,
            path: private.to_path_buf(),
            why,
        };
        let (label, der) = read_pem(flag, private)?;
        let (found, pkcs8) = match label.as_str() {
            "PRIVATE KEY" => (pkcs8_algorithm(&der).map_err(invalid)?, true),
            "RSA PRIVATE KEY" => (Algorithm::Rs256, false),
            "EC PRIVATE KEY" => {
                return Err(invalid(
                    "a SEC1 EC key: convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)".into(),
                ));
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid(
                    "an encrypted key: decrypt it first (openssl pkey -in KEY -out PLAIN)".into(),
                ));
            }
            other => {
                return Err(invalid(format!(
                    "a PEM block labelled {other:?}, not a private key"
                )));
            }
        };
        if found != algorithm {
            return Err(invalid(format!(
                "{} key, but --algorithm {algorithm} signs with {} key",
                found.key_kind(),
                algorithm.key_kind()
            )));
        }
        let rejected = |e: ring::error::KeyRejected| invalid(format!("the key is refused: {e}"));
        let signer = match algorithm {
            Algorithm::Rs256 if pkcs8 => {
                Signer::Rsa(RsaKeyPair::from_pkcs8(&der).map_err(rejected)?)
            }
            Algorithm::Rs256 => Signer::Rsa(RsaKeyPair::from_der(&der).map_err(rejected)?),
            Algorithm::Es256 => Signer::Ecdsa(
                EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?,
            ),
            Algorithm::EdDsa => {
                Signer::Ed25519(Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(rejected)?)
            }
            hmac => return Err(KeyError::FilesWithHmac(hmac)),
        };
        if let Some(public) = public {
            let published = public_key_bytes(public)?;
            if published != signer.public_key() {
                return Err(KeyError::Mismatch {
                    public: public.to_path_buf(),
                    private: private.to_path_buf(),
                });
            }
        }
        Ok(signer)
    }

    /// The public key as ring holds it (PKCS#1 for RSA, the point for EC, 32 bytes for Ed25519).
    fn public_key(&self) -> &[u8] {
        match self {
            Signer::Hmac(_) => &[],
            Signer::Rsa(pair) => pair.public().as_ref(),
            Signer::Ecdsa(pair) => pair.public_key().as_ref(),
            Signer::Ed25519(pair) => pair.public_key().as_ref(),
        }
    }

    /// The signature of `input`.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        match self {
            Signer::Hmac(key) => mac(key, input),
            Signer::Rsa(pair) => {
                let mut sig = vec![0; pair.public().modulus_len()];
                match pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    input,
                    &mut sig,
                ) {
                    Ok(()) => sig,
                    // Cannot happen with a buffer of the modulus length; an empty signature
                    // makes a token nobody accepts.
                    Err(_) => Vec::new(),
                }
            }
            Signer::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), input)
                .map(|s| s.as_ref().to_vec())
                .unwrap_or_default(),
            Signer::Ed25519(pair) => pair.sign(input).as_ref().to_vec(),
        }
    }

    /// Whether `signature` is this key's signature of `input` under the configured algorithm
    /// (HMAC compared in constant time).
    pub fn verify(&self, input: &[u8], signature: &[u8]) -> bool {
        let (algorithm, public): (&'static dyn signature::VerificationAlgorithm, &[u8]) = match self
        {
            Signer::Hmac(key) => return verify_mac(key, input, signature),
            Signer::Rsa(pair) => (
                &signature::RSA_PKCS1_2048_8192_SHA256,
                pair.public().as_ref(),
            ),
            Signer::Ecdsa(pair) => (
                &signature::ECDSA_P256_SHA256_FIXED,
                pair.public_key().as_ref(),
            ),
            Signer::Ed25519(pair) => (&signature::ED25519, pair.public_key().as_ref()),
        };
        signature::UnparsedPublicKey::new(algorithm, public)
            .verify(input, signature)
            .is_ok()
    }
}

fn mac(key: &HmacKey, input: &[u8]) -> Vec<u8> {
    macro_rules! run {
        ($m:expr) => {{
            let mut m = $m.clone();
            m.update(input);
            m.finalize().into_bytes().to_vec()
        }};
    }
    match key {
        HmacKey::Sha256(m) => run!(m),
        HmacKey::Sha384(m) => run!(m),
        HmacKey::Sha512(m) => run!(m),
    }
}

fn verify_mac(key: &HmacKey, input: &[u8], signature: &[u8]) -> bool {
    macro_rules! run {
        ($m:expr) => {{
            let mut m = $m.clone();
            m.update(input);
            m.verify_slice(signature).is_ok()
        }};
    }
    match key {
        HmacKey::Sha256(m) => run!(m),
        HmacKey::Sha384(m) => run!(m),
        HmacKey::Sha512(m) => run!(m),
    }
}

// Object identifiers, as the content octets of their DER encoding.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// The label and DER of the PEM file at `path`.
fn read_pem(flag: &'static str, path: &Path) -> Result<(String, Vec<u8>), KeyError> {
    let text = std::fs::read(path).map_err(|source| KeyError::Read {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    let invalid = |why: &str| KeyError::Invalid {
        flag,
        path: path.to_path_buf(),
        why: why.to_owned(),
    };
    let text = String::from_utf8(text).map_err(|_| invalid("not a PEM file (not text)"))?;
    let begin = text
        .find("-----BEGIN ")
        .ok_or_else(|| invalid("not a PEM file (no -----BEGIN line)"))?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let (label, rest) = rest
        .split_once("-----")
        .ok_or_else(|| invalid("a malformed -----BEGIN line"))?;
    let (body, _) = rest
        .split_once(&format!("-----END {label}-----"))
        .ok_or_else(|| invalid("no -----END line"))?;
    if body.contains(':') {
        return Err(invalid("a PEM block with headers (an encrypted key?)"));
    }
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD
        .decode(b64)
        .map_err(|_| invalid("the PEM block is not base64"))?;
    Ok((label.to_owned(), der))
}

/// The content of the DER element at the start of `input` if it has this tag, and the rest.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
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

/// The algorithm of a PKCS#8 key: RSA, EC on P-256, Ed25519.
fn pkcs8_algorithm(der: &[u8]) -> Result<Algorithm, String> {
    let parsed = (|| {
        let (body, _) = element(der, 0x30)?;
        let (_, rest) = element(body, 0x02)?;
        let (algorithm, _) = element(rest, 0x30)?;
        let (oid, params) = element(algorithm, 0x06)?;
        Some((oid, params))
    })();
    match parsed {
        Some((OID_RSA, _)) => Ok(Algorithm::Rs256),
        Some((OID_EC, params)) if element(params, 0x06).map(|p| p.0) == Some(OID_P256) => {
            Ok(Algorithm::Es256)
        }
        Some((OID_EC, _)) => Err("an EC key on a curve other than P-256".into()),
        Some((OID_ED25519, _)) => Ok(Algorithm::EdDsa),
        Some(_) => Err("a key that is not RSA, EC P-256 or Ed25519".into()),
        None => Err("a PRIVATE KEY block that is not PKCS#8".into()),
    }
}

/// The key inside a `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` PEM file, as ring
/// holds public keys.
fn public_key_bytes(path: &Path) -> Result<Vec<u8>, KeyError> {
    let flag = "--public-key-file";
    let invalid = |why: &str| KeyError::Invalid {
        flag,
        path: path.to_path_buf(),
        why: why.to_owned(),
    };
    let (label, der) = read_pem(flag, path)?;
    match label.as_str() {
        "PUBLIC KEY" => {
            let key = (|| {
                let (body, _) = element(&der, 0x30)?;
                let (_, rest) = element(body, 0x30)?;
                let (bits, _) = element(rest, 0x03)?;
                bits.split_first()
                    .filter(|(unused, _)| **unused == 0)
                    .map(|(_, key)| key)
            })();
            key.map(<[u8]>::to_vec)
                .ok_or_else(|| invalid("a PUBLIC KEY block that is not SubjectPublicKeyInfo"))
        }
        "RSA PUBLIC KEY" => Ok(der),
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
            Err(invalid("a private key where the public key belongs"))
        }
        other => Err(invalid(&format!(
            "a PEM block labelled {other:?}, not a public key"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(name: &str) -> PathBuf {
        PathBuf::from(format!(
            "{}/../conformance/tests/data/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
    }

    #[test]
    fn key_pairs_sign_and_verify_their_own_signatures_only() {
        for (alg, private, public) in [
            (Algorithm::Rs256, "rs256-private.pem", "rs256-public.pem"),
            (Algorithm::Es256, "es256-private.pem", "es256-public.pem"),
            (Algorithm::EdDsa, "eddsa-private.pem", "eddsa-public.pem"),
        ] {
            let signer = Signer::key_pair(alg, &data(private), Some(&data(public)))
                .unwrap_or_else(|e| panic!("{alg}: {e}"));
            let sig = signer.sign(b"input");
            assert!(signer.verify(b"input", &sig), "{alg}");
            assert!(!signer.verify(b"other", &sig), "{alg}");
            // The public key's bytes as an HMAC secret never verify anything here.
            let pem = std::fs::read(data(public)).expect("public key");
            let confused = Signer::hmac(Algorithm::Hs256, &pem).sign(b"input");
            assert!(!signer.verify(b"input", &confused), "{alg}");
        }
    }

    #[test]
    fn hmac_signers_of_each_size() {
        for (alg, len) in [
            (Algorithm::Hs256, 32),
            (Algorithm::Hs384, 48),
            (Algorithm::Hs512, 64),
        ] {
            let s = Signer::hmac(alg, b"k");
            let sig = s.sign(b"x");
            assert_eq!(sig.len(), len);
            assert!(s.verify(b"x", &sig));
            assert!(!s.verify(b"y", &sig));
        }
    }

    #[test]
    fn bad_key_files_are_refused_in_one_sentence() {
        let err = |alg, private: &str, public: Option<&str>| {
            let public = public.map(data);
            Signer::key_pair(alg, &data(private), public.as_deref())
                .expect_err("refused")
                .to_string()
        };
        let e = err(Algorithm::Rs256, "missing.pem", None);
        assert!(e.starts_with("cannot read --private-key-file"), "{e}");
        let e = err(Algorithm::Rs256, "es256-private.pem", None);
        assert!(
            e.contains("an EC P-256 key, but --algorithm RS256 signs with an RSA key"),
            "{e}"
        );
        let e = err(
            Algorithm::Es256,
            "es256-private.pem",
            Some("rs256-public.pem"),
        );
        assert!(e.contains("is not the public half"), "{e}");
        let e = err(Algorithm::Rs256, "rs256-public.pem", None);
        assert!(e.contains("not a private key"), "{e}");
        let e = err(
            Algorithm::Rs256,
            "rs256-private.pem",
            Some("rs256-private.pem"),
        );
        assert!(
            e.contains("private key where the public key belongs"),
            "{e}"
        );
        let e = err(Algorithm::Rs256, "test-ca.pem", None);
        assert!(e.contains("CERTIFICATE"), "{e}");
    }

    #[test]
    fn algorithms_parse_by_their_exact_names() {
        for a in Algorithm::ALL {
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
        }
        assert!("rs256".parse::<Algorithm>().is_err());
    }
}
