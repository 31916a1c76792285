//! Property 2: generated request bodies (missing and extra fields, wrong types, unicode, control
//! characters, huge strings, deep nesting, invalid UTF-8), as JSON and as forms, to every
//! endpoint of the profile. Each gets a 4xx with a JSON object of the spec's shape — or, for a
//! create whose fields are valid by DRF's CharField rules, a 201 — and never a 5xx, a hang or
//! a dropped connection.

use std::sync::Arc;

use proptest::{collection::vec, prelude::*};
use serde_json::{Map, Value, json};

use super::{Options, PropertyResult, Session, answered, check_property, skipped};
use crate::{
    http::{self, Request, Response},
    profile::Endpoint as ProfileEndpoint,
};

const CLAIM: &str = "generated bodies get a 4xx of the spec's shape (201 when valid), never a 5xx";

/// Which endpoint a body goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Obtain (credentials).
    Obtain,
    /// Refresh.
    Refresh,
    /// Verify.
    Verify,
    /// Create a resource (authenticated).
    Create,
}

impl Endpoint {
    /// The profile's endpoint it goes to.
    fn target(self) -> ProfileEndpoint {
        match self {
            Endpoint::Obtain => ProfileEndpoint::Obtain,
            Endpoint::Refresh => ProfileEndpoint::Refresh,
            Endpoint::Verify => ProfileEndpoint::Verify,
            Endpoint::Create => ProfileEndpoint::Resources,
        }
    }
}

/// What the body holds.
#[derive(Debug, Clone)]
pub enum Payload {
    /// An object with these members.
    Object(Vec<(String, Value)>),
    /// Valid JSON that is not an object.
    NotObject(Value),
    /// `[[[...]]]` this deep.
    Nested(usize),
    /// Bytes that are not UTF-8.
    InvalidUtf8(Vec<u8>),
    /// Arbitrary text.
    Text(String),
}

/// One generated request.
#[derive(Clone)]
pub struct Case {
    /// Where it goes.
    pub endpoint: Endpoint,
    /// JSON (`true`) or urlencoded form.
    pub json: bool,
    /// What it holds.
    pub payload: Payload,
}

impl std::fmt::Debug for Case {
    /// Compact: long strings are cut, so a counterexample stays readable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ct, body) = encode(self);
        let text = String::from_utf8_lossy(&body);
        let shown: String = if text.chars().count() > 160 {
            format!(
                "{}… ({} bytes)",
                text.chars().take(160).collect::<String>(),
                body.len()
            )
        } else {
            text.into_owned()
        };
        write!(f, "POST {} endpoint, {ct}: {shown}", self.endpoint.target())
    }
}

