//! The simplejwt dialect (CONTRACT.md; interop/simplejwt/OBSERVED.md): /api/v1/token/, /api/v1/token/refresh/, /api/v1/token/verify/
//! and /api/v1/users/, with stock simplejwt 5.5.1's bodies.

mod common;

use common::*;
use serde_json::{Value, json};

const NO_ACCOUNT: &str = r#"{"detail":"No active account found with the given credentials"}"#;
const NO_ACCOUNT_FOR_TOKEN: &str = r#"{"detail":"No active account found for the given token."}"#;

async fn v1_login(server: &TestServer) -> Pair {
    let reply = server
        .post_json(
            "/api/v1/token/",
            &json!({"email": "demo@example.com", "password": "demo-password"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    Pair {
        access: reply.field("access"),
        refresh: reply.field("refresh"),
    }
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().map(|map| map.remove(key));
    claims
}

#[tokio::test]
async fn email_and_password_give_a_pair_in_json_and_form() {
    let server = TestServer::start().await;
    let json_reply = server
        .post_json(
            "/api/v1/token/",
            &json!({"email": "demo@example.com", "password": "demo-password"}),
        )
        .await;
    let form_reply = server
        .post_form(
            "/api/v1/token/",
            &[("email", "demo@example.com"), ("password", "demo-password")],
        )
        .await;
    for reply in [json_reply, form_reply] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.view_headers(TOKEN_ALLOW);
        assert!(reply.text.starts_with(r#"{"refresh":""#));
        assert_eq!(claims_of(&reply.field("access"))["user_id"], "1");
        assert_eq!(reply.header("content-length"), Some("489"));
    }
}

#[tokio::test]
async fn bad_credentials_are_401_without_enumeration() {
    let server = TestServer::start().await;
    for (email, password) in [
        ("demo@example.com", "nope"),
        ("nobody@example.com", "demo-password"),
        ("inactive@example.com", "inactive-password"),
        ("demo", "demo-password"),
    ] {
        server
            .post_json(
                "/api/v1/token/",
                &json!({"email": email, "password": password}),
            )
            .await
            .expect(401, NO_ACCOUNT)
            .view_headers(TOKEN_ALLOW);
    }
}

#[tokio::test]
async fn obtain_field_and_body_errors() {
    let server = TestServer::start().await;
    let both = r#"{"email":["This field is required."],"password":["This field is required."]}"#;
    server
        .post_json(
            "/api/v1/token/",
            &json!({"username": "demo", "password": "demo-password"}),
        )
        .await
        .expect(400, r#"{"email":["This field is required."]}"#);
    server
        .post_json("/api/v1/token/", &json!({"email": "demo@example.com"}))
        .await
        .expect(400, r#"{"password":["This field is required."]}"#);
    server
        .call("POST", "/api/v1/token/")
        .await
        .expect(400, both);
    server
        .post_json("/api/v1/token/", &json!({}))
        .await
        .expect(400, both);
    let malformed = server
        .send(
            server
                .request("POST", "/api/v1/token/")
                .header("content-type", "application/json")
                .body(r#"{"email":"#),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.field("detail").starts_with("JSON parse error - "),
        "{}",
        malformed.text
    );
    server
        .send(
            server
                .request("POST", "/api/v1/token/")
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await
        .expect(
            415,
            r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#,
        )
        .view_headers(TOKEN_ALLOW);
    for method in ["GET", "PUT", "DELETE"] {
        server
            .call(method, "/api/v1/token/")
            .await
            .expect(
                405,
                &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
            )
            .view_headers(TOKEN_ALLOW);
    }
}

#[tokio::test]
async fn refresh_succeeds_repeatedly_in_json_and_form() {
    let server = TestServer::start().await;
    let pair = v1_login(&server).await;
    for _ in 0..2 {
        let reply = server
            .post_json("/api/v1/token/refresh/", &json!({"refresh": pair.refresh}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(reply.text.starts_with(r#"{"access":""#) && !reply.text.contains("refresh"));
    }
    let reply = server
        .post_form("/api/v1/token/refresh/", &[("refresh", &pair.refresh)])
        .await;
    assert_eq!(reply.status, 200);
    reply.view_headers(TOKEN_ALLOW);
}

#[tokio::test]
async fn refresh_failures_name_the_reason() {
    let server = TestServer::start().await;
    let pair = v1_login(&server).await;
    let refresh = server.claims("refresh", json!("1"));
    let mut expired = refresh.clone();
    expired["exp"] = json!(now() - 1);
    let cases = [
        ("garbage".to_owned(), "Token is invalid"),
        (pair.access.clone(), "Token has wrong type"),
        (
            sign(
                "other-key",
                &json!({"alg": "HS256", "typ": "JWT"}),
                &claims_of(&pair.refresh),
            ),
            "Token is invalid",
        ),
        (unsigned(&pair.refresh), "Token is invalid"),
        (
            tampered(
                &pair.refresh,
                &json!({"token_type": "refresh", "exp": now() + 60, "jti": "x", "user_id": "999"}),
            ),
            "Token is invalid",
        ),
        (server.forge(&expired), "Token is expired"),
        (
            server.forge(&without(refresh.clone(), "jti")),
            "Token has no id",
        ),
        (
            server.forge(&without(refresh.clone(), "exp")),
            "Token has no 'exp' claim",
        ),
        (
            server.forge(&without(refresh.clone(), "token_type")),
            "Token has no type",
        ),
    ];
    for (token, message) in cases {
        server
            .post_json("/api/v1/token/refresh/", &json!({"refresh": token}))
            .await
            .expect(401, &token_not_valid(message))
            .view_headers(TOKEN_ALLOW);
    }
}

#[tokio::test]
async fn refresh_for_an_inactive_or_missing_user_is_401_not_500() {
    let server = TestServer::start().await;
    for user_id in [json!("2"), json!("999"), json!(2)] {
        server
            .post_json(
                "/api/v1/token/refresh/",
                &json!({"refresh": server.forge(&server.claims("refresh", user_id))}),
            )
            .await
            .expect(401, NO_ACCOUNT_FOR_TOKEN)
            .view_headers(TOKEN_ALLOW);
    }
    // Stock simplejwt: a refresh token without user_id still refreshes.
    let anonymous = server.forge(&without(server.claims("refresh", json!(null)), "user_id"));
    let reply = server
        .post_json("/api/v1/token/refresh/", &json!({"refresh": anonymous}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(claims_of(&reply.field("access")).get("user_id").is_none());
}

#[tokio::test]
async fn refresh_field_and_method_errors() {
    let server = TestServer::start().await;
    let path = "/api/v1/token/refresh/";
    server
        .post_json(path, &json!({}))
        .await
        .expect(400, r#"{"refresh":["This field is required."]}"#);
    server
        .post_json(path, &json!({"refresh": ""}))
        .await
        .expect(400, r#"{"refresh":["This field may not be blank."]}"#);
    server
        .call("POST", path)
        .await
        .expect(400, r#"{"refresh":["This field is required."]}"#);
    server
        .send(
            server
                .request("POST", path)
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await
        .expect(
            415,
            r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#,
        );
    for method in ["GET", "PUT", "DELETE"] {
        server.call(method, path).await.expect(
            405,
            &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
        );
    }
}

#[tokio::test]
async fn verify_answers_empty_object_for_any_valid_token() {
    let server = TestServer::start().await;
    let pair = v1_login(&server).await;
    let path = "/api/v1/token/verify/";
    let valid = [
        pair.access.clone(),
        pair.refresh.clone(),
        server.forge(&server.claims("access", json!("999"))),
        server.forge(&without(server.claims("access", json!("1")), "token_type")),
    ];
    for token in valid {
        server
            .post_json(path, &json!({"token": token}))
            .await
            .expect(200, "{}")
            .view_headers(TOKEN_ALLOW);
    }
    let mut expired = server.claims("access", json!("1"));
    expired["exp"] = json!(now() - 1);
    let refused = [
        ("garbage".to_owned(), "Token is invalid"),
        (
            sign(
                "other-key",
                &json!({"alg": "HS256", "typ": "JWT"}),
                &claims_of(&pair.access),
            ),
            "Token is invalid",
        ),
        (unsigned(&pair.access), "Token is invalid"),
        (server.forge(&expired), "Token is expired"),
        (
            server.forge(&without(server.claims("access", json!("1")), "jti")),
            "Token has no id",
        ),
    ];
    for (token, message) in refused {
        server
            .post_json(path, &json!({"token": token}))
            .await
            .expect(401, &token_not_valid(message));
    }
    server
        .post_json(path, &json!({}))
        .await
        .expect(400, r#"{"token":["This field is required."]}"#);
    server
        .post_json(path, &json!({"token": ""}))
        .await
        .expect(400, r#"{"token":["This field may not be blank."]}"#);
}

#[tokio::test]
async fn users_are_listed_to_authenticated_callers_only() {
    let server = TestServer::start().await;
    let pair = v1_login(&server).await;
    server
        .authed("GET", "/api/v1/users/", &pair.access, None)
        .await
        .expect(
            200,
            r#"[{"id":1,"username":"demo","email":"demo@example.com"},{"id":2,"username":"inactive","email":"inactive@example.com"}]"#,
        )
        .view_headers(USERS_ALLOW);
    server
        .authed("GET", "/api/v1/users/1/", &pair.access, None)
        .await
        .expect(
            200,
            r#"{"id":1,"username":"demo","email":"demo@example.com"}"#,
        )
        .view_headers(USERS_ALLOW);
    server
        .authed("GET", "/api/v1/users/99/", &pair.access, None)
        .await
        .expect(404, r#"{"detail":"Not found."}"#);
    server
        .authed("GET", "/api/v1/users/abc/", &pair.access, None)
        .await
        .expect(404, r#"{"detail":"Not found."}"#);
    server
        .call("GET", "/api/v1/users/")
        .await
        .expect(401, NOT_PROVIDED)
        .view_headers(USERS_ALLOW);
    server
        .authed("GET", "/api/v1/users/", "garbage", None)
        .await
        .expect(401, &bearer_refused("Token is invalid"));
    server
        .authed("GET", "/api/v1/users/", &pair.refresh, None)
        .await
        .expect(401, &bearer_refused("Token has wrong type"));
    server
        .authed("POST", "/api/v1/users/", &pair.access, Some(&json!({})))
        .await
        .expect(405, r#"{"detail":"Method \"POST\" not allowed."}"#)
        .view_headers(USERS_ALLOW);
    server
        .post_json("/api/v1/users/", &json!({}))
        .await
        .expect(401, NOT_PROVIDED);
}

#[tokio::test]
async fn both_layouts_share_one_key_and_one_user_store() {
    let server = TestServer::start().await;
    let classic = server.login().await;
    let v1 = v1_login(&server).await;
    assert_eq!(
        server
            .authed("GET", "/api/v1/users/", &classic.access, None)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .authed("GET", "/api/resource/", &v1.access, None)
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .post_json("/tokenrefresh/", &json!({"refresh": v1.refresh}))
            .await
            .status,
        200
    );
    assert_eq!(
        server
            .post_json(
                "/api/v1/token/refresh/",
                &json!({"refresh": classic.refresh})
            )
            .await
            .status,
        200
    );
}
