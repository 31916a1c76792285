//! Stateless broken targets: wiremock mocks that answer canned responses. Their login works
//! (a token pair signed with the fake's key), so the suite gets past its preflight and finds
//! the bug where it lives.

use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

use super::{ALICE, tokens};

bugs! {
    /// One stateless broken target.
    pub enum Mocked {
        /// The protected endpoint answers 200 `[]` to any request, with any Authorization or none.
        AnyBearerAccepted,
        /// Every request gets 200 `{}`.
        EverythingOk,
        /// The verify endpoint answers 200 `{"status": "valid"}` to anything.
        VerifiesAnything,
    }
}

/// A validly signed classic token pair for alice, good for five minutes.
fn canned_pair() -> serde_json::Value {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let id = ALICE.id.to_string();
    let access = tokens::claims("access", &id, 300, &tokens::new_jti());
    let refresh = tokens::claims("refresh", &id, 600, &tokens::new_jti());
    json!({
        "refresh": tokens::sign(&header, &refresh),
        "access": tokens::sign(&header, &access),
    })
}

/// Starts the mock (classic layout).
pub async fn start(mocked: Mocked) -> MockServer {
    let server = MockServer::start().await;
    let login = Mock::given(method("POST"))
        .and(path("/gettoken/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(canned_pair()));
    match mocked {
        Mocked::AnyBearerAccepted => {
            login.mount(&server).await;
            Mock::given(path("/api/resource/"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
                .mount(&server)
                .await;
        }
        Mocked::EverythingOk => {
            Mock::given(wiremock::matchers::any())
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
                .mount(&server)
                .await;
        }
        Mocked::VerifiesAnything => {
            login.mount(&server).await;
            Mock::given(method("POST"))
                .and(path("/verifytoken/"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "valid"})))
                .mount(&server)
                .await;
        }
    }
    server
}
