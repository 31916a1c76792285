//! The classic dialect (CONTRACT.md OBT, REF, VER): POST /gettoken/, /tokenrefresh/, /verifytoken/.

mod common;

use common::*;
use serde_json::json;

const BAD_CREDENTIALS: &str =
    r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#;
const REFRESH_INVALID: &str = r#"{"refresh":["The given token is invalid."]}"#;
const VERIFY_INVALID: &str = r#"{"token":["Token is invalid or expired."]}"#;

#[tokio::test]
async fn valid_credentials_give_a_token_pair_in_json_form_and_multipart() {
    let server = TestServer::start().await;
    let credentials = [("username", "demo"), ("password", "demo-password")];
    let replies = [
        server
            .post_json(
                "/gettoken/",
                &json!({"username": "demo", "password": "demo-password"}),
            )
            .await,
        server.post_form("/gettoken/", &credentials).await,
        server
            .send(multipart(
                server.request("POST", "/gettoken/"),
                &credentials,
            ))
            .await,
    ];
    for reply in replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.view_headers(TOKEN_ALLOW);
        let body = reply.json();
        let keys: Vec<&String> = body
            .as_object()
            .map(|map| map.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 2);
        assert!(
            reply
                .text
                .starts_with(r#"{"refresh":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."#),
            "{}",
            reply.text
        );
        let access = claims_of(&reply.field("access"));
        let refresh = claims_of(&reply.field("refresh"));
        assert_eq!(access["token_type"], "access");
        assert_eq!(refresh["token_type"], "refresh");
        assert_eq!(access["user_id"], "1");
        assert_eq!(access["iat"], refresh["iat"]);
        assert_ne!(access["jti"], refresh["jti"]);
        assert!(refresh["exp"].as_i64() > access["exp"].as_i64());
    }
}

