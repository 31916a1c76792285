//! Steps that check the last response: status, body, headers, token bodies, and notes.

use cucumber::{given, then};
use serde_json::Value;

use crate::world::{ApiWorld, challenge, is_bearer_challenge, skip};
use conformance::{
    http::{self, Request},
    jwt, matcher,
    profile::Endpoint,
    template::Escape,
    vocabulary,
};

#[then(regex = r"^the status is (\d{3})$")]
fn status_is(w: &mut ApiWorld, expected: u16) {
    let got = w.last().status;
    if got != expected {
        w.fail(format!("expected status {expected}, got {got}"));
    }
}

#[then(regex = r"^the status is (\d{3}) or (\d{3})$")]
fn status_is_either(w: &mut ApiWorld, a: u16, b: u16) {
    let got = w.last().status;
    if got != a && got != b {
        w.fail(format!("expected status {a} or {b}, got {got}"));
    }
}

#[then("the status is not a server error")]
fn status_not_5xx(w: &mut ApiWorld) {
    let got = w.last().status;
    if http::is_server_error(got) {
        w.fail(format!("expected no server error, got {got}"));
    }
}

#[then(regex = r"^the body is '(.*)'$")]
fn body_is(w: &mut ApiWorld, expected: String) {
    let text = w.expand(&expected, Escape::Json);
    let expected: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        w.fail(format!(
            "suite error: the expected body {text} is not JSON: {e}"
        ))
    });
    let actual = w.last_json();
    if let Err(m) = matcher::check(&expected, &actual) {
        w.fail(format!(
            "expected the body {}\nbut {m}",
            matcher::short(&expected)
        ));
    }
}

#[then(regex = r"^the body is a JSON array of objects each matching '(.*)'$")]
fn body_is_array_each(w: &mut ApiWorld, expected: String) {
    let expected = w.expand(&expected, Escape::Json);
    let expected: Value = serde_json::from_str(&expected)
        .unwrap_or_else(|e| w.fail(format!("suite error: {expected} is not JSON: {e}")));
    let Value::Array(items) = w.last_json() else {
        w.fail("expected a JSON array")
    };
    if items.is_empty() {
        w.fail("expected a JSON array with at least one object, got []");
    }
    for (i, item) in items.iter().enumerate() {
        if let Err(m) = matcher::check(&expected, item) {
            w.fail(format!("item {i} of the array: {m}"));
        }
    }
}

#[then("the body is empty")]
fn body_empty(w: &mut ApiWorld) {
    let n = w.last().body.len();
    if n != 0 {
        w.fail(format!("expected an empty body, got {n} bytes"));
    }
}

vocabulary! {
    /// What a JSON body is.
    enum JsonKind {
        Array = "array",
        Object = "object",
    }
}

#[then(regex = r"^the body is a JSON (array|object)$")]
fn body_is_a(w: &mut ApiWorld, kind: JsonKind) {
    let v = w.last_json();
    let ok = match kind {
        JsonKind::Array => v.is_array(),
        JsonKind::Object => v.is_object(),
    };
    if !ok {
        w.fail(format!(
            "expected a JSON {kind}, got {}",
            matcher::short(&v)
        ));
    }
}

/// `{"access": <jwt>, "refresh": <jwt>}` and nothing else; keeps both as `${access}`/`${refresh}`.
#[then("the body is a token pair")]
fn body_is_token_pair(w: &mut ApiWorld) {
    let v = w.last_json();
    let expected = serde_json::json!({"access": "$jwt", "refresh": "$jwt"});
    if let Err(m) = matcher::check(&expected, &v) {
        w.fail(format!(
            "expected a token pair {{\"access\": <jwt>, \"refresh\": <jwt>}}, but {m}"
        ));
    }
    let (a, r) = (str_at(&v, "access"), str_at(&v, "refresh"));
    w.keep_token("access", &a);
    w.keep_token("refresh", &r);
}

/// `{"access": <jwt>}`, plus `"refresh"` when the target rotates; keeps `${new_access}` (and
/// `${new_refresh}`).
#[then("the body carries a new access token")]
fn body_carries_access(w: &mut ApiWorld) {
    let v = w.last_json();
    let expected = if v.get("refresh").is_some() {
        serde_json::json!({"access": "$jwt", "refresh": "$jwt"})
    } else {
        serde_json::json!({"access": "$jwt"})
    };
    if let Err(m) = matcher::check(&expected, &v) {
        w.fail(format!(
            "expected {{\"access\": <jwt>}} (plus \"refresh\" when rotating), but {m}"
        ));
    }
    w.keep_token("new_access", &str_at(&v, "access"));
    if v.get("refresh").is_some() {
        w.keep_token("new_refresh", &str_at(&v, "refresh"));
    }
}

fn rotation_expected(w: &ApiWorld) -> Option<bool> {
    let p = &w.t.profile;
    if p.blacklist_after_rotation {
        Some(true)
    } else {
        p.rotate_refresh_tokens
    }
}

/// The refresh response's new `"refresh"`; skips when the target does not rotate (and the
/// profile does not say it must).
#[then("the body carries a new refresh token")]
fn body_carries_refresh(w: &mut ApiWorld) {
    let v = w.last_json();
    match v.get("refresh").and_then(Value::as_str) {
        Some(r) if jwt::looks_like_jwt(r) => {
            let r = r.to_string();
            w.keep_token("new_refresh", &r);
        }
        Some(_) => w.fail("expected \"refresh\" to be a JWT"),
        None if rotation_expected(w) == Some(true) => {
            w.fail("the profile declares refresh token rotation, but the refresh response carries no \"refresh\"")
        }
        None => skip("the target does not rotate refresh tokens (its refresh response carries no \"refresh\")"),
    }
}

