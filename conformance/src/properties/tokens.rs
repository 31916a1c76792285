//! Property 1: a freshly issued token, mutated in any way that changes what it says, is never
//! accepted, and never provokes a 5xx. With the server's key, half the cases re-sign the token
//! with header parameters that could name or carry a key (accepted exactly as without them,
//! TOK-13), a `crit` extension (refused, TOK-14) or a claim written twice, the unacceptable
//! value last (refused, TOK-15).

use std::sync::Arc;

use base64::{
    Engine as _,
    alphabet::URL_SAFE,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use proptest::{collection::vec, prelude::*, sample::Index};
use serde_json::{Map, Value, json};

use super::{Options, PropertyResult, Session, answered, check_property};
use crate::jwt;

const CLAIM: &str = "a mutated token is never accepted and never gets a 5xx; one re-signed with \
     header parameters is accepted exactly when it carries no crit and no repeated claim";

/// A case of the property: the token mutated under its old signature, or re-signed.
#[derive(Clone, Debug)]
pub enum Case {
    /// Mutations applied in sequence, the signature kept.
    Mutated(Vec<Mutation>),
    /// Re-signed with the server's key after these changes.
    Resigned(Resign),
}

/// Changes to a genuine token that is then re-signed with the server's key.
#[derive(Clone, Debug)]
pub struct Resign {
    /// Header parameters added (they never choose a key: TOK-13).
    pub params: Vec<(&'static str, Value)>,
    /// A `crit` extension, which must get the token refused (TOK-14).
    pub crit: bool,
    /// A claim written a second time, the value that must not win last (TOK-15).
    pub repeated: Option<Repeated>,
}

/// A claim written twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeated {
    /// `token_type`: `"access"`, then `"refresh"`.
    TypeRefreshLast,
    /// `exp`: the genuine one, then one an hour ago.
    ExpPastLast,
}

impl Resign {
    /// Whether the server must accept the re-signed token.
    fn acceptable(&self) -> bool {
        !self.crit && self.repeated.is_none()
    }

    /// The token, re-signed with `key`; times relative to the token's own `iat`.
    pub fn apply(&self, token: &str, key: &[u8]) -> Option<String> {
        let d = jwt::decode(token).ok()?;
        let mut header = d.header.clone();
        for (k, v) in &self.params {
            header.insert((*k).into(), v.clone());
        }
        if self.crit {
            header.insert(
                "crit".into(),
                json!(["urn:jwt-conformance:must-understand"]),
            );
            header.insert("urn:jwt-conformance:must-understand".into(), json!(true));
        }
        let header = serde_json::to_vec(&header).ok()?;
        let mut claims = serde_json::to_vec(&d.claims).ok()?;
        match self.repeated {
            Some(Repeated::TypeRefreshLast) => {
                jwt::append_member(&mut claims, "token_type", &json!("refresh"));
            }
            Some(Repeated::ExpPastLast) => {
                let iat = d.claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
                jwt::append_member(&mut claims, "exp", &json!(iat - 3600));
            }
            None => {}
        }
        Some(jwt::sign_json_hs256(&header, &claims, key))
    }
}

fn resign() -> impl Strategy<Value = Resign> {
    let param = prop_oneof![
        Just(("kid", json!("jwt-conformance-key-1"))),
        Just(("kid", json!("../../../../dev/null"))),
        Just(("jku", json!("http://127.0.0.1:9/jwks.json"))),
        Just(("x5u", json!("http://127.0.0.1:9/cert.pem"))),
        Just((
            "jwk",
            json!({"kty": "oct", "k": jwt::b64(jwt::ATTACKER_KEY)})
        )),
        Just(("x5c", json!(["bm90IGEgY2VydGlmaWNhdGU="]))),
    ];
    let repeated = prop_oneof![
        6 => Just(None),
        1 => Just(Some(Repeated::TypeRefreshLast)),
        1 => Just(Some(Repeated::ExpPastLast)),
    ];
    (vec(param, 1..=3), proptest::bool::weighted(0.15), repeated).prop_map(
        |(params, crit, repeated)| Resign {
            params,
            crit,
            repeated,
        },
    )
}

/// One change to a token. Applied in sequence; each is small enough to shrink towards.
#[derive(Clone)]
pub enum Mutation {
    /// Flip one bit of one character.
    FlipBit(Index, u8),
    /// Insert a printable character.
    Insert(Index, char),
    /// Delete one character.
    Delete(Index),
    /// Set the header's `alg`, keeping the signature.
    Alg(&'static str),
    /// Set another header field, keeping the signature.
    HeaderField(&'static str, Value),
    /// Write `alg` twice in the header's JSON, the second time with this value.
    DuplicateAlg(&'static str),
    /// Set a claim, keeping the signature.
    Claim(&'static str, Value),
    /// Remove a claim, keeping the signature.
    DropClaim(&'static str),
    /// Append base64 padding to a segment.
    Pad(usize),
    /// Change the number of segments.
    Segments(SegmentChange),
    /// Grow a segment by this many characters.
    Oversize(usize, usize),
}

/// Ways to change the segment structure.
#[derive(Debug, Clone, Copy)]
pub enum SegmentChange {
    /// `header.payload`
    DropSignature,
    /// `payload.signature`
    DropHeader,
    /// `header.payload.signature.signature`
    Duplicate,
    /// `header..signature`
    EmptyPayload,
    /// `header.payload.signature.`
    TrailingDot,
}

impl std::fmt::Debug for Mutation {
    /// Positions are shown as a share of the token's length, which is what an `Index` means.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |i: &Index| format!("{:.0}% into the token", i.index(1000) as f64 / 10.0);
        match self {
            Mutation::FlipBit(i, b) => write!(f, "flip bit {b} of the character {}", at(i)),
            Mutation::Insert(i, c) => write!(f, "insert {c:?} {}", at(i)),
            Mutation::Delete(i) => write!(f, "delete the character {}", at(i)),
            Mutation::Alg(a) => write!(f, "header alg = {a:?}"),
            Mutation::HeaderField(k, v) => write!(f, "header {k} = {v}"),
            Mutation::DuplicateAlg(a) => write!(f, "a second header alg = {a:?}"),
            Mutation::Claim(k, v) => write!(f, "claim {k} = {v} (old signature)"),
            Mutation::DropClaim(k) => write!(f, "drop claim {k} (old signature)"),
            Mutation::Pad(s) => write!(f, "pad segment {s} with '='"),
            Mutation::Segments(c) => write!(f, "{c:?}"),
            Mutation::Oversize(s, n) => write!(f, "grow segment {s} by {n} characters"),
        }
    }
}

const ALGS: &[&str] = &[
    "none", "None", "NONE", "nOnE", "HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "",
    "hs256", "HS256 ",
];
const CLAIMS: &[&str] = &["token_type", "exp", "iat", "jti", "user_id", "nbf"];

fn mutation() -> impl Strategy<Value = Mutation> {
    let printable = (0x20u8..0x7f).prop_map(char::from);
    let header_field = prop_oneof![
        Just(("typ", json!("JWS"))),
        Just(("typ", json!(""))),
        Just(("kid", json!("../../../../dev/null"))),
        Just(("kid", json!("0"))),
        Just(("jku", json!("http://127.0.0.1:9/jwks.json"))),
        Just(("x5u", json!("http://127.0.0.1:9/cert.pem"))),
        Just(("jwk", json!({"kty": "oct", "k": "AAAA"}))),
        Just(("crit", json!(["exp"]))),
        Just(("b64", json!(false))),
    ];
    let claim_value = prop_oneof![
        Just(json!("refresh")),
        Just(json!("access")),
        Just(json!("2")),
        Just(json!(2)),
        Just(json!(null)),
        Just(json!(9_999_999_999_i64)),
        Just(json!("")),
        Just(json!([])),
    ];
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), printable).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<Index>().prop_map(Mutation::Delete),
        proptest::sample::select(ALGS).prop_map(Mutation::Alg),
        header_field.prop_map(|(k, v)| Mutation::HeaderField(k, v)),
        proptest::sample::select(ALGS).prop_map(Mutation::DuplicateAlg),
        (proptest::sample::select(CLAIMS), claim_value).prop_map(|(k, v)| Mutation::Claim(k, v)),
        proptest::sample::select(CLAIMS).prop_map(Mutation::DropClaim),
        (0usize..3).prop_map(Mutation::Pad),
        prop_oneof![
            Just(SegmentChange::DropSignature),
            Just(SegmentChange::DropHeader),
            Just(SegmentChange::Duplicate),
            Just(SegmentChange::EmptyPayload),
            Just(SegmentChange::TrailingDot),
        ]
        .prop_map(Mutation::Segments),
        (0usize..3, 1usize..65_536).prop_map(|(s, n)| Mutation::Oversize(s, n)),
    ]
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

fn decode_json(seg: &str) -> Option<Map<String, Value>> {
    let bytes = lenient().decode(seg).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn encode_json(m: &Map<String, Value>) -> String {
    jwt::b64(serde_json::to_string(m).unwrap_or_default().as_bytes())
}

/// Edits the JSON object of segment `i` (if it is one), leaving the rest as is.
fn edit(token: &str, i: usize, f: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut segs = segments(token);
    if let Some(mut m) = segs.get(i).and_then(|s| decode_json(s)) {
        f(&mut m);
        segs[i] = encode_json(&m);
    }
    segs.join(".")
}

impl Mutation {
    /// The token after this change.
    pub fn apply(&self, token: &str) -> String {
        let chars: Vec<char> = token.chars().collect();
        match self {
            Mutation::FlipBit(at, bit) if !chars.is_empty() => {
                let i = at.index(chars.len());
                let flipped = char::from_u32(chars[i] as u32 ^ (1 << bit))
                    .filter(|c| (' '..='~').contains(c))
                    .unwrap_or('A');
                let mut c = chars;
                c[i] = if flipped == c[i] { 'B' } else { flipped };
                c.into_iter().collect()
            }
            Mutation::Insert(at, ch) => {
                let mut c = chars;
                let i = at.index(c.len() + 1);
                c.insert(i, *ch);
                c.into_iter().collect()
            }
            Mutation::Delete(at) if !chars.is_empty() => {
                let mut c = chars;
                c.remove(at.index(c.len()));
                c.into_iter().collect()
            }
            Mutation::Alg(alg) => edit(token, 0, |h| {
                h.insert("alg".into(), json!(alg));
            }),
            Mutation::HeaderField(k, v) => edit(token, 0, |h| {
                h.insert((*k).into(), v.clone());
            }),
            Mutation::DuplicateAlg(alg) => {
                let mut segs = segments(token);
                if let Some(h) = segs.first().and_then(|s| decode_json(s)) {
                    let text = serde_json::to_string(&h).unwrap_or_default();
                    let dup = format!("{},\"alg\":{}}}", text.trim_end_matches('}'), json!(alg));
                    segs[0] = jwt::b64(dup.as_bytes());
                }
                segs.join(".")
            }
            Mutation::Claim(k, v) => edit(token, 1, |c| {
                c.insert((*k).into(), v.clone());
            }),
            Mutation::DropClaim(k) => edit(token, 1, |c| {
                c.remove(*k);
            }),
            Mutation::Pad(i) => {
                let mut segs = segments(token);
                if let Some(s) = segs.get_mut(*i) {
                    s.push_str(if s.len() % 4 == 3 { "=" } else { "==" });
                }
                segs.join(".")
            }
            Mutation::Segments(change) => {
                let s = segments(token);
                let get = |i: usize| s.get(i).cloned().unwrap_or_default();
                match change {
                    SegmentChange::DropSignature => format!("{}.{}", get(0), get(1)),
                    SegmentChange::DropHeader => format!("{}.{}", get(1), get(2)),
                    SegmentChange::Duplicate => format!("{token}.{}", get(2)),
                    SegmentChange::EmptyPayload => format!("{}..{}", get(0), get(2)),
                    SegmentChange::TrailingDot => format!("{token}."),
                }
            }
            Mutation::Oversize(i, n) => {
                let mut segs = segments(token);
                if let Some(s) = segs.get_mut(*i) {
                    s.push_str(&"A".repeat(*n));
                }
                segs.join(".")
            }
            _ => token.to_string(),
        }
    }
}

/// A decoder that accepts padding and non-zero trailing bits: what "the same bytes" means.
fn lenient() -> GeneralPurpose {
    GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

/// Whether two tokens carry the same header, payload and signature bytes (TOK-17: a
/// non-canonical encoding of the same token is implementation-defined, not a forgery).
pub fn equivalent(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (sa, sb) = (segments(a), segments(b));
    sa.len() == 3
        && sb.len() == 3
        && sa
            .iter()
            .zip(&sb)
            .all(|(x, y)| match (lenient().decode(x), lenient().decode(y)) {
                (Ok(p), Ok(q)) => p == q,
                _ => false,
            })
}

/// Runs the property.
pub async fn check(session: Arc<Session>, opts: &Options, seed: u64) -> PropertyResult {
    // The re-signed cases are HS256 tokens: other algorithms leave them out.
    let key = session
        .t
        .signing_key
        .clone()
        .filter(|_| session.t.profile.algorithm == crate::keys::Algorithm::Hs256);
    let with_key = key.is_some();
    check_property(
        "tokens",
        CLAIM,
        opts,
        seed,
        move || {
            let mutated = vec(mutation(), 1..=3).prop_map(Case::Mutated);
            let resigned = resign().prop_map(Case::Resigned);
            let resigned_weight = if with_key { 1 } else { 0 };
            prop_oneof![1 => mutated, resigned_weight => resigned]
        },
        move |rt, case| rt.block_on(judge(&session, key.as_deref(), case)),
    )
    .await
}

/// Sends the token of one case and judges the answer.
async fn judge(session: &Session, key: Option<&[u8]>, case: &Case) -> Result<(), String> {
    let original = session.access().await?;
    let (token, acceptable, what) = match (case, key) {
        (Case::Mutated(mutations), _) => {
            let mutated = mutations.iter().fold(original.clone(), |t, m| m.apply(&t));
            let same = equivalent(&original, &mutated);
            (mutated, same, "TOK-5: a mutated token")
        }
        // Verify takes any token type, so a repeated type proves nothing there.
        (Case::Resigned(r), _)
            if r.repeated == Some(Repeated::TypeRefreshLast)
                && session.t.profile.endpoints.protected.is_none() =>
        {
            return Ok(());
        }
        (Case::Resigned(r), Some(key)) => {
            let token = r
                .apply(&original, key)
                .ok_or("suite error: the target's access token does not decode")?;
            let what = match (r.crit, r.repeated) {
                (true, _) => {
                    "TOK-14: a token with a crit extension, re-signed with the server's key,"
                }
                (_, Some(_)) => {
                    "TOK-15: a token whose repeated claim has an unacceptable last value, re-signed with the server's key,"
                }
                _ => {
                    "TOK-13: a token with key-naming header parameters, re-signed with the server's key,"
                }
            };
            (token, r.acceptable(), what)
        }
        (Case::Resigned(_), None) => return Ok(()),
    };
    let ex = session.token_probe(&token).await?;
    let resp = answered(&ex).map_err(|e| format!("{e}\n{}", session.render(&ex)))?;
    if resp.status >= 500 {
        return Err(format!(
            "HTTP-14: a changed token got a {}\n{}",
            resp.status,
            session.render(&ex)
        ));
    }
    let accepted = (200..300).contains(&resp.status);
    match (accepted, acceptable, case) {
        (true, false, _) => Err(format!(
            "{what} was accepted ({})\n{}",
            resp.status,
            session.render(&ex)
        )),
        (false, true, Case::Resigned(_)) => Err(format!(
            "{what} was refused ({}): header parameters never change verification\n{}",
            resp.status,
            session.render(&ex)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;

    fn token() -> String {
        let Value::Object(c) =
            json!({"token_type": "access", "exp": 2000, "iat": 1700, "jti": "j", "user_id": "1"})
        else {
            unreachable!()
        };
        jwt::sign_hs256(&c, b"k")
    }

    #[test]
    fn structural_mutations_change_the_token() {
        let t = token();
        for m in [
            Mutation::Alg("none"),
            Mutation::HeaderField("kid", json!("0")),
            Mutation::DuplicateAlg("none"),
            Mutation::Claim("user_id", json!("2")),
            Mutation::DropClaim("exp"),
            Mutation::Segments(SegmentChange::DropSignature),
            Mutation::Oversize(2, 10),
        ] {
            let out = m.apply(&t);
            assert_ne!(out, t, "{m:?}");
            assert!(
                !equivalent(&t, &out),
                "{m:?} must not count as the same token"
            );
        }
    }

    #[test]
    fn padding_is_equivalent_but_a_flipped_bit_is_not() {
        let t = token();
        let padded = Mutation::Pad(2).apply(&t);
        assert_ne!(padded, t);
        assert!(equivalent(&t, &padded));
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let at = any::<Index>()
            .new_tree(&mut runner)
            .expect("an index")
            .current();
        let flipped = Mutation::FlipBit(at, 0).apply(&t);
        assert!(!equivalent(&t, &flipped));
    }

    #[test]
    fn duplicate_alg_writes_the_key_twice() {
        let t = Mutation::DuplicateAlg("none").apply(&token());
        let header = lenient()
            .decode(t.split('.').next().unwrap_or(""))
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&header);
        assert_eq!(text.matches("\"alg\"").count(), 2, "{text}");
    }
}