#[tokio::test]
async fn tokens_carry_the_simplejwt_header_and_claims_in_order() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    assert_eq!(header_text(&pair.access), r#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = claims_of(&pair.access);
    let exp = claims["exp"].as_i64().unwrap_or_default();
    let iat = claims["iat"].as_i64().unwrap_or_default();
    assert_eq!(exp - iat, 2, "Config::for_tests access lifetime");
    let jti = claims["jti"].as_str().unwrap_or_default().to_owned();
    let expected =
        format!(r#"{{"token_type":"access","exp":{exp},"iat":{iat},"jti":"{jti}","user_id":"1"}}"#);
    assert_eq!(claims.to_string().len(), expected.len());
    assert_eq!(
        claims,
        serde_json::from_str::<serde_json::Value>(&expected).unwrap_or_default()
    );
    assert_eq!(jti.len(), 32);
}

#[tokio::test]
async fn wrong_password_unknown_user_and_inactive_user_get_the_same_400() {
    let server = TestServer::start().await;
    for (username, password) in [
        ("demo", "wrong"),
        ("nobody", "demo-password"),
        ("inactive", "inactive-password"),
        ("inactive", "wrong"),
        ("DEMO", "demo-password"),
    ] {
        server
            .post_json(
                "/gettoken/",
                &json!({"username": username, "password": password}),
            )
            .await
            .expect(400, BAD_CREDENTIALS)
            .view_headers(TOKEN_ALLOW);
    }
    server
        .post_json("/gettoken/", &json!({"username": 123, "password": "x"}))
        .await
        .expect(400, BAD_CREDENTIALS);
}

#[tokio::test]
async fn missing_blank_and_null_fields_get_per_field_errors() {
    let server = TestServer::start().await;
    let both_required =
        r#"{"username":["This field is required."],"password":["This field is required."]}"#;
    server
        .post_form("/gettoken/", &[("password", "x")])
        .await
        .expect(400, r#"{"username":["This field is required."]}"#);
    server
        .post_form("/gettoken/", &[("username", "demo")])
        .await
        .expect(400, r#"{"password":["This field is required."]}"#);
    server
        .call("POST", "/gettoken/")
        .await
        .expect(400, both_required);
    server
        .post_json("/gettoken/", &json!({}))
        .await
        .expect(400, both_required);
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "application/json"),
        )
        .await
        .expect(400, both_required);
    server
        .post_json("/gettoken/", &json!({"username": "", "password": ""}))
        .await
        .expect(400, r#"{"username":["This field may not be blank."],"password":["This field may not be blank."]}"#);
    server
        .post_json(
            "/gettoken/",
            &json!({"username": "   ", "password": "demo-password"}),
        )
        .await
        .expect(400, r#"{"username":["This field may not be blank."]}"#);
    server
        .post_json("/gettoken/", &json!({"username": null, "password": null}))
        .await
        .expect(400, r#"{"username":["This field may not be null."],"password":["This field may not be null."]}"#);
    server
        .post_json(
            "/gettoken/",
            &json!({"email": "demo@example.com", "password": "demo-password"}),
        )
        .await
        .expect(400, r#"{"username":["This field is required."]}"#);
}

#[tokio::test]
async fn a_valid_refresh_token_buys_a_fresh_access_token_again_and_again() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    for _ in 0..3 {
        let reply = server
            .post_json("/tokenrefresh/", &json!({"refresh": pair.refresh}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.view_headers(TOKEN_ALLOW);
        let body = reply.json();
        assert_eq!(
            body.as_object().map(|map| map.len()),
            Some(1),
            "no refresh without rotation"
        );
        let access = reply.field("access");
        let claims = claims_of(&access);
        assert_eq!(claims["token_type"], "access");
        assert_eq!(claims["user_id"], "1");
        assert_ne!(claims["jti"], claims_of(&pair.access)["jti"]);
        server
            .authed("GET", "/api/resource/", &access, None)
            .await
            .expect(200, "[]");
    }
    let reply = server
        .post_form("/tokenrefresh/", &[("refresh", &pair.refresh)])
        .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn refresh_refuses_every_other_token_with_invalid() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    let other_key = sign(
        "other-key",
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        &claims_of(&pair.refresh),
    );
    let mut no_jti = server.claims("refresh", json!("1"));
    no_jti.as_object_mut().map(|map| map.remove("jti"));
    let mut no_type = server.claims("refresh", json!("1"));
    no_type.as_object_mut().map(|map| map.remove("token_type"));
    let mut no_exp = server.claims("refresh", json!("1"));
    no_exp.as_object_mut().map(|map| map.remove("exp"));
    let refused = [
        "garbage".to_owned(),
        pair.access.clone(),
        other_key,
        unsigned(&pair.refresh),
        tampered(
            &pair.refresh,
            &json!({"token_type": "refresh", "exp": now() + 60, "jti": "x", "user_id": "999"}),
        ),
        server.forge(&server.claims("refresh", json!("2"))),
        server.forge(&server.claims("refresh", json!("999"))),
        server.forge(&no_jti),
        server.forge(&no_type),
        server.forge(&no_exp),
    ];
    for token in refused {
        server
            .post_json("/tokenrefresh/", &json!({"refresh": token}))
            .await
            .expect(400, REFRESH_INVALID)
            .view_headers(TOKEN_ALLOW);
    }
}

#[tokio::test]
async fn refresh_with_an_expired_token_says_expired() {
    let server = TestServer::start().await;
    let mut claims = server.claims("refresh", json!("1"));
    claims["exp"] = json!(now() - 1);
    server
        .post_json("/tokenrefresh/", &json!({"refresh": server.forge(&claims)}))
        .await
        .expect(400, r#"{"refresh":["The given token is expired."]}"#);
}

#[tokio::test]
async fn refresh_field_errors() {
    let server = TestServer::start().await;
    server
        .post_json("/tokenrefresh/", &json!({}))
        .await
        .expect(400, r#"{"refresh":["This field is required."]}"#);
    server
        .call("POST", "/tokenrefresh/")
        .await
        .expect(400, r#"{"refresh":["This field is required."]}"#);
    server
        .post_json("/tokenrefresh/", &json!({"refresh": ""}))
        .await
        .expect(400, r#"{"refresh":["This field may not be blank."]}"#);
}

#[tokio::test]
async fn verify_accepts_any_valid_token_and_refuses_the_rest() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    let valid = [
        pair.access.clone(),
        pair.refresh.clone(),
        server.forge(&server.claims("access", json!("999"))),
    ];
    for token in valid {
        server
            .post_json("/verifytoken/", &json!({"token": token}))
            .await
            .expect(200, r#"{"status":"valid"}"#)
            .view_headers(TOKEN_ALLOW);
    }
    server
        .post_form("/verifytoken/", &[("token", &pair.access)])
        .await
        .expect(200, r#"{"status":"valid"}"#);
    let mut expired = server.claims("access", json!("1"));
    expired["exp"] = json!(now() - 1);
    let mut no_jti = server.claims("access", json!("1"));
    no_jti.as_object_mut().map(|map| map.remove("jti"));
    let refused = [
        "garbage".to_owned(),
        server.forge(&expired),
        server.forge(&no_jti),
        sign(
            "other-key",
            &json!({"alg": "HS256", "typ": "JWT"}),
            &claims_of(&pair.access),
        ),
        unsigned(&pair.access),
        tampered(
            &pair.access,
            &json!({"token_type": "access", "exp": now() + 60, "jti": "x", "user_id": "2"}),
        ),
    ];
    for token in refused {
        server
            .post_json("/verifytoken/", &json!({"token": token}))
            .await
            .expect(400, VERIFY_INVALID);
    }
    server
        .post_json("/verifytoken/", &json!({}))
        .await
        .expect(400, r#"{"token":["This field is required."]}"#);
    server
        .post_json("/verifytoken/", &json!({"token": ""}))
        .await
        .expect(400, r#"{"token":["This field may not be blank."]}"#);
}

#[tokio::test]
async fn token_endpoints_allow_only_post_and_options() {
    let server = TestServer::start().await;
    for path in ["/gettoken/", "/tokenrefresh/", "/verifytoken/"] {
        for method in ["GET", "PUT", "PATCH", "DELETE"] {
            server
                .call(method, path)
                .await
                .expect(
                    405,
                    &format!(r#"{{"detail":"Method \"{method}\" not allowed."}}"#),
                )
                .view_headers(TOKEN_ALLOW);
        }
        let head = server.call("HEAD", path).await;
        assert_eq!(head.status, 405);
        let options = server.call("OPTIONS", path).await;
        assert_eq!(options.status, 200);
        options.view_headers(TOKEN_ALLOW);
        assert!(
            options.json()["actions"]["POST"].is_object(),
            "{}",
            options.text
        );
    }
}
