//! Steps that read tokens: header, claims, comparisons between tokens, lifetimes.

use std::{
    sync::LazyLock,
    time::{SystemTime, UNIX_EPOCH},
};

use cucumber::then;
use regex::Regex;
use serde_json::{Map, Value};

use crate::world::{ApiWorld, skip};
use conformance::{jwt, matcher, template::Escape, vocabulary};

fn decoded(w: &ApiWorld, reference: &str) -> jwt::Decoded {
    let token = w.token(reference);
    jwt::decode(&token)
        .unwrap_or_else(|e| w.fail(format!("{reference} is not a JWS in compact form: {e}")))
}

/// A claim by the name the features give it (`user_id`, `token_type`, `jti`), read under the
/// profile's name for it.
fn claim(w: &ApiWorld, reference: &str, name: &str) -> Value {
    let name = w.t.profile.wire.claim(name);
    decoded(w, reference)
        .claims
        .get(name)
        .cloned()
        .unwrap_or_else(|| w.fail(format!("{reference} has no {name:?} claim")))
}

fn expected_json(w: &ApiWorld, text: &str) -> Value {
    let text = w.expand(text, Escape::Json);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| w.fail(format!("suite error: {text} is not JSON: {e}")))
}

#[then(regex = r"^(\$\{[^}]+\}) has the header '(.*)'$")]
fn has_header(w: &mut ApiWorld, reference: String, expected: String) {
    let mut expected = expected_json(w, &expected);
    // Feature text writes simplejwt's default algorithm; the profile may declare another.
    if let Some(alg) = expected.get_mut("alg")
        && alg == "HS256"
    {
        *alg = Value::from(w.t.profile.algorithm.name());
    }
    let d = decoded(w, &reference);
    // A deployment that publishes several keys names the one that signed (TOK-1).
    if !w.t.profile.algorithm.is_hmac()
        && d.header.contains_key("kid")
        && let Some(e) = expected.as_object_mut()
    {
        e.entry("kid").or_insert_with(|| Value::from("+"));
    }
    if let Err(m) = matcher::check(&expected, &Value::Object(d.header.clone())) {
        w.fail(format!(
            "{reference}'s header {}: {m}",
            Value::Object(d.header)
        ));
    }
}

#[then(regex = r"^(\$\{[^}]+\}) has the claims '(.*)'$")]
fn has_claims(w: &mut ApiWorld, reference: String, expected: String) {
    let expected = w.t.profile.wire.rename_claims(expected_json(w, &expected));
    let d = decoded(w, &reference);
    if let Err(m) = matcher::check(&expected, &Value::Object(d.claims.clone())) {
        w.fail(format!(
            "{reference}'s claims {}: {m}",
            Value::Object(d.claims)
        ));
    }
}

vocabulary! {
    /// How two claims compare.
    enum Comparison {
        Equals = "equals",
        DiffersFrom = "differs from",
        IsGreaterThan = "is greater than",
        IsAtLeast = "is at least",
    }
}

#[then(
    regex = r#"^(\$\{[^}]+\})'s "(\w+)" (equals|differs from|is greater than|is at least) (\$\{[^}]+\})'s "(\w+)"$"#
)]
fn compare_claims(w: &mut ApiWorld, a: String, ca: String, op: Comparison, b: String, cb: String) {
    let (x, y) = (claim(w, &a, &ca), claim(w, &b, &cb));
    let num = |v: &Value| {
        v.as_f64()
            .unwrap_or_else(|| w.fail(format!("expected a number, got {v}")))
    };
    let ok = match op {
        // "1" and 1 name the same user (TOK-12).
        Comparison::Equals => x == y || canonical_id(&x) == canonical_id(&y),
        Comparison::DiffersFrom => x != y,
        Comparison::IsGreaterThan => num(&x) > num(&y),
        Comparison::IsAtLeast => num(&x) >= num(&y),
    };
    if !ok {
        w.fail(format!(
            "expected {a}'s {ca:?} ({x}) {op} {b}'s {cb:?} ({y})"
        ));
    }
}

fn canonical_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `${...}` reference in step text.
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{[^}]+\}").expect("a valid regex literal"));

