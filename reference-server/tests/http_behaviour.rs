//! CONTRACT.md HTTP rules, the common HTTP behaviour of both layouts: body limits, content negotiation,
//! trailing slashes, unknown paths.

mod common;

use common::*;
use reference_server::Config;
use serde_json::json;

#[tokio::test]
async fn bodies_over_the_limit_get_413_on_every_layout() {
    let mut config = Config::for_tests();
    config.max_body_bytes = 1024;
    let server = TestServer::with(config).await;
    let token = server.login().await.access;
    let big = format!(r#"{{"username":"{}","password":"x"}}"#, "a".repeat(2000));
    let expected = r#"{"detail":"Request body exceeds the limit of 1024 bytes."}"#;
    for path in [
        "/gettoken/",
        "/api/v1/token/",
        "/tokenrefresh/",
        "/verifytoken/",
    ] {
        server
            .send(
                server
                    .request("POST", path)
                    .header("content-type", "application/json")
                    .body(big.clone()),
            )
            .await
            .expect(413, expected)
            .view_headers(TOKEN_ALLOW);
    }
    server
        .send(
            server
                .request("POST", "/api/resource/")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await
        .expect(413, expected);
    // Exactly at the limit is fine.
    let padded = format!(
        r#"{{"username":"demo","password":"demo-password","pad":"{}"}}"#,
        "p".repeat(1024 - 55)
    );
    assert_eq!(padded.len(), 1024);
    let reply = server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "application/json")
                .body(padded),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn an_accept_header_without_json_gets_406() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let not_acceptable = r#"{"detail":"Could not satisfy the request Accept header."}"#;
    server
        .send(
            server
                .request("POST", "/api/resource/")
                .bearer_auth(&token)
                .header("accept", "application/xml")
                .json(&json!({"field1": "a", "field2": "b"})),
        )
        .await
        .expect(406, not_acceptable)
        .view_headers(COLLECTION_ALLOW);
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("accept", "text/html")
                .json(&json!({})),
        )
        .await
        .expect(406, not_acceptable);
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    server
        .send(
            server
                .request("GET", "/api/resource/")
                .bearer_auth(&token)
                .header("accept", browser),
        )
        .await
        .expect(200, "[]");
    server
        .authed("GET", "/api/resource/", &token, None)
        .await
        .expect(200, "[]");
}

#[tokio::test]
async fn known_paths_without_trailing_slash_redirect_like_django() {
    let server = TestServer::start().await;
    let cases = [
        ("POST", "/gettoken", "/gettoken/"),
        ("GET", "/api/resource/1", "/api/resource/1/"),
        ("GET", "/api/resource", "/api/resource/"),
        ("GET", "/api/v1/users?page=2", "/api/v1/users/?page=2"),
        ("POST", "/api/v1/token/refresh", "/api/v1/token/refresh/"),
    ];
    for (method, path, location) in cases {
        let reply = server.call(method, path).await;
        assert_eq!((reply.status, reply.text.as_str()), (301, ""), "{path}");
        assert_eq!(reply.header("location"), Some(location));
        assert_eq!(reply.header("content-type"), None);
    }
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    for path in [
        "/nope/",
        "/api/",
        "/",
        "/api/resource/1/2/",
        "/api/resource//",
        "/nope",
        "/gettoken/extra/",
    ] {
        let reply = server.authed("GET", path, &token, None).await;
        reply.expect(404, r#"{"detail":"Not found."}"#);
        assert_eq!(reply.header("allow"), None);
    }
}

#[tokio::test]
async fn content_types_are_matched_without_parameters_or_case() {
    let server = TestServer::start().await;
    let reply = server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "Application/JSON; charset=utf-8")
                .body(r#"{"username":"demo","password":"demo-password"}"#),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "text/plain; charset=utf-8")
                .body("x"),
        )
        .await
        .expect(
            415,
            r#"{"detail":"Unsupported media type \"text/plain; charset=utf-8\" in request."}"#,
        );
    // No Content-Type at all: the body is ignored, as DRF ignores it.
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .body("username=demo&password=demo-password"),
        )
        .await
        .expect(
            400,
            r#"{"username":["This field is required."],"password":["This field is required."]}"#,
        );
    // Empty body with an unsupported type: no data, not 415.
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "text/plain"),
        )
        .await
        .expect(
            400,
            r#"{"username":["This field is required."],"password":["This field is required."]}"#,
        );
    let reply = server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "multipart/form-data")
                .body("--x--"),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(
        reply
            .field("detail")
            .starts_with("Multipart form parse error - "),
        "{}",
        reply.text
    );
    for (body, kind) in [
        ("\"text\"", "str"),
        ("42", "int"),
        ("4.2", "float"),
        ("true", "bool"),
    ] {
        server
            .send(server.request("POST", "/gettoken/").header("content-type", "application/json").body(body))
            .await
            .expect(400, &format!(r#"{{"non_field_errors":["Invalid data. Expected a dictionary, but got {kind}."]}}"#));
    }
    // A null body is no data, in DRF's words (contract 1.2.0, OBT-6).
    server
        .send(
            server
                .request("POST", "/gettoken/")
                .header("content-type", "application/json")
                .body("null"),
        )
        .await
        .expect(400, r#"{"non_field_errors":["No data provided"]}"#);
}

#[tokio::test]
async fn options_describe_each_view() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let obtain = server.call("OPTIONS", "/gettoken/").await;
    assert_eq!(obtain.status, 200);
    let body = obtain.json();
    assert_eq!(body["name"], "Token Obtain Pair");
    assert_eq!(body["actions"]["POST"]["username"]["required"], true);
    assert_eq!(body["parses"][0], "application/json");
    let v1 = server.call("OPTIONS", "/api/v1/token/").await.json();
    assert!(v1["actions"]["POST"]["email"].is_object());
    let item = server
        .authed("OPTIONS", "/api/resource/1/", &token, None)
        .await;
    assert_eq!(item.status, 200);
    item.view_headers(ITEM_ALLOW);
    let users = server
        .authed("OPTIONS", "/api/v1/users/", &token, None)
        .await;
    assert_eq!(users.status, 200);
    assert_eq!(users.json()["name"], "User List");
}