/// Strings that probe validation: whitespace, unicode, control characters, lengths near 255.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,12}",
        Just(String::new()),
        Just("   ".to_string()),
        Just("\t padded \n".to_string()),
        Just("héllo ☃ 中文 👍".to_string()),
        Just("nul\u{0}byte".to_string()),
        Just("\u{1}\u{7f}\u{85}".to_string()),
        (250usize..260).prop_map(|n| "x".repeat(n)),
        (250usize..260).prop_map(|n| "é".repeat(n)),
        "[ -~]{0,40}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        any::<i32>().prop_map(|n| json!(n)),
        prop_oneof![Just(4.5), Just(-0.25), Just(1.0)].prop_map(|f| json!(f)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            vec(("[a-z]{1,5}", inner), 0..3).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn case(login_field: String, endpoints: Vec<Endpoint>) -> impl Strategy<Value = Case> {
    let endpoint = proptest::sample::select(endpoints);
    (endpoint, any::<bool>(), any::<u8>()).prop_flat_map(move |(ep, json_body, kind)| {
        let fields: Vec<String> = match ep {
            Endpoint::Obtain => vec![login_field.clone(), "password".into()],
            Endpoint::Refresh => vec!["refresh".into()],
            Endpoint::Verify => vec!["token".into()],
            Endpoint::Create => vec!["field1".into(), "field2".into()],
        };
        let first = fields[0].clone();
        // Mostly the endpoint's own fields (each present 4 times in 5, mostly as text), so
        // bodies that are valid, or invalid in one field only, are common; then extra keys.
        let field_value = prop_oneof![3 => text().prop_map(Value::String), 2 => value()];
        let own = fields
            .iter()
            .map(|f| {
                proptest::option::weighted(0.8, field_value.clone()).prop_map({
                    let f = f.clone();
                    move |v| v.map(|v| (f.clone(), v))
                })
            })
            .collect::<Vec<_>>();
        let object = (own, vec(("[a-z_]{1,8}", value()), 0..2))
            .prop_map(|(own, extra)| {
                Payload::Object(own.into_iter().flatten().chain(extra).collect())
            })
            .boxed();
        let payload = match kind % 16 {
            0 => value()
                .prop_map(|v| match v {
                    Value::Object(_) => Payload::NotObject(json!([v])),
                    other => Payload::NotObject(other),
                })
                .boxed(),
            1 => prop_oneof![Just(2usize), Just(200), Just(100_000)]
                .prop_map(Payload::Nested)
                .boxed(),
            2 => prop_oneof![Just(300usize), Just(70_000), Just(2_000_000)]
                .prop_map(move |n| {
                    Payload::Object(vec![(first.clone(), Value::String("a".repeat(n)))])
                })
                .boxed(),
            3 => vec(any::<u8>(), 1..40)
                .prop_map(|mut b| {
                    b.extend_from_slice(&[0xff, 0xfe]);
                    Payload::InvalidUtf8(b)
                })
                .boxed(),
            4 => "\\PC{0,60}".prop_map(Payload::Text).boxed(),
            _ => object,
        };
        payload.prop_map(move |payload| Case {
            endpoint: ep,
            json: json_body,
            payload,
        })
    })
}

/// Python's `str.strip()` for the characters the generator uses.
fn strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// The cleaned value DRF's CharField(max_length=255) stores, or `None` if it refuses it.
fn char_field(v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => strip(s).to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let ok = !s.is_empty() && s.chars().count() <= 255 && !s.contains('\0');
    ok.then_some(s)
}

/// For a create: the fields a conforming server stores, or `None` when it must refuse.
fn valid_create(case: &Case) -> Option<(String, String)> {
    let Payload::Object(members) = &case.payload else {
        return None;
    };
    // Later duplicates win, as in a JSON object or a form's last value.
    let map: Map<String, Value> = members
        .iter()
        .map(|(k, v)| {
            let v = if case.json {
                v.clone()
            } else {
                Value::String(form_text(v))
            };
            (k.clone(), v)
        })
        .collect();
    Some((
        char_field(map.get("field1"))?,
        char_field(map.get("field2"))?,
    ))
}

fn form_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Content-Type and bytes of a case.
pub fn encode(case: &Case) -> (&'static str, Vec<u8>) {
    let ct = if case.json {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let bytes = match &case.payload {
        Payload::Object(members) if case.json => {
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{v}", json!(k)))
                .collect();
            format!("{{{}}}", body.join(",")).into_bytes()
        }
        Payload::Object(members) => {
            let mut f = form_urlencoded::Serializer::new(String::new());
            for (k, v) in members {
                f.append_pair(k, &form_text(v));
            }
            f.finish().into_bytes()
        }
        Payload::NotObject(v) => v.to_string().into_bytes(),
        Payload::Nested(d) => format!("{}{}", "[".repeat(*d), "]".repeat(*d)).into_bytes(),
        Payload::InvalidUtf8(b) => b.clone(),
        Payload::Text(t) => t.clone().into_bytes(),
    };
    (ct, bytes)
}

/// A 4xx body of the spec's shape: a non-empty JSON object whose members are field errors
/// (lists of strings), `detail`/`code` strings, or simplejwt's `messages`.
fn error_shape(body: &Value) -> Result<(), String> {
    let Value::Object(m) = body else {
        return Err("the error body is not a JSON object".into());
    };
    if m.is_empty() {
        return Err("the error body is an empty object".into());
    }
    for (k, v) in m {
        let ok = match (k.as_str(), v) {
            ("detail" | "code", Value::String(_)) => true,
            ("messages", Value::Array(_)) => true,
            (_, Value::Array(items)) => !items.is_empty() && items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "the error body's {k:?} is neither a list of messages nor a detail string"
            ));
        }
    }
    Ok(())
}

/// The request of a case: a POST of its bytes, authenticated for a create.
async fn request(session: &Session, case: &Case) -> Result<(Request, Option<String>), String> {
    let (ct, body) = encode(case);
    let token = match case.endpoint {
        Endpoint::Create => Some(session.access().await?),
        _ => None,
    };
    let url = session
        .t
        .endpoint_url(case.endpoint.target())
        .map_err(|e| e.to_string())?;
    let request = match &token {
        Some(token) => session.authed("POST", url, token),
        None => Request::post(url),
    };
    Ok((request.body(ct, body), token))
}

