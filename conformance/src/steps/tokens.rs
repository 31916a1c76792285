//! Steps about what the suite was told of the target's tokens: its keys and its algorithm.

use cucumber::{given, then};

use crate::world::{ApiWorld, skip};
use conformance::jwt;

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
            "the profile declares no leeway of {} s or more ([tokens] leeway; it declares {:?})",
            jwt::MIN_LEEWAY_CHECKED,
            declared
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
