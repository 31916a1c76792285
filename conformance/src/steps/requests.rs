//! Steps that send requests: the generic `I <METHOD> <target> with <body>`, logging in,
//! refreshing, verifying, choosing the Authorization header, and waiting for expiry.

use std::time::{Duration, SystemTime};

use cucumber::{given, when};
use serde_json::{Value, json};

use super::{parse_body, parse_dest};
use crate::world::{ApiWorld, Auth, Body, Dest, EXPIRY_MARGIN, NO_INACTIVE, skip};
use conformance::{jwt, profile::Endpoint, template::Escape, vocabulary};

#[given(regex = r"^I (GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) (.+)$")]
#[when(regex = r"^I (GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) (.+)$")]
async fn request(w: &mut ApiWorld, method: String, rest: String) {
    let mut rest = rest.trim().to_string();
    let mut accept = None;
    // `... accepting "<media type>"` at the end of the line.
    if let Some((head, tail)) = rest.rsplit_once(" accepting \"")
        && let Some(media) = tail.strip_suffix('"')
        && !media.is_empty()
        && !media.contains('"')
    {
        accept = Some(media.to_string());
        rest = head.to_string();
    }
    let (dest, body) = match rest.split_once(" with ") {
        Some((d, b)) if !d.starts_with("the path \"") || d.ends_with('"') => {
            (d.to_string(), Some(b.to_string()))
        }
        _ => (rest.clone(), None),
    };
    let dest = parse_dest(w, &dest);
    let body = body.map(|b| parse_body(w, &b)).unwrap_or(Body::None);
    w.send(&method, &dest, &body, accept.as_deref()).await;
}

#[given("I have obtained a token pair")]
#[when("I have obtained a token pair")]
async fn obtained_pair(w: &mut ApiWorld) {
    w.obtain_pair("access", "refresh").await;
}

#[given("I have obtained a second token pair")]
async fn obtained_second_pair(w: &mut ApiWorld) {
    w.obtain_pair("access2", "refresh2").await;
}

vocabulary! {
    /// How the account's credentials are sent.
    enum Credentials {
        Json = "JSON",
        Form = "a form",
        Multipart = "multipart",
    }
}

#[when(regex = r"^I log in with the account's credentials as (JSON|a form|multipart)$")]
async fn log_in_as(w: &mut ApiWorld, encoding: Credentials) {
    let body = match encoding {
        Credentials::Json => {
            Body::Json(r#"{"${login_field}": "${login}", "password": "${password}"}"#.into())
        }
        Credentials::Form => Body::Form("${login_field}=${login}&password=${password}".into()),
        Credentials::Multipart => {
            Body::Multipart("${login_field}=${login}&password=${password}".into())
        }
    };
    w.send("POST", &Dest::Endpoint(Endpoint::Obtain), &body, None)
        .await;
}

vocabulary! {
    /// A login that must fail.
    enum BadLogin {
        WrongPassword = "with a wrong password",
        UnknownLogin = "as an unknown login",
        Inactive = "as the inactive account",
        InactiveWrongPassword = "as the inactive account with a wrong password",
        NumericLogin = "with a numeric login",
    }
}

#[when(
    regex = r"^I log in (with a wrong password|as an unknown login|as the inactive account|as the inactive account with a wrong password|with a numeric login)$"
)]
async fn log_in_badly(w: &mut ApiWorld, how: BadLogin) {
    let field = w.t.profile.login_field.clone();
    let account = w.t.account.clone();
    let wrong = |p: &str| format!("{p}-but-wrong");
    let (login, password) = match how {
        BadLogin::WrongPassword => (json!(account.login), wrong(&account.password)),
        BadLogin::UnknownLogin => (json!(w.unknown_login()), account.password.clone()),
        BadLogin::NumericLogin => (json!(987_654_321), account.password.clone()),
        BadLogin::Inactive | BadLogin::InactiveWrongPassword => {
            let Some(i) = w.t.inactive.clone() else {
                skip(NO_INACTIVE)
            };
            let pw = if how == BadLogin::InactiveWrongPassword {
                wrong(&i.password)
            } else {
                i.password
            };
            (json!(i.login), pw)
        }
    };
    w.post_json(
        Endpoint::Obtain,
        json!({ field: login, "password": password }),
    )
    .await;
}

