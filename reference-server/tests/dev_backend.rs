//! The reference server as a development backend: CORS for listed browser origins
//! (`--cors-origin`), the health check (`GET /healthz`), and JSON log lines
//! (`--log-format json`). None of these is a rule of the contract.

mod common;

use std::time::Duration;

use common::process::ChildServer;
use common::*;
use reference_server::Config;
use serde_json::{Value, json};

const FRONTEND: &str = "http://127.0.0.1:5500";

async fn with_cors() -> TestServer {
    let mut config = Config::for_tests();
    config.cors_origins = vec![FRONTEND.to_owned(), "https://app.example.test".to_owned()];
    TestServer::with(config).await
}

fn preflight(
    server: &TestServer,
    path: &str,
    origin: &str,
    method: &str,
) -> reqwest::RequestBuilder {
    let request = with_header(server.request("OPTIONS", path), "origin", origin);
    let request = with_header(request, "access-control-request-method", method);
    with_header(
        request,
        "access-control-request-headers",
        "authorization,content-type",
    )
}

fn cors_headers(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn a_preflight_from_a_listed_origin_names_the_methods_of_the_path() {
    let server = with_cors().await;
    for (path, method, allow) in [
        ("/gettoken/", "POST", TOKEN_ALLOW),
        ("/api/v1/token/refresh/", "POST", TOKEN_ALLOW),
        ("/api/resource/", "GET", COLLECTION_ALLOW),
        ("/api/resource/7/", "DELETE", ITEM_ALLOW),
        ("/api/v1/users/", "GET", USERS_ALLOW),
    ] {
        let reply = server
            .send(preflight(&server, path, FRONTEND, method))
            .await;
        assert_eq!(reply.status, 204, "{path}: {}", reply.text);
        assert_eq!(reply.text, "", "{path}");
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some(FRONTEND),
            "{path}"
        );
        assert_eq!(
            reply.header("access-control-allow-methods"),
            Some(allow),
            "{path}"
        );
        let headers = reply
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{path}: {headers}"
        );
        let max_age: u64 = reply
            .header("access-control-max-age")
            .and_then(|age| age.parse().ok())
            .unwrap_or_default();
        assert!(max_age > 0, "{path}");
        assert!(
            reply.header("vary").unwrap_or_default().contains("Origin"),
            "{path}: {:?}",
            reply.headers
        );
        assert_eq!(reply.header("access-control-allow-credentials"), None);
    }
    // The second listed origin is echoed as itself.
    let reply = server
        .send(preflight(
            &server,
            "/gettoken/",
            "https://app.example.test",
            "POST",
        ))
        .await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example.test")
    );
}

#[tokio::test]
async fn responses_to_a_listed_origin_can_be_read_by_it() {
    let server = with_cors().await;
    let login = server
        .send(
            with_header(server.request("POST", "/gettoken/"), "origin", FRONTEND)
                .json(&json!({"username": "demo", "password": "demo-password"})),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.text);
    assert_eq!(login.header("access-control-allow-origin"), Some(FRONTEND));
    assert_eq!(login.header("vary"), Some("Accept, Origin"));
    assert_eq!(login.header("allow"), Some(TOKEN_ALLOW));
    let access = login.field("access");
    let listed = server
        .send(
            with_header(server.request("GET", "/api/resource/"), "origin", FRONTEND)
                .bearer_auth(&access),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.header("access-control-allow-origin"), Some(FRONTEND));
    // A refusal too, with its challenge readable by the frontend.
    let refused = server
        .send(with_header(
            server.request("GET", "/api/resource/"),
            "origin",
            FRONTEND,
        ))
        .await;
    refused.expect(401, NOT_PROVIDED);
    assert_eq!(
        refused.header("access-control-allow-origin"),
        Some(FRONTEND)
    );
    let exposed = refused
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("www-authenticate"), "{exposed}");
}

#[tokio::test]
async fn an_unlisted_origin_gets_no_cors_header_and_today_s_answers() {
    let server = with_cors().await;
    let plain = TestServer::start().await;
    for origin in ["http://127.0.0.1:5501", "http://evil.test", "null"] {
        let reply = server
            .send(preflight(&server, "/gettoken/", origin, "POST"))
            .await;
        assert_eq!(cors_headers(&reply), Vec::<String>::new(), "{origin}");
        // Not a preflight it answers: DRF's metadata, as for any OPTIONS.
        let today = plain
            .send(preflight(&plain, "/gettoken/", origin, "POST"))
            .await;
        assert_eq!(
            (reply.status, &reply.text),
            (today.status, &today.text),
            "{origin}"
        );
        assert_eq!(reply.header("allow"), Some(TOKEN_ALLOW));
        let login = server
            .send(
                with_header(server.request("POST", "/gettoken/"), "origin", origin)
                    .json(&json!({"username": "demo", "password": "demo-password"})),
            )
            .await;
        assert_eq!(login.status, 200, "{}", login.text);
        assert_eq!(cors_headers(&login), Vec::<String>::new(), "{origin}");
    }
}

