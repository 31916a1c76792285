//! Refresh token rotation, and blacklisting after rotation (CONTRACT.md ROT rules).

mod common;

use common::*;
use reference_server::Config;
use serde_json::json;

fn config(rotate: bool, blacklist: bool) -> Config {
    let mut config = Config::for_tests();
    config.access_lifetime = std::time::Duration::from_secs(60);
    config.refresh_lifetime = std::time::Duration::from_secs(600);
    config.rotate_refresh_tokens = rotate;
    config.blacklist_after_rotation = blacklist;
    config
}

#[tokio::test]
async fn rotation_with_blacklist_refuses_the_old_refresh_token_in_both_layouts() {
    let server = TestServer::with(config(true, true)).await;
    let original = server.login().await;
    let reply = server
        .post_json("/tokenrefresh/", &json!({"refresh": original.refresh}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.text.starts_with(r#"{"access":""#),
        "access first: {}",
        reply.text
    );
    let rotated = Pair {
        access: reply.field("access"),
        refresh: reply.field("refresh"),
    };
    let old_claims = claims_of(&original.refresh);
    let new_claims = claims_of(&rotated.refresh);
    assert_eq!(new_claims["token_type"], "refresh");
    assert_eq!(new_claims["user_id"], "1");
    assert_ne!(new_claims["jti"], old_claims["jti"]);
    assert_eq!(
        new_claims["exp"].as_i64().unwrap_or(0) - new_claims["iat"].as_i64().unwrap_or(0),
        600
    );
    assert!(new_claims["iat"].as_i64() >= old_claims["iat"].as_i64());

    server
        .post_json("/tokenrefresh/", &json!({"refresh": original.refresh}))
        .await
        .expect(400, r#"{"refresh":["The given token is invalid."]}"#);
    server
        .post_json(
            "/api/v1/token/refresh/",
            &json!({"refresh": original.refresh}),
        )
        .await
        .expect(401, &token_not_valid("Token is blacklisted"));
    server
        .post_json("/api/v1/token/verify/", &json!({"token": original.refresh}))
        .await
        .expect(400, r#"{"non_field_errors":["Token is blacklisted"]}"#);
    server
        .post_json("/verifytoken/", &json!({"token": original.refresh}))
        .await
        .expect(400, r#"{"token":["Token is invalid or expired."]}"#);
    server
        .post_json("/api/v1/token/verify/", &json!({"token": rotated.refresh}))
        .await
        .expect(200, "{}");

    // Access tokens are never blacklisted.
    server
        .authed("GET", "/api/resource/", &original.access, None)
        .await
        .expect(200, "[]");
    server
        .authed("GET", "/api/resource/", &rotated.access, None)
        .await
        .expect(200, "[]");

    // The rotated token works once, then it is blacklisted in turn.
    let again = server
        .post_json(
            "/api/v1/token/refresh/",
            &json!({"refresh": rotated.refresh}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    server
        .post_json(
            "/api/v1/token/refresh/",
            &json!({"refresh": rotated.refresh}),
        )
        .await
        .expect(401, &token_not_valid("Token is blacklisted"));

    // A correctly signed refresh token the server never issued is still accepted (stock 5.5.1).
    let minted = server.forge(&server.claims("refresh", json!("1")));
    assert_eq!(
        server
            .post_json("/tokenrefresh/", &json!({"refresh": minted}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_succeed_once_when_blacklisting() {
    let server = TestServer::with(config(true, true)).await;
    let refresh = server.login().await.refresh;
    let body = json!({"refresh": refresh});
    let attempts = (0..16).map(|_| server.post_json("/api/v1/token/refresh/", &body));
    let replies = futures_util::future::join_all(attempts).await;
    let ok = replies.iter().filter(|reply| reply.status == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|reply| reply.status != 200) {
        reply.expect(401, &token_not_valid("Token is blacklisted"));
    }
}

#[tokio::test]
async fn rotation_without_blacklist_keeps_old_refresh_tokens_usable() {
    let server = TestServer::with(config(true, false)).await;
    let original = server.login().await;
    for _ in 0..2 {
        let reply = server
            .post_json("/tokenrefresh/", &json!({"refresh": original.refresh}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_ne!(reply.field("refresh"), original.refresh);
        assert!(!reply.field("access").is_empty());
    }
}

#[tokio::test]
async fn blacklisting_without_rotation_changes_nothing() {
    let server = TestServer::with(config(false, true)).await;
    let original = server.login().await;
    for _ in 0..2 {
        let reply = server
            .post_json(
                "/api/v1/token/refresh/",
                &json!({"refresh": original.refresh}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(!reply.text.contains("refresh"), "{}", reply.text);
    }
}