vocabulary! {
    /// How a token is posted: as JSON unless the step says a form.
    enum Encoding {
        Unsaid = "",
        Json = " as JSON",
        Form = " as a form",
    }
}

/// `I refresh with ${refresh}` / `... as a form`.
#[when(regex = r"^I refresh with (\S+?)( as JSON| as a form|)$")]
async fn refresh_with(w: &mut ApiWorld, token: String, encoding: Encoding) {
    post_token(w, Endpoint::Refresh, "refresh", &token, encoding).await;
}

/// `I verify ${access}` / `... as a form`.
#[when(regex = r"^I verify (\S+?)( as JSON| as a form|)$")]
async fn verify(w: &mut ApiWorld, token: String, encoding: Encoding) {
    post_token(w, Endpoint::Verify, "token", &token, encoding).await;
}

async fn post_token(
    w: &mut ApiWorld,
    endpoint: Endpoint,
    field: &str,
    token: &str,
    encoding: Encoding,
) {
    let value = w.token(token);
    // The value is final: it must not be read for placeholders a second time.
    let body = if encoding == Encoding::Form {
        Body::Literal(
            "application/x-www-form-urlencoded".into(),
            format!("{field}={}", form_value(&value)).into_bytes(),
        )
    } else {
        Body::Literal(
            "application/json".into(),
            json!({ field: value }).to_string().into_bytes(),
        )
    };
    w.send("POST", &Dest::Endpoint(endpoint), &body, None).await;
}

