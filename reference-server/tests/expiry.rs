//! Token expiry with real short lifetimes, and leeway. Sleeps are bounded by the tokens' own
//! `exp` (whole seconds, as simplejwt writes them).

mod common;

use std::time::Duration;

use common::*;
use reference_server::Config;
use serde_json::json;

#[tokio::test]
async fn access_then_refresh_tokens_expire_at_their_exp() {
    let mut config = Config::for_tests();
    config.access_lifetime = Duration::from_secs(2);
    config.refresh_lifetime = Duration::from_secs(3);
    let server = TestServer::with(config).await;
    let pair = server.login().await;
    assert_eq!(exp_of(&pair.refresh) - exp_of(&pair.access), 1);

    // At least one second of life is left right after login.
    server
        .authed("GET", "/api/resource/", &pair.access, None)
        .await
        .expect(200, "[]");
    server
        .post_json("/verifytoken/", &json!({"token": pair.access}))
        .await
        .expect(200, r#"{"status":"valid"}"#);

    sleep_past(exp_of(&pair.access)).await;
    let expired = bearer_refused("Token is expired");
    server
        .authed("GET", "/api/resource/", &pair.access, None)
        .await
        .expect(401, &expired);
    server
        .authed("GET", "/api/v1/users/", &pair.access, None)
        .await
        .expect(401, &expired);
    server
        .post_json("/verifytoken/", &json!({"token": pair.access}))
        .await
        .expect(400, r#"{"token":["Token is invalid or expired."]}"#);
    server
        .post_json("/api/v1/token/verify/", &json!({"token": pair.access}))
        .await
        .expect(401, &token_not_valid("Token is expired"));
    // Expiry is checked before the type: an expired access token at refresh is "expired".
    server
        .post_json("/api/v1/token/refresh/", &json!({"refresh": pair.access}))
        .await
        .expect(401, &token_not_valid("Token is expired"));

    // The refresh token outlives the access token by a second.
    let refreshed = server
        .post_json("/tokenrefresh/", &json!({"refresh": pair.refresh}))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.text);
    let fresh = refreshed.field("access");
    assert!(exp_of(&fresh) > exp_of(&pair.access));
    server
        .authed("GET", "/api/resource/", &fresh, None)
        .await
        .expect(200, "[]");

    sleep_past(exp_of(&pair.refresh)).await;
    server
        .post_json("/tokenrefresh/", &json!({"refresh": pair.refresh}))
        .await
        .expect(400, r#"{"refresh":["The given token is expired."]}"#);
    server
        .post_json("/api/v1/token/refresh/", &json!({"refresh": pair.refresh}))
        .await
        .expect(401, &token_not_valid("Token is expired"));
    server
        .post_json("/api/v1/token/verify/", &json!({"token": pair.refresh}))
        .await
        .expect(401, &token_not_valid("Token is expired"));
    server
        .authed("GET", "/api/resource/", &pair.refresh, None)
        .await
        .expect(401, &expired);
}

#[tokio::test]
async fn a_token_is_expired_from_the_second_of_its_exp() {
    let server = TestServer::start().await;
    let mut claims = server.claims("access", json!("1"));
    claims["exp"] = json!(now());
    server
        .authed("GET", "/api/resource/", &server.forge(&claims), None)
        .await
        .expect(401, &bearer_refused("Token is expired"));
    claims["exp"] = json!(now() + 2);
    server
        .authed("GET", "/api/resource/", &server.forge(&claims), None)
        .await
        .expect(200, "[]");
}

#[tokio::test]
async fn leeway_tolerates_clock_skew_on_exp_nbf_and_iat() {
    let mut config = Config::for_tests();
    config.leeway = Duration::from_secs(30);
    let server = TestServer::with(config).await;
    let mut claims = server.claims("access", json!("1"));
    claims["exp"] = json!(now() - 10);
    claims["nbf"] = json!(now() + 10);
    claims["iat"] = json!(now() + 10);
    server
        .authed("GET", "/api/resource/", &server.forge(&claims), None)
        .await
        .expect(200, "[]");
    claims["exp"] = json!(now() - 40);
    server
        .authed("GET", "/api/resource/", &server.forge(&claims), None)
        .await
        .expect(401, &bearer_refused("Token is expired"));
}