#[then(regex = r#"^the "(\w+)" claims of (.+) are all different$"#)]
fn all_different(w: &mut ApiWorld, name: String, list: String) {
    let refs: Vec<String> = PLACEHOLDER
        .find_iter(&list)
        .map(|m| m.as_str().to_string())
        .collect();
    let values: Vec<Value> = refs.iter().map(|r| claim(w, r, &name)).collect();
    for i in 0..values.len() {
        for j in i + 1..values.len() {
            if values[i] == values[j] {
                w.fail(format!(
                    "{} and {} share the {name:?} claim {}",
                    refs[i], refs[j], values[i]
                ));
            }
        }
    }
}

/// How far `iat` may be from the suite's clock: generous, yet it catches milliseconds or a
/// wrong time zone.
const CLOCK_TOLERANCE: i64 = 60;

#[then(regex = r"^(\$\{[^}]+\}) was issued just now and expires later$")]
fn issued_now(w: &mut ApiWorld, reference: String) {
    let d = decoded(w, &reference);
    let int = |name: &str, c: &Map<String, Value>| {
        c.get(name)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| w.fail(format!("{reference} has no integer {name:?}")))
    };
    let (iat, exp) = (int("iat", &d.claims), int("exp", &d.claims));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    if (iat - now).abs() > CLOCK_TOLERANCE {
        w.fail(format!("{reference}'s iat {iat} is {} s away from now ({now}): not seconds since the epoch, UTC?", iat - now));
    }
    if exp <= iat {
        w.fail(format!(
            "{reference}'s exp {exp} is not after its iat {iat}"
        ));
    }
}

vocabulary! {
    /// The two kinds of token.
    enum TokenKind {
        Access = "access",
        Refresh = "refresh",
    }
}

#[then(regex = r"^(\$\{[^}]+\}) lives for the profile's (access|refresh) lifetime$")]
fn lives_for_declared(w: &mut ApiWorld, reference: String, kind: TokenKind) {
    let p = &w.t.profile;
    let declared = if kind == TokenKind::Access {
        p.access_lifetime
    } else {
        p.refresh_lifetime
    };
    let Some(declared) = declared else {
        skip(format!(
            "the profile declares no {kind} lifetime (tokens.{kind}_lifetime)"
        ));
    };
    let d = decoded(w, &reference);
    let life = match (
        d.claims.get("exp").and_then(Value::as_i64),
        d.claims.get("iat").and_then(Value::as_i64),
    ) {
        (Some(e), Some(i)) => e - i,
        _ => w.fail(format!("{reference} has no integer exp and iat")),
    };
    if u64::try_from(life).ok() != Some(declared.as_secs()) {
        w.fail(format!(
            "{reference} lives {life} s (exp - iat), the profile declares {} s",
            declared.as_secs()
        ));
    }
}

#[then(regex = r"^I note the lifetimes of (\$\{[^}]+\}) and (\$\{[^}]+\})$")]
fn note_lifetimes(w: &mut ApiWorld, a: String, b: String) {
    let life = |w: &ApiWorld, r: &str| {
        let d = decoded(w, r);
        match (
            d.claims.get("exp").and_then(Value::as_i64),
            d.claims.get("iat").and_then(Value::as_i64),
        ) {
            (Some(e), Some(i)) => format!("{r} lives {} s", e - i),
            _ => format!("{r} has no integer exp/iat"),
        }
    };
    let line = format!("{}, {}", life(w, &a), life(w, &b));
    w.note(line);
}

#[then(regex = r"^(\$\{[^}]+\}) lives exactly as long as (\$\{[^}]+\})$")]
fn lives_as_long_as(w: &mut ApiWorld, a: String, b: String) {
    let life = |r: &str| {
        let d = decoded(w, r);
        match (
            d.claims.get("exp").and_then(Value::as_i64),
            d.claims.get("iat").and_then(Value::as_i64),
        ) {
            (Some(e), Some(i)) => e - i,
            _ => w.fail(format!("{r} has no integer exp and iat")),
        }
    };
    let (la, lb) = (life(&a), life(&b));
    if la != lb {
        w.fail(format!(
            "{a} lives {la} s (exp - iat), {b} lives {lb} s: a token issued later must have the same lifetime"
        ));
    }
}
