//! Shared helpers of the end-to-end tests: start a server on 127.0.0.1:0, send requests,
//! compare replies exactly, forge tokens with the test key.
#![allow(dead_code)]

pub mod process;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reference_server::{Config, RunningServer};
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};
use sha2::Sha256;

/// A running server and a client pointed at it; the server stops when this is dropped.
pub struct TestServer {
    pub server: RunningServer,
    pub config: Config,
    pub client: reqwest::Client,
}

/// A reply, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl TestServer {
    /// A server with [`Config::for_tests`].
    pub async fn start() -> TestServer {
        TestServer::with(Config::for_tests()).await
    }

    pub async fn with(config: Config) -> TestServer {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let server = match reference_server::spawn(config.clone()).await {
            Ok(server) => server,
            Err(err) => panic!("server did not start: {err}"),
        };
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
        {
            Ok(client) => client,
            Err(err) => panic!("client: {err}"),
        };
        TestServer {
            server,
            config,
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    pub fn key(&self) -> String {
        self.config.signing_key.clone().unwrap_or_default()
    }

    /// Sends a request and reads the whole reply.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => panic!("request failed: {err}"),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = match response.text().await {
            Ok(text) => text,
            Err(err) => panic!("reading the body failed: {err}"),
        };
        Reply {
            status,
            headers,
            text,
        }
    }

    pub fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        self.client.request(method, self.url(path))
    }

    pub async fn call(&self, method: &str, path: &str) -> Reply {
        self.send(self.request(method, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request("POST", path).json(body)).await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        self.send(form(self.request("POST", path), pairs)).await
    }

    /// `method path` with `Authorization: Bearer token`, and a JSON body when given.
    pub async fn authed(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.request(method, path).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    /// The classic login of the active demo account.
    pub async fn login(&self) -> Pair {
        let reply = self
            .post_json(
                "/gettoken/",
                &json!({"username": "demo", "password": "demo-password"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        Pair {
            access: body["access"].as_str().unwrap_or_default().to_owned(),
            refresh: body["refresh"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// A token signed with this server's key.
    pub fn forge(&self, claims: &Value) -> String {
        sign(&self.key(), &json!({"alg": "HS256", "typ": "JWT"}), claims)
    }

    /// The claims a real token would have, for `user_id` and `token_type`.
    pub fn claims(&self, token_type: &str, user_id: Value) -> Value {
        let now = now();
        json!({"token_type": token_type, "exp": now + 60, "iat": now, "jti": uuid_like(), "user_id": user_id})
    }
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub access: String,
    pub refresh: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Exact status and exact (compact) body text.
    pub fn expect(&self, status: u16, body: &str) -> &Reply {
        assert_eq!(
            (self.status, self.text.as_str()),
            (status, body),
            "headers: {:?}",
            self.headers
        );
        if !body.is_empty() {
            assert_eq!(self.header("content-type"), Some("application/json"));
        }
        let challenge = self.header("www-authenticate");
        if status == 401 {
            assert_eq!(challenge, Some("Bearer realm=\"api\""));
        } else {
            assert_eq!(challenge, None);
        }
        self
    }

    /// The headers of a DRF view.
    pub fn view_headers(&self, allow: &str) -> &Reply {
        assert_eq!(self.header("allow"), Some(allow));
        assert_eq!(self.header("vary"), Some("Accept"));
        self
    }

    /// The value of `key` in a JSON body, as a string.
    pub fn field(&self, key: &str) -> String {
        self.json()[key].as_str().unwrap_or_default().to_owned()
    }
}

pub const TOKEN_ALLOW: &str = "POST, OPTIONS";
pub const COLLECTION_ALLOW: &str = "GET, POST, HEAD, OPTIONS";
pub const ITEM_ALLOW: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
pub const USERS_ALLOW: &str = "GET, HEAD, OPTIONS";

pub const NOT_PROVIDED: &str = r#"{"detail":"Authentication credentials were not provided."}"#;

/// The 401 body of a protected route for a refused access token.
pub fn bearer_refused(message: &str) -> String {
    format!(
        r#"{{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[{{"token_class":"AccessToken","token_type":"access","message":"{message}"}}]}}"#
    )
}

/// The 401 body of the simplejwt token endpoints for a refused token.
pub fn token_not_valid(message: &str) -> String {
    format!(r#"{{"detail":"{message}","code":"token_not_valid"}}"#)
}

pub fn form(request: reqwest::RequestBuilder, pairs: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    request
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

pub fn multipart(
    request: reqwest::RequestBuilder,
    pairs: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut body = String::new();
    for (name, value) in pairs {
        body.push_str(&format!(
            "--BOUNDARY\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str("--BOUNDARY--\r\n");
    request
        .header("content-type", "multipart/form-data; boundary=BOUNDARY")
        .body(body)
}

pub fn with_header(
    request: reqwest::RequestBuilder,
    name: &'static str,
    value: &str,
) -> reqwest::RequestBuilder {
    match HeaderValue::from_str(value) {
        Ok(value) => request.header(HeaderName::from_static(name), value),
        Err(err) => panic!("header {name}: {err}"),
    }
}

/// An HS256 JWS over `header` and `claims`.
pub fn sign(key: &str, header: &Value, claims: &Value) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        Err(err) => panic!("{err}"),
    };
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// The payload of a token, unverified.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// The header of a token, unverified, as text.
pub fn header_text(token: &str) -> String {
    let header = token.split('.').next().unwrap_or_default();
    String::from_utf8(URL_SAFE_NO_PAD.decode(header).unwrap_or_default()).unwrap_or_default()
}

/// A token with its payload replaced and its signature kept.
pub fn tampered(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts.first().copied().unwrap_or_default(),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts.get(2).copied().unwrap_or_default()
    )
}

/// The same claims with `alg: none` and no signature.
pub fn unsigned(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap_or_default();
    format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    )
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Sleeps until the wall clock has reached `exp` (whole seconds) plus a margin.
pub async fn sleep_past(exp: i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let target = Duration::from_secs(exp.max(0) as u64) + Duration::from_millis(50);
    if let Some(wait) = target.checked_sub(now) {
        assert!(wait < Duration::from_secs(10), "refusing to sleep {wait:?}");
        tokio::time::sleep(wait).await;
    }
}

/// The `exp` claim of a token.
pub fn exp_of(token: &str) -> i64 {
    claims_of(token)["exp"].as_i64().unwrap_or_default()
}
