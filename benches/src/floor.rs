//! The floor: the work no HS256 verifier can skip, and nothing else. Split the compact form,
//! base64url-decode the signature, HMAC-SHA256 over `header.payload` with a key prepared once,
//! compare in constant time, base64url-decode the payload and parse its claims, check `exp`.
//!
//! The header is not parsed: with one key that only ever signs HS256, the MAC already covers
//! it, and a token whose header names another algorithm cannot carry a valid HS256 MAC without
//! the key. Buffers live on the stack; claims borrow from them. Whatever a real verifier does
//! beyond this (header parsing, per-call key setup, a generic claims map) is its overhead.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// The claims the reference server mints, borrowed from the decoded payload.
#[derive(Debug, Deserialize)]
pub struct Claims<'a> {
    #[serde(borrow)]
    pub token_type: Cow<'a, str>,
    pub exp: i64,
    pub iat: i64,
    #[serde(borrow)]
    pub jti: Cow<'a, str>,
    #[serde(borrow)]
    pub user_id: Cow<'a, str>,
}

/// Why the floor refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    BadSignature,
    Expired,
}

/// Payloads longer than this are refused (the reference server's tokens are ~190 bytes).
const MAX_PAYLOAD: usize = 768;

/// An HS256 verifier reduced to the unavoidable work.
#[derive(Clone)]
pub struct Floor {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Floor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Floor").finish_non_exhaustive()
    }
}

impl Floor {
    pub fn new(key: &[u8]) -> Floor {
        // HMAC takes keys of any length; the fallback only keeps this total.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
        Floor { mac }
    }

    /// Verifies `token` and calls `f` with its claims (they borrow a stack buffer).
    pub fn verify<R>(&self, token: &str, f: impl FnOnce(&Claims<'_>) -> R) -> Result<R, Refused> {
        let (signed, signature) = token.rsplit_once('.').ok_or(Refused::Malformed)?;
        let (_, payload) = signed.split_once('.').ok_or(Refused::Malformed)?;
        let mut given = [0u8; 48];
        let n = URL_SAFE_NO_PAD
            .decode_slice(signature, &mut given)
            .map_err(|_| Refused::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        let expected = mac.finalize().into_bytes();
        if n != expected.len() || !bool::from(expected.as_slice().ct_eq(&given[..n])) {
            return Err(Refused::BadSignature);
        }
        if payload.len() > MAX_PAYLOAD * 4 / 3 {
            return Err(Refused::Malformed);
        }
        let mut buffer = [0u8; MAX_PAYLOAD];
        let n = URL_SAFE_NO_PAD
            .decode_slice(payload, &mut buffer)
            .map_err(|_| Refused::Malformed)?;
        let claims: Claims<'_> =
            serde_json::from_slice(&buffer[..n]).map_err(|_| Refused::Malformed)?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        if now >= claims.exp as f64 {
            return Err(Refused::Expired);
        }
        Ok(f(&claims))
    }
}