#[then("the refresh response rotates the refresh token as the profile declares")]
fn rotates_as_declared(w: &mut ApiWorld) {
    let rotated = w.last_json().get("refresh").is_some();
    match rotation_expected(w) {
        Some(true) if !rotated => {
            w.fail("the profile declares rotation, but the refresh response carries no \"refresh\"")
        }
        Some(false) if rotated => w.fail(
            "the profile declares no rotation, but the refresh response carries a \"refresh\"",
        ),
        Some(_) => {}
        None => skip(format!(
            "the profile does not declare whether refresh tokens rotate (tokens.rotate_refresh_tokens); the target {}",
            if rotated {
                "rotates them"
            } else {
                "does not rotate them"
            }
        )),
    }
}

#[given("the profile declares blacklist after rotation")]
fn declares_blacklist(w: &mut ApiWorld) {
    if !w.t.profile.blacklist_after_rotation {
        skip(
            "the profile does not declare blacklist after rotation (tokens.blacklist_after_rotation)",
        );
    }
}

/// Declared by the profile, or found out with one refresh.
#[given("the target does not rotate refresh tokens")]
async fn does_not_rotate(w: &mut ApiWorld) {
    match rotation_expected(w) {
        Some(true) => skip("the profile declares refresh token rotation"),
        Some(false) => {}
        None => {
            let token = w.token("${refresh}");
            let resp = w
                .post_json(Endpoint::Refresh, serde_json::json!({ "refresh": token }))
                .await;
            if resp.json().is_some_and(|j| j.get("refresh").is_some()) {
                skip("the target rotates refresh tokens");
            }
        }
    }
}

#[then(regex = r#"^the header "([^"]+)" lists (.+)$"#)]
fn header_lists(w: &mut ApiWorld, name: String, methods: String) {
    let listed = list_header(w, &name);
    for m in methods.split(',').map(str::trim) {
        if !listed.iter().any(|l| l.eq_ignore_ascii_case(m)) {
            w.fail(format!(
                "expected the {name} header to list {m}, it lists {listed:?}"
            ));
        }
    }
}

#[then(regex = r#"^the header "([^"]+)" is the list "(.+)"$"#)]
fn header_is_list(w: &mut ApiWorld, name: String, expected: String) {
    let mut listed = list_header(w, &name);
    let mut wanted: Vec<String> = expected.split(',').map(|m| m.trim().to_string()).collect();
    listed.sort();
    wanted.sort();
    if listed != wanted {
        w.fail(format!(
            "expected the {name} header to list exactly {wanted:?}, it lists {listed:?}"
        ));
    }
}

#[then(regex = r#"^the header "([^"]+)" does not list (\S+)$"#)]
fn header_does_not_list(w: &mut ApiWorld, name: String, method: String) {
    let listed = list_header(w, &name);
    if listed.iter().any(|l| l.eq_ignore_ascii_case(&method)) {
        w.fail(format!(
            "expected the {name} header not to list {method}, it lists {listed:?}"
        ));
    }
}

/// Sends every method the last response's `Allow` lists to the same URL, with the same
/// headers and no body: a method the server advertises must not be refused as not allowed
/// (RFC 9110 §15.5.6: a 405's `Allow` lists the methods the resource supports).
#[then(regex = r#"^every method the header "Allow" lists is answered without a 405$"#)]
async fn allow_methods_served(w: &mut ApiWorld) {
    let listed = list_header(w, "Allow");
    let Some(last) = w.history.last().map(|ex| ex.request.clone()) else {
        w.fail("suite error: no request to repeat");
    };
    for method in listed {
        let request = Request {
            method: method.to_ascii_uppercase(),
            url: last.url.clone(),
            headers: last
                .headers
                .iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                .cloned()
                .collect(),
            body: Vec::new(),
        };
        let resp = w.exchange(request, true).await;
        if resp.status == 405 {
            w.fail(format!(
                "expected {method}, which the Allow header lists, not to be refused with 405"
            ));
        }
    }
}

fn list_header(w: &ApiWorld, name: &str) -> Vec<String> {
    let Some(v) = w.last().header(name) else {
        w.fail(format!("expected a {name} header, there is none"));
    };
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[then("the response is a Bearer challenge")]
fn bearer_challenge(w: &mut ApiWorld) {
    if !is_bearer_challenge(w.last(), &w.t.profile.wire) {
        w.fail(format!(
            "expected a 401 with the header WWW-Authenticate: {}",
            challenge(&w.t.profile.wire)
        ));
    }
}

#[then("the last two responses have the same status and body")]
fn last_two_same(w: &mut ApiWorld) {
    let n = w.history.len();
    let (Some(Ok(a)), Some(Ok(b))) = (
        w.history.get(n.wrapping_sub(2)).map(|e| &e.outcome),
        w.history.last().map(|e| &e.outcome),
    ) else {
        w.fail("suite error: two responses are needed");
    };
    let same_body = match (a.json(), b.json()) {
        (Some(x), Some(y)) => x == y,
        _ => a.body == b.body,
    };
    if a.status != b.status || !same_body {
        let first = w.history[n - 2].render(&w.t.redactor);
        w.fail(format!(
            "expected the same answer as before ({} {}), got a different one ({} {}): the difference tells whether the account exists or is active\n\nthe earlier exchange:\n{first}",
            a.status,
            String::from_utf8_lossy(&a.body),
            b.status,
            String::from_utf8_lossy(&b.body)
        ));
    }
}

#[then("I note the response")]
fn note_response(w: &mut ApiWorld) {
    let line = w.describe_last();
    w.note(line);
}

/// A string member of a JSON object (the caller has checked it is there).
pub fn str_at(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}