fn form_value(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[given(regex = r#"^I authenticate with "(.*)"$"#)]
#[when(regex = r#"^I authenticate with "(.*)"$"#)]
fn authenticate(w: &mut ApiWorld, header: String) {
    w.auth = match header.as_str() {
        "(none)" => Auth::None,
        "(empty)" => Auth::Header(String::new()),
        h => Auth::Header(w.expand(&auth_value(w, h), Escape::Plain)),
    };
}

/// An auth header value as feature text writes it (`Bearer …` for the scheme the target
/// accepts) in the profile's scheme. Another scheme in feature text is one to be refused: if
/// the profile accepts it (`auth_header_types`), the scenario cannot run as written.
fn auth_value(w: &ApiWorld, text: &str) -> String {
    let wire = &w.t.profile.wire;
    let first = text.split(' ').next().unwrap_or_default();
    if !first.eq_ignore_ascii_case("bearer") && wire.auth_header_types.iter().any(|t| t == first) {
        skip(format!(
            "the profile accepts the {first} scheme (tokens.auth_header_types), so it is not one to refuse"
        ));
    }
    wire.translate_scheme(text)
}

#[given("I send no Authorization header")]
fn no_auth(w: &mut ApiWorld) {
    w.auth = Auth::None;
}

/// The token a wait step names, with its integer `exp` and `iat`, or a failure.
fn awaitable(w: &ApiWorld, reference: &str) -> (crate::world::Token, i64, i64) {
    let token = w.held(reference);
    let claims = jwt::decode(&token.value)
        .unwrap_or_else(|e| w.fail(format!("{reference} is not a decodable JWT: {e}")))
        .claims;
    let (Some(exp), Some(iat)) = (
        claims.get("exp").and_then(Value::as_i64),
        claims.get("iat").and_then(Value::as_i64),
    ) else {
        w.fail(format!(
            "{reference} has no integer exp and iat, so its expiry cannot be awaited"
        ))
    };
    (token, exp, iat)
}

/// Sleeps, the token being one the scenario meant to let die (its failures are not in-flight
/// expiry).
async fn sleep_awaiting(w: &mut ApiWorld, reference: &str, wait: Duration) {
    w.awaited.push(
        reference
            .trim_start_matches("${")
            .trim_end_matches('}')
            .to_string(),
    );
    tokio::time::sleep(wait).await;
}

/// Waits until just past the token's own `exp`, counted from its arrival; skips beyond --max-wait.
#[given(regex = r"^I wait until (\$\{\w+\}) has expired$")]
#[when(regex = r"^I wait until (\$\{\w+\}) has expired$")]
async fn wait_until_expired(w: &mut ApiWorld, reference: String) {
    let (token, exp, iat) = awaitable(w, &reference);
    let lifetime = Duration::from_secs(u64::try_from(exp - iat).unwrap_or(0));
    let deadline = token.received + lifetime + w.t.profile.leeway + EXPIRY_MARGIN;
    let wait = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    if wait > w.t.max_wait {
        skip(format!(
            "waiting {:.0} s for {reference} to expire (its lifetime is {} s) exceeds --max-wait {} s",
            wait.as_secs_f64().ceil(),
            lifetime.as_secs(),
            w.t.max_wait.as_secs()
        ));
    }
    sleep_awaiting(w, &reference, wait).await;
}

#[given(regex = r#"^I also send the header "([A-Za-z0-9-]+): (.*)"$"#)]
fn also_send_header(w: &mut ApiWorld, name: String, value: String) {
    let wire = &w.t.profile.wire;
    let (name, value) = if name.eq_ignore_ascii_case("authorization") {
        (wire.auth_header_name.clone(), auth_value(w, &value))
    } else {
        (name, value)
    };
    w.extra_headers.push((name, value));
}

#[given(regex = r"^I keep (\$\{\w+\}) as (\$\{\w+\})$")]
#[when(regex = r"^I keep (\$\{\w+\}) as (\$\{\w+\})$")]
fn keep_token_as(w: &mut ApiWorld, from: String, to: String) {
    let token = w.held(&from);
    let name = to
        .trim_start_matches("${")
        .trim_end_matches('}')
        .to_string();
    w.tokens.insert(name, token);
}

/// How far past `exp` (by this machine's clock) a token is presented to check that the second
/// of its `exp` already counts as expired; also the clock difference the check tolerates.
const INSIDE_EXP_SECOND: Duration = Duration::from_millis(350);

#[given(regex = r"^I wait until (\$\{\w+\}) has just expired$")]
#[when(regex = r"^I wait until (\$\{\w+\}) has just expired$")]
async fn wait_until_just_expired(w: &mut ApiWorld, reference: String) {
    wait_until_past_exp(w, reference, INSIDE_EXP_SECOND.as_secs_f64()).await;
}

/// How long before its `exp` (and leeway) a token is presented in its last second: room for a
/// request to arrive while the token still lives.
const LAST_SECOND: Duration = Duration::from_millis(600);

#[given(regex = r"^I wait until (\$\{\w+\}) has less than a second to live$")]
#[when(regex = r"^I wait until (\$\{\w+\}) has less than a second to live$")]
async fn wait_until_last_second(w: &mut ApiWorld, reference: String) {
    wait_until_past_exp(w, reference, -LAST_SECOND.as_secs_f64()).await;
}

/// Sleeps until `offset` seconds after the instant `reference` expires (its `exp` plus the
/// declared leeway), by this machine's clock, which must agree with the target's.
async fn wait_until_past_exp(w: &mut ApiWorld, reference: String, offset: f64) {
    let (token, exp, iat) = awaitable(w, &reference);
    let unix = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    // `iat` is the target's clock, floored, at issue: the token arrived within that second
    // (plus the time on the wire) if both clocks agree.
    let skew = unix(token.received) - iat as f64;
    if !(-INSIDE_EXP_SECOND.as_secs_f64()..=2.0).contains(&skew) {
        skip(format!(
            "the target's clock and this machine's differ ({reference} arrived {skew:.1} s after its iat): \
             the second of its exp cannot be aimed at"
        ));
    }
    let target = exp as f64 + w.t.profile.leeway.as_secs_f64() + offset;
    let wait = Duration::from_secs_f64((target - unix(SystemTime::now())).max(0.0));
    if wait > w.t.max_wait {
        skip(format!(
            "waiting {:.0} s for {reference} to expire exceeds --max-wait {} s",
            wait.as_secs_f64().ceil(),
            w.t.max_wait.as_secs()
        ));
    }
    sleep_awaiting(w, &reference, wait).await;
}

#[given(regex = r"^I wait (\d+(?:\.\d+)?) seconds$")]
#[when(regex = r"^I wait (\d+(?:\.\d+)?) seconds$")]
async fn wait_seconds(w: &mut ApiWorld, seconds: f64) {
    let wait = Duration::from_secs_f64(seconds);
    if wait > w.t.max_wait {
        skip(format!(
            "waiting {seconds} s exceeds --max-wait {} s",
            w.t.max_wait.as_secs()
        ));
    }
    tokio::time::sleep(wait).await;
}
