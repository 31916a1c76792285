//! CONTRACT.md RES rules, /api/resource/ and /api/resource/{id}/: CRUD, field validation and Bearer
//! authentication (as stock simplejwt answers, interop/simplejwt/OBSERVED.md).

mod common;

use common::*;
use serde_json::{Value, json};

const NOT_FOUND: &str = r#"{"detail":"Not found."}"#;

async fn create(server: &TestServer, token: &str, body: Value) -> Reply {
    server
        .authed("POST", "/api/resource/", token, Some(&body))
        .await
}

#[tokio::test]
async fn crud_round_trip() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    server
        .authed("GET", "/api/resource/", &token, None)
        .await
        .expect(200, "[]")
        .view_headers(COLLECTION_ALLOW);
    create(
        &server,
        &token,
        json!({"field1": "value1", "field2": "value2"}),
    )
    .await
    .expect(201, r#"{"id":1,"field1":"value1","field2":"value2"}"#)
    .view_headers(COLLECTION_ALLOW);
    server
        .send(form(
            server.request("POST", "/api/resource/").bearer_auth(&token),
            &[("field1", "f1"), ("field2", "f2")],
        ))
        .await
        .expect(201, r#"{"id":2,"field1":"f1","field2":"f2"}"#);
    server
        .send(multipart(
            server.request("POST", "/api/resource/").bearer_auth(&token),
            &[("field1", "m1"), ("field2", "m2")],
        ))
        .await
        .expect(201, r#"{"id":3,"field1":"m1","field2":"m2"}"#);
    create(
        &server,
        &token,
        json!({"id": 999, "field1": "x", "field2": "y", "extra": "z"}),
    )
    .await
    .expect(201, r#"{"id":4,"field1":"x","field2":"y"}"#);
    server
        .authed("GET", "/api/resource/1/", &token, None)
        .await
        .expect(200, r#"{"id":1,"field1":"value1","field2":"value2"}"#)
        .view_headers(ITEM_ALLOW);
    server
        .authed(
            "PUT",
            "/api/resource/1/",
            &token,
            Some(&json!({"id": 424242, "field1": "p1", "field2": "p2"})),
        )
        .await
        .expect(200, r#"{"id":1,"field1":"p1","field2":"p2"}"#)
        .view_headers(ITEM_ALLOW);
    server
        .authed(
            "PATCH",
            "/api/resource/1/",
            &token,
            Some(&json!({"field1": "patched"})),
        )
        .await
        .expect(200, r#"{"id":1,"field1":"patched","field2":"p2"}"#);
    server
        .authed("PATCH", "/api/resource/1/", &token, Some(&json!({})))
        .await
        .expect(200, r#"{"id":1,"field1":"patched","field2":"p2"}"#);
    let deleted = server
        .authed("DELETE", "/api/resource/2/", &token, None)
        .await;
    deleted.expect(204, "").view_headers(ITEM_ALLOW);
    assert_eq!(deleted.header("content-type"), None);
    server
        .authed("DELETE", "/api/resource/2/", &token, None)
        .await
        .expect(404, NOT_FOUND)
        .view_headers(ITEM_ALLOW);
    server
        .authed("GET", "/api/resource/2/", &token, None)
        .await
        .expect(404, NOT_FOUND);
    server
        .authed("GET", "/api/resource/", &token, None)
        .await
        .expect(
            200,
            r#"[{"id":1,"field1":"patched","field2":"p2"},{"id":3,"field1":"m1","field2":"m2"},{"id":4,"field1":"x","field2":"y"}]"#,
        );
}

#[tokio::test]
async fn create_validates_like_drf_charfield() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let both_required =
        r#"{"field1":["This field is required."],"field2":["This field is required."]}"#;
    let cases = [
        (
            json!({"field2": "value2"}),
            r#"{"field1":["This field is required."]}"#,
        ),
        (
            json!({"field1": "value1"}),
            r#"{"field2":["This field is required."]}"#,
        ),
        (json!({}), both_required),
        (
            json!({"field1": "", "field2": ""}),
            r#"{"field1":["This field may not be blank."],"field2":["This field may not be blank."]}"#,
        ),
        (
            json!({"field1": "  ", "field2": " padded "}),
            r#"{"field1":["This field may not be blank."]}"#,
        ),
        (
            json!({"field1": true, "field2": false}),
            r#"{"field1":["Not a valid string."],"field2":["Not a valid string."]}"#,
        ),
        (
            json!({"field1": {"a": 1}, "field2": [1]}),
            r#"{"field1":["Not a valid string."],"field2":["Not a valid string."]}"#,
        ),
        (
            json!({"field1": null, "field2": null}),
            r#"{"field1":["This field may not be null."],"field2":["This field may not be null."]}"#,
        ),
        (
            json!({"field1": "a".repeat(256), "field2": "b"}),
            r#"{"field1":["Ensure this field has no more than 255 characters."]}"#,
        ),
        (
            json!([{"field1": "a", "field2": "b"}]),
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        ),
    ];
    for (body, expected) in cases {
        create(&server, &token, body)
            .await
            .expect(400, expected)
            .view_headers(COLLECTION_ALLOW);
    }
    server
        .send(server.request("POST", "/api/resource/").bearer_auth(&token))
        .await
        .expect(400, both_required);
    let malformed = server
        .send(
            server
                .request("POST", "/api/resource/")
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(r#"{"field1":"#),
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
                .request("POST", "/api/resource/")
                .bearer_auth(&token)
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await
        .expect(
            415,
            r#"{"detail":"Unsupported media type \"text/plain\" in request."}"#,
        );
    server
        .authed("GET", "/api/resource/", &token, None)
        .await
        .expect(200, "[]");
}

#[tokio::test]
async fn create_cleans_values_like_drf() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    create(
        &server,
        &token,
        json!({"field1": "  a  ", "field2": "\tb\n"}),
    )
    .await
    .expect(201, r#"{"id":1,"field1":"a","field2":"b"}"#);
    create(
        &server,
        &token,
        json!({"field1": "héllo ☃", "field2": "\u{e9}"}),
    )
    .await
    .expect(201, r#"{"id":2,"field1":"héllo ☃","field2":"é"}"#);
    create(&server, &token, json!({"field1": 123, "field2": 4.5}))
        .await
        .expect(201, r#"{"id":3,"field1":"123","field2":"4.5"}"#);
    create(
        &server,
        &token,
        json!({"field1": "a".repeat(255), "field2": "b"}),
    )
    .await;
    assert_eq!(
        server
            .authed("GET", "/api/resource/4/", &token, None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn put_and_patch_validate_after_existence() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    create(&server, &token, json!({"field1": "a", "field2": "b"}))
        .await
        .expect(201, r#"{"id":1,"field1":"a","field2":"b"}"#);
    server
        .authed(
            "PUT",
            "/api/resource/1/",
            &token,
            Some(&json!({"field1": "only1"})),
        )
        .await
        .expect(400, r#"{"field2":["This field is required."]}"#)
        .view_headers(ITEM_ALLOW);
    server
        .authed("PUT", "/api/resource/1/", &token, Some(&json!({})))
        .await
        .expect(
            400,
            r#"{"field1":["This field is required."],"field2":["This field is required."]}"#,
        );
    server
        .authed(
            "PATCH",
            "/api/resource/1/",
            &token,
            Some(&json!({"field2": ""})),
        )
        .await
        .expect(400, r#"{"field2":["This field may not be blank."]}"#);
    server
        .authed("PATCH", "/api/resource/1/", &token, Some(&json!([])))
        .await
        .expect(
            400,
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        );
    for (method, body) in [
        ("GET", None),
        ("PUT", Some(json!({"field1": "a", "field2": "b"}))),
        ("PUT", Some(json!({}))),
        ("PATCH", Some(json!({"field1": "x"}))),
        ("DELETE", None),
    ] {
        for path in [
            "/api/resource/99999/",
            "/api/resource/abc/",
            "/api/resource/-1/",
        ] {
            server
                .authed(method, path, &token, body.as_ref())
                .await
                .expect(404, NOT_FOUND)
                .view_headers(ITEM_ALLOW);
        }
    }
    let malformed_on_missing = server
        .send(
            server
                .request("PUT", "/api/resource/99999/")
                .bearer_auth(&token)
                .header("content-type", "text/plain")
                .body("x"),
        )
        .await;
    malformed_on_missing.expect(404, NOT_FOUND);
    server
        .authed("GET", "/api/resource/1/", &token, None)
        .await
        .expect(200, r#"{"id":1,"field1":"a","field2":"b"}"#);
}

#[tokio::test]
async fn wrong_methods_are_405_after_authentication() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let body = json!({"field1": "a", "field2": "b"});
    server
        .authed("POST", "/api/resource/1/", &token, Some(&body))
        .await
        .expect(405, r#"{"detail":"Method \"POST\" not allowed."}"#)
        .view_headers(ITEM_ALLOW);
    server
        .authed("PUT", "/api/resource/", &token, Some(&body))
        .await
        .expect(405, r#"{"detail":"Method \"PUT\" not allowed."}"#)
        .view_headers(COLLECTION_ALLOW);
    server
        .authed("DELETE", "/api/resource/", &token, None)
        .await
        .expect(405, r#"{"detail":"Method \"DELETE\" not allowed."}"#);
    let options = server
        .authed("OPTIONS", "/api/resource/", &token, None)
        .await;
    assert_eq!(options.status, 200);
    options.view_headers(COLLECTION_ALLOW);
    assert_eq!(
        options.json()["actions"]["POST"]["field1"]["max_length"],
        255
    );
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    create(&server, &token, json!({"field1": "a", "field2": "b"})).await;
    let get = server.authed("GET", "/api/resource/", &token, None).await;
    let head = server.authed("HEAD", "/api/resource/", &token, None).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.text, "");
    assert_eq!(
        head.header("content-length"),
        Some(get.text.len().to_string().as_str())
    );
    head.view_headers(COLLECTION_ALLOW);
}

#[tokio::test]
async fn requests_without_credentials_are_401_before_anything_else() {
    let server = TestServer::start().await;
    let cases = [
        ("GET", "/api/resource/"),
        ("POST", "/api/resource/"),
        ("PUT", "/api/resource/"),
        ("DELETE", "/api/resource/1/"),
        ("PUT", "/api/resource/99999/"),
        ("OPTIONS", "/api/resource/"),
    ];
    for (method, path) in cases {
        let allow = if path == "/api/resource/" {
            COLLECTION_ALLOW
        } else {
            ITEM_ALLOW
        };
        server
            .send(
                server
                    .request(method, path)
                    .header("content-type", "text/plain")
                    .body("not json"),
            )
            .await
            .expect(401, NOT_PROVIDED)
            .view_headers(allow);
    }
}

#[tokio::test]
async fn authorization_headers_are_read_as_simplejwt_reads_them() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    let two_values = r#"{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}"#;
    let cases = [
        ("Token x".to_owned(), NOT_PROVIDED.to_owned()),
        (
            "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk".to_owned(),
            NOT_PROVIDED.to_owned(),
        ),
        (format!("bearer {}", pair.access), NOT_PROVIDED.to_owned()),
        (format!("JWT {}", pair.access), NOT_PROVIDED.to_owned()),
        (String::new(), NOT_PROVIDED.to_owned()),
        (pair.access.clone(), NOT_PROVIDED.to_owned()),
        ("Bearer".to_owned(), two_values.to_owned()),
        ("Bearer a b".to_owned(), two_values.to_owned()),
        (
            "Bearer garbage".to_owned(),
            bearer_refused("Token is invalid"),
        ),
        (
            format!("Bearer {}", pair.refresh),
            bearer_refused("Token has wrong type"),
        ),
    ];
    for (header, body) in cases {
        server
            .send(with_header(
                server.request("GET", "/api/resource/"),
                "authorization",
                &header,
            ))
            .await
            .expect(401, &body)
            .view_headers(COLLECTION_ALLOW);
    }
}

#[tokio::test]
async fn bearer_tokens_are_checked_like_simplejwt() {
    let server = TestServer::start().await;
    let pair = server.login().await;
    let access = server.claims("access", json!("1"));
    let mut no_user = access.clone();
    no_user.as_object_mut().map(|map| map.remove("user_id"));
    let mut no_exp = access.clone();
    no_exp.as_object_mut().map(|map| map.remove("exp"));
    let mut no_jti = access.clone();
    no_jti.as_object_mut().map(|map| map.remove("jti"));
    let mut not_before = access.clone();
    not_before["nbf"] = json!(now() + 30);
    let mut issued_later = access.clone();
    issued_later["iat"] = json!(now() + 30);
    let cases = [
        (sign("other-key", &json!({"alg": "HS256", "typ": "JWT"}), &claims_of(&pair.access)), bearer_refused("Token is invalid")),
        (unsigned(&pair.access), bearer_refused("Token is invalid")),
        (tampered(&pair.access, &json!({"token_type": "access", "exp": now() + 60, "jti": "x", "user_id": "999"})), bearer_refused("Token is invalid")),
        (server.forge(&no_exp), bearer_refused("Token has no 'exp' claim")),
        (server.forge(&no_jti), bearer_refused("Token has no id")),
        (server.forge(&not_before), bearer_refused("Token is invalid")),
        (server.forge(&issued_later), bearer_refused("Token is invalid")),
        (server.forge(&no_user), r#"{"detail":"Token contained no recognizable user identification","code":"token_not_valid"}"#.to_owned()),
        (server.forge(&server.claims("access", json!("999"))), r#"{"detail":"User not found","code":"user_not_found"}"#.to_owned()),
        (server.forge(&server.claims("access", json!("2"))), r#"{"detail":"User is inactive","code":"user_inactive"}"#.to_owned()),
    ];
    for (token, body) in cases {
        server
            .authed("GET", "/api/resource/", &token, None)
            .await
            .expect(401, &body);
    }
    let integer_user = server.forge(&server.claims("access", json!(1)));
    server
        .authed("GET", "/api/resource/", &integer_user, None)
        .await
        .expect(200, "[]");
}
