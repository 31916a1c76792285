//! The tokens the in-process benches verify: one the reference server minted, and the
//! common invalid kinds (bad signature, expired, garbage), all the length of a real token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::{Rng as _, SeedableRng as _};
use reference_server::{AppState, Config};
use sha2::Sha256;

/// One token to verify, and whether a correct verifier accepts it.
#[derive(Debug, Clone)]
pub struct Case {
    /// `valid`, `bad-signature`, `expired` or `garbage`.
    pub kind: &'static str,
    pub token: String,
    pub valid: bool,
}

/// A reference server's state (its `Tokens`, built once, as the server builds it) and the
/// cases to verify against it.
#[derive(Debug)]
pub struct Fixture {
    pub state: AppState,
    /// The server's HS256 key, for the other verifiers.
    pub key: Vec<u8>,
    pub cases: Vec<Case>,
}

/// A state built from `Config::for_tests()` with an access lifetime longer than any bench.
pub async fn fixture() -> Result<Fixture, String> {
    let mut config = Config::for_tests();
    config.access_lifetime = Duration::from_secs(2 * 3600);
    config.refresh_lifetime = Duration::from_secs(4 * 3600);
    let key = config
        .signing_key
        .clone()
        .ok_or("Config::for_tests() has no signing key")?
        .into_bytes();
    let state = AppState::build(&config).await.map_err(|e| e.to_string())?;
    let valid = state.tokens().obtain_pair(1).access;
    let (signed, _) = valid.rsplit_once('.').ok_or("a minted token has no '.'")?;
    let bad_signature = format!("{signed}.{}", mac(b"not-the-server-key", signed));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    let expired = sign(
        &key,
        &serde_json::json!({
            "token_type": "access",
            "exp": now - 60,
            "iat": now - 360,
            "jti": "0123456789abcdef0123456789abcdef",
            "user_id": "1",
        }),
    );
    let garbage = garbage_like(&valid);
    let cases = vec![
        case("valid", valid, true),
        case("bad-signature", bad_signature, false),
        case("expired", expired, false),
        case("garbage", garbage, false),
    ];
    Ok(Fixture { state, key, cases })
}

fn case(kind: &'static str, token: String, valid: bool) -> Case {
    Case { kind, token, valid }
}

/// base64url of `{"alg":"HS256","typ":"JWT"}`, as the reference server writes it.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// An HS256 token over `claims`, signed with `key`.
pub fn sign(key: &[u8], claims: &serde_json::Value) -> String {
    let signed = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = mac(key, &signed);
    format!("{signed}.{signature}")
}

fn mac(key: &[u8], message: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    mac.update(message.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Random base64url characters in the three segments of `token`'s lengths (fixed seed).
fn garbage_like(token: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    token
        .split('.')
        .map(|segment| {
            (0..segment.len())
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(".")
}