#[tokio::test]
async fn requests_without_origin_are_answered_exactly_as_without_cors() {
    let server = with_cors().await;
    let plain = TestServer::start().await;
    for (method, path) in [
        ("OPTIONS", "/gettoken/"),
        ("OPTIONS", "/api/v1/token/"),
        ("GET", "/gettoken/"),
        ("GET", "/api/resource/"),
        ("OPTIONS", "/nowhere/"),
    ] {
        let with = server.call(method, path).await;
        let without = plain.call(method, path).await;
        assert_eq!(
            (with.status, &with.text),
            (without.status, &without.text),
            "{method} {path}"
        );
        let mut names: Vec<_> = with.headers.keys().filter(|n| *n != "date").collect();
        let mut plain_names: Vec<_> = without.headers.keys().filter(|n| *n != "date").collect();
        names.sort_by_key(|n| n.as_str().to_owned());
        plain_names.sort_by_key(|n| n.as_str().to_owned());
        assert_eq!(names, plain_names, "{method} {path}");
        for name in names {
            assert_eq!(with.headers.get(name), without.headers.get(name), "{name}");
        }
    }
    // The contract's Allow on a token endpoint, with CORS on.
    let options = server.call("OPTIONS", "/gettoken/").await;
    assert_eq!(options.status, 200, "{}", options.text);
    options.view_headers(TOKEN_ALLOW);
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let server = TestServer::start().await;
    let reply = server
        .send(preflight(&server, "/gettoken/", FRONTEND, "POST"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(cors_headers(&reply), Vec::<String>::new());
    assert_eq!(reply.header("vary"), Some("Accept"));
}

#[tokio::test]
async fn the_health_check_answers_outside_the_api() {
    let server = TestServer::start().await;
    let reply = server.call("GET", "/healthz").await;
    reply.expect(200, r#"{"status":"ok"}"#);
    let head = server.call("HEAD", "/healthz").await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    let post = server.call("POST", "/healthz").await;
    post.expect(405, r#"{"detail":"Method \"POST\" not allowed."}"#);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
    // No trailing-slash form, and nothing under it.
    server
        .call("GET", "/healthz/")
        .await
        .expect(404, r#"{"detail":"Not found."}"#);
    // A frontend on a listed origin may probe it too.
    let cors = with_cors().await;
    let probed = cors
        .send(with_header(
            cors.request("GET", "/healthz"),
            "origin",
            FRONTEND,
        ))
        .await;
    assert_eq!(probed.status, 200);
    assert_eq!(probed.header("access-control-allow-origin"), Some(FRONTEND));
}

/// Parses every line of the child's log as JSON, failing on any that is not an object.
fn json_lines(child: &ChildServer) -> Vec<Value> {
    child
        .log()
        .iter()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(value) if value.is_object() => value,
            _ => panic!("not a JSON object: {line:?}"),
        })
        .collect()
}

#[test]
fn json_logs_are_one_object_per_line_and_carry_no_token() {
    let child = ChildServer::start(&["--log-format", "json", "--cors-origin", FRONTEND]);
    let base = child.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"));
    let token = runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{base}/gettoken/"))
            .json(&json!({"username": "alice", "password": "alice-pass-1"}))
            .send()
            .await
            .unwrap_or_else(|err| panic!("login: {err}"));
        let pair: Value = login.json().await.unwrap_or_default();
        let access = pair["access"].as_str().unwrap_or_default().to_owned();
        assert!(!access.is_empty(), "{pair}");
        // A token in the query string and in the header: neither may reach the log.
        let _ = client
            .get(format!("{base}/api/resource/?token={access}"))
            .bearer_auth(&access)
            .send()
            .await;
        let _ = client.get(format!("{base}/healthz")).send().await;
        access
    });
    // Wait for the access line of the last request (DEBUG: the health check).
    assert!(
        child
            .wait_for_line("\"path\":\"/healthz\"", Duration::from_secs(10))
            .is_some(),
        "{:?}",
        child.log()
    );
    let lines = json_lines(&child);
    let listening = lines
        .iter()
        .find(|line| {
            line["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("listening on http://"))
        })
        .unwrap_or_else(|| panic!("no listening line: {lines:?}"));
    assert_eq!(listening["level"], "INFO");
    let access_line = |path: &str| {
        lines
            .iter()
            .find(|line| line["target"] == "reference_server::access" && line["path"] == path)
            .unwrap_or_else(|| panic!("no access line for {path}: {lines:?}"))
            .clone()
    };
    let login = access_line("/gettoken/");
    assert_eq!(login["method"], "POST");
    assert_eq!(login["status"], 200);
    assert!(login["latency_us"].is_u64(), "{login}");
    assert_eq!(access_line("/api/resource/")["status"], 200);
    // Health checks are not worth an INFO line each: an orchestrator sends them forever.
    assert_eq!(access_line("/healthz")["level"], "DEBUG");
    let text = child.log().join("\n");
    let signature = token.rsplit('.').next().unwrap_or_default();
    assert!(
        !signature.is_empty() && !text.contains(signature),
        "a token reached the log"
    );
    assert!(
        !text.contains(common::process::CHILD_KEY),
        "the key reached the log"
    );
}

#[test]
fn text_logs_keep_health_checks_below_info() {
    let child = ChildServer::start(&[]);
    let base = child.base_url();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("runtime: {err}"));
    runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::new();
        for path in ["/healthz", "/gettoken/"] {
            let _ = client.get(format!("{base}{path}")).send().await;
        }
    });
    let health = child
        .wait_for_line("path=/healthz", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no health line: {:?}", child.log()));
    assert!(health.contains(" DEBUG "), "{health}");
    let other = child
        .wait_for_line("path=/gettoken/", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no access line: {:?}", child.log()));
    assert!(other.contains(" INFO "), "{other}");
}
