//! Steps about tokens: what the suite was told of the target's keys and algorithm, and whether
//! a token the scenario holds is still accepted, refreshes, verifies or has not expired yet.

use std::time::SystemTime;

use cucumber::{given, then};
use serde_json::{Value, json};

use crate::world::{ApiWorld, skip};
use conformance::{jwt, profile::Endpoint};

#[given("the server's signing key is known")]
fn signing_key_known(w: &mut ApiWorld) {
    if !w.t.can_sign() {
        skip(
            "forging tokens needs the server's signing key (--signing-key / SIGNING_KEY; \
             --signing-key-file / SIGNING_KEY_FILE for RS256, ES256, EdDSA)",
        );
    }
}

#[given("the profile declares an asymmetric algorithm")]
fn declares_asymmetric(w: &mut ApiWorld) {
    if w.t.profile.algorithm.is_hmac() {
        skip(format!(
            "{} (it declares {})",
            jwt::NOT_ASYMMETRIC,
            w.t.profile.algorithm
        ));
    }
}

#[given("the profile declares a leeway of 4 seconds or more")]
fn declares_leeway(w: &mut ApiWorld) {
    let declared = w.t.profile.leeway;
    if declared.as_secs() < jwt::MIN_LEEWAY_CHECKED.unsigned_abs() {
        skip(format!(
            "the profile declares no leeway of {} s or more ([tokens] leeway; it declares {} s)",
            jwt::MIN_LEEWAY_CHECKED,
            declared.as_secs_f64()
        ));
    }
}

#[given("the server's public key is known")]
fn public_key_known(w: &mut ApiWorld) {
    if w.t.public_keys.is_none() {
        skip(
            "this needs the server's public key (--verifying-key-file / VERIFYING_KEY_FILE, \
             or jwks_url in the profile)",
        );
    }
}

#[then(
    regex = r"^(\$\{[^}]+\}) carries the declared alg and verifies under the server's public key$"
)]
fn verifies_under_public_key(w: &mut ApiWorld, reference: String) {
    let token = w.token(&reference);
    let Some(keys) = w.t.public_keys.as_ref() else {
        skip("this needs the server's public key");
    };
    if let Err(why) = jwt::check_published(&token, w.t.profile.algorithm, keys) {
        w.fail(format!("{reference}: {why}"));
    }
}

#[then(regex = r"^(\$\{[^}]+\}) (?:is|is still) accepted by the protected endpoint$")]
#[given(regex = r"^(\$\{[^}]+\}) (?:is|is still) accepted by the protected endpoint$")]
async fn accepted_by_protected(w: &mut ApiWorld, reference: String) {
    let token = w.token(&reference);
    let url = w.t.url(&w.endpoint_path(Endpoint::Protected));
    let resp = w.with_bearer("GET", url, &token, None).await;
    if resp.status != 200 {
        w.fail(format!(
            "expected {reference} to be accepted by the protected endpoint (200), got {}",
            resp.status
        ));
    }
}

#[then(regex = r"^(\$\{[^}]+\}) still refreshes$")]
async fn still_refreshes(w: &mut ApiWorld, reference: String) {
    let token = w.token(&reference);
    let resp = w
        .post_json(Endpoint::Refresh, json!({ "refresh": token }))
        .await;
    let access = resp
        .json()
        .and_then(|j| j.get("access").and_then(Value::as_str).map(str::to_string));
    if resp.status != 200 || !access.as_deref().is_some_and(jwt::looks_like_jwt) {
        w.fail(format!(
            "expected {reference} to still refresh (200 with a new access token), got {}",
            resp.status
        ));
    }
}

#[then(regex = r"^(\$\{[^}]+\}) still verifies$")]
async fn still_verifies(w: &mut ApiWorld, reference: String) {
    let token = w.token(&reference);
    let resp = w
        .post_json(Endpoint::Verify, json!({ "token": token }))
        .await;
    if resp.status != 200 {
        w.fail(format!(
            "expected {reference} to still verify (200), got {}",
            resp.status
        ));
    }
}

#[given(regex = r"^(\$\{\w+\}) has not expired yet$")]
#[then(regex = r"^(\$\{\w+\}) has not expired yet$")]
fn not_expired_yet(w: &mut ApiWorld, reference: String) {
    let token = w.held(&reference);
    let exp = jwt::decode(&token.value)
        .ok()
        .and_then(|d| d.claims.get("exp").and_then(Value::as_i64))
        .unwrap_or_else(|| w.fail(format!("{reference} has no integer exp")));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    // A token that died meanwhile would be refused for its age, which proves nothing here.
    if now + 1.0 >= exp as f64 {
        skip(format!(
            "{reference} expires before the check could run (its refresh lifetime is too short for this scenario)"
        ));
    }
}
