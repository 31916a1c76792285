//! Steps about what the suite was told of the target's tokens.

use cucumber::given;

use crate::world::{ApiWorld, skip};

#[given("the server's signing key is known")]
fn signing_key_known(w: &mut ApiWorld) {
    if w.t.signing_key.is_none() {
        skip("forging tokens needs the server's signing key (--signing-key / SIGNING_KEY)");
    }
}
