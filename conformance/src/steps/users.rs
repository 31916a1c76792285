//! Steps of the users endpoint: each listed user's own endpoint (USR-3).

use cucumber::then;
use serde_json::Value;

use crate::world::{ApiWorld, Body, Dest, skip};
use conformance::profile::Endpoint;

/// At most this many listed users are fetched one by one.
const USERS_FETCHED: usize = 10;

/// GETs `<users path><id>/` for each listed user (the last response is the list) and checks
/// that it answers the object the list has for that user: every member, with the same value.
/// A 404 or 403 says the server does not serve that user's endpoint (to this account): noted,
/// and when every listed user gets one, the server has no such endpoint and the check is
/// skipped. The no-password check of every response (USR-2) applies to each answer.
#[then("each listed user's own endpoint answers the object the list has for it")]
async fn own_endpoints(w: &mut ApiWorld) {
    let Value::Array(listed) = w.last_json() else {
        w.fail("expected the users endpoint to answer a JSON array")
    };
    if listed.is_empty() {
        skip("the users endpoint lists no user, so there is no user's own endpoint to fetch");
    }
    let users = w.endpoint_path(Endpoint::Users);
    let base = if users.ends_with('/') {
        users
    } else {
        format!("{users}/")
    };
    let mut served = 0;
    let mut not_served = Vec::new();
    for (i, user) in listed.iter().take(USERS_FETCHED).enumerate() {
        let Some(object) = user.as_object() else {
            w.fail(format!("item {i} of the users list is not an object"))
        };
        let id = match object.get("id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => w.fail(format!(
                "item {i} of the users list has no \"id\" (USR-1), so its own endpoint has no path"
            )),
        };
        let path = format!("{base}{}/", path_segment(&id));
        w.send("GET", &Dest::Path(path.clone()), &Body::None, None)
            .await;
        let status = w.last().status;
        if status == 404 || status == 403 {
            not_served.push(format!("GET {path}: {status}"));
            continue;
        }
        if status != 200 {
            w.fail(format!(
                "expected GET {path}, the own endpoint of the listed user with id {id}, to get 200 (or 404 where there is none), got {status}"
            ));
        }
        let Value::Object(detail) = w.last_json() else {
            w.fail(format!("expected GET {path} to answer a JSON object"))
        };
        for (name, value) in object {
            match detail.get(name) {
                Some(v) if v == value => {}
                Some(v) => w.fail(format!(
                    "GET {path} answers \"{name}\": {v}, the users list has \"{name}\": {value} for that user"
                )),
                None => w.fail(format!(
                    "GET {path} answers no \"{name}\", the users list has \"{name}\": {value} for that user"
                )),
            }
        }
        served += 1;
    }
    if served == 0 {
        skip(format!(
            "the target has no user's own endpoint ({})",
            not_served.join(", ")
        ));
    }
    if !not_served.is_empty() {
        w.note(format!(
            "some listed users' own endpoints are not served to this account: {}",
            not_served.join(", ")
        ));
    }
}

/// `id` as one path segment: unreserved characters as they are, every other byte escaped.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