/// Whether the answer to a case is what the model says; `expected` is what a valid create
/// stores (`None`: the body is invalid, or not a create).
fn judge(resp: &Response, expected: Option<(String, String)>) -> Result<(), String> {
    match (resp.status, expected) {
        (s, _) if http::is_server_error(s) => Err(format!("HTTP-14: a generated body got a {s}")),
        (201, Some((f1, f2))) => {
            let got = resp.json().unwrap_or(Value::Null);
            if got.get("field1") == Some(&json!(f1)) && got.get("field2") == Some(&json!(f2)) {
                Ok(())
            } else {
                Err(format!(
                    "RES-2: the created resource should read {{\"field1\": {}, \"field2\": {}}}",
                    json!(f1),
                    json!(f2)
                ))
            }
        }
        (s, Some(_)) => Err(format!("RES-1: a valid create got {s}, expected 201")),
        (s, None) if (400..500).contains(&s) => {
            let body = resp
                .json()
                .ok_or_else(|| format!("HTTP-12: the {s} has a body that is not JSON"))?;
            error_shape(&body).map_err(|e| format!("RES-2: {e}"))
        }
        (s, None) => Err(format!("an invalid body was answered {s}, expected a 4xx")),
    }
}

/// Sends one case, deletes what it created, and judges the answer.
async fn run_case(session: &Session, case: &Case) -> Result<(), String> {
    let (request, token) = request(session, case).await?;
    let ex = session.exchange(request).await;
    let resp = answered(&ex).map_err(|e| format!("{e}\n{}", session.render(&ex)))?;
    let expected = match case.endpoint {
        Endpoint::Create => valid_create(case),
        _ => None,
    };
    if let (201, Some(_), Some(id)) = (resp.status, &expected, created_id(resp)) {
        let collection = session.t.url(
            session
                .t
                .profile
                .endpoint(ProfileEndpoint::Resources)
                .unwrap_or(""),
        );
        let url = format!("{collection}{id}/");
        let delete = match &token {
            Some(token) => session.authed("DELETE", url, token),
            None => Request::new("DELETE", url),
        };
        let _ = session.exchange(delete).await;
    }
    judge(resp, expected).map_err(|e| format!("{e}\n{}", session.render(&ex)))
}

/// The id a create answered, as it stands in the item's URL.
fn created_id(resp: &Response) -> Option<String> {
    let id = resp.json()?.get("id")?.clone();
    Some(id.as_str().map_or_else(|| id.to_string(), str::to_string))
}

/// Runs the property.
pub async fn check(session: Arc<Session>, opts: &Options, seed: u64) -> PropertyResult {
    let endpoints: Vec<Endpoint> = [
        Endpoint::Obtain,
        Endpoint::Refresh,
        Endpoint::Verify,
        Endpoint::Create,
    ]
    .into_iter()
    .filter(|e| session.t.profile.endpoint(e.target()).is_some())
    .collect();
    if endpoints.is_empty() {
        return skipped(
            "bodies",
            CLAIM,
            "the profile has no endpoints that take a body".into(),
        );
    }
    let login_field = session.t.profile.login_field.clone();
    check_property(
        "bodies",
        CLAIM,
        opts,
        seed,
        move || case(login_field, endpoints),
        move |rt, case| rt.block_on(run_case(&session, case)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(members: Vec<(&str, Value)>, json: bool) -> Case {
        Case {
            endpoint: Endpoint::Create,
            json,
            payload: Payload::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        }
    }

    #[test]
    fn the_create_model_follows_charfield() {
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!(" a ")), ("field2", json!(12))],
                true
            )),
            Some(("a".into(), "12".into()))
        );
        assert_eq!(
            valid_create(&create(vec![("field1", json!("a"))], true)),
            None
        );
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("a")), ("field2", json!(true))],
                true
            )),
            None
        );
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("a")), ("field2", json!("   "))],
                true
            )),
            None
        );
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("x".repeat(256))), ("field2", json!("b"))],
                true
            )),
            None
        );
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("é".repeat(255))), ("field2", json!("b"))],
                true
            ))
            .map(|v| v.0.chars().count()),
            Some(255)
        );
        // In a form every value is text: `true` is the string "true".
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("a")), ("field2", json!(true))],
                false
            )),
            Some(("a".into(), "true".into()))
        );
        assert_eq!(
            valid_create(&create(
                vec![("field1", json!("nul\u{0}")), ("field2", json!("b"))],
                true
            )),
            None
        );
    }

    #[test]
    fn error_shapes() {
        assert!(error_shape(&json!({"field1": ["This field is required."]})).is_ok());
        assert!(
            error_shape(&json!({"detail": "x", "code": "token_not_valid", "messages": []})).is_ok()
        );
        assert!(error_shape(&json!({})).is_err());
        assert!(error_shape(&json!({"field1": []})).is_err());
        assert!(error_shape(&json!({"error": 1})).is_err());
        assert!(error_shape(&json!(["x"])).is_err());
    }

    #[test]
    fn json_objects_keep_duplicate_keys() {
        let c = create(vec![("field1", json!("a")), ("field1", json!("b"))], true);
        assert_eq!(encode(&c).1, br#"{"field1":"a","field1":"b"}"#.to_vec());
        assert_eq!(valid_create(&c), None, "field2 is missing");
    }
}
