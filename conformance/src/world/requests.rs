//! Every request a scenario makes: the one a step describes (`Dest`, `Body`), the setup ones
//! (a token pair, a resource, a deleted resource, the cleanup), sending and recording it, and
//! checking the rules that hold for every response. One file both sends and checks, so a request step traces feature line →
//! `steps/<concern>.rs` → here → `report/verdicts.rs`. Each rule is a named check (as
//! schemathesis names its checks); a broken rule is its ID and what it says, as `HTTP-14: …`.

use conformance::{
    http::{self, Request, Response, TransportError},
    profile::{Endpoint, WireNames},
    template::Escape,
};
use serde_json::{Map, Value};

use super::{ApiWorld, Auth, NO_RESOURCES, Resource, fields, skip};

/// Named endpoints and other things a request can go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// `the obtain endpoint` and friends: a path of the profile.
    Endpoint(Endpoint),
    /// `the collection`.
    Collection,
    /// `my resource` (created on first use).
    MyResource,
    /// `a deleted resource` (created and deleted on first use).
    DeletedResource,
    /// `the path "..."`, relative to the base URL.
    Path(String),
}

/// How a request body is described in a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body, no Content-Type.
    None,
    /// `the JSON '...'`.
    Json(String),
    /// `the form '...'` (urlencoded).
    Form(String),
    /// `the multipart form '...'` (`k=v&k=v`, sent as multipart/form-data).
    Multipart(String),
    /// `an empty body typed "..."`.
    EmptyTyped(String),
    /// `the body '...' typed "..."`.
    Raw(String, String),
    /// `invalid UTF-8 typed "..."`.
    InvalidUtf8(String),
    /// `JSON nested N levels deep`.
    Nested(usize),
    /// Bytes built by a step, sent as they are with this Content-Type.
    Literal(String, Vec<u8>),
}

impl ApiWorld {
    /// The path of a named endpoint, or a skip if the profile has none.
    pub fn endpoint_path(&self, endpoint: Endpoint) -> String {
        let path = self.t.profile.endpoint(endpoint).map(str::to_string);
        path.unwrap_or_else(|| {
            let probed = self.t.profile.absent.iter().find(|(e, _)| *e == endpoint);
            match probed {
                Some((_, why)) => skip(why.clone()),
                None => skip(format!("the profile has no {endpoint} endpoint")),
            }
        })
    }

    /// Sends a request and records it; fails on a transport error or a broken invariant.
    pub async fn send(
        &mut self,
        method: &str,
        dest: &Dest,
        body: &Body,
        accept: Option<&str>,
    ) -> Response {
        let url = self.url_of(dest).await;
        let mut headers = Vec::new();
        if let Auth::Header(h) = &self.auth {
            headers.push((self.t.profile.wire.auth_header_name.clone(), h.clone()));
        }
        for (name, value) in &self.extra_headers {
            headers.push((name.clone(), self.expand(value, Escape::Plain)));
        }
        if let Some(a) = accept {
            headers.push(("Accept".to_string(), a.to_string()));
        }
        let (content_type, bytes) = self.body_bytes(body);
        if let Some(ct) = content_type {
            headers.push(("Content-Type".to_string(), ct));
        }
        let request = Request {
            method: method.to_string(),
            url,
            headers,
            body: bytes,
        };
        self.exchange(request, !matches!(dest, Dest::Path(_))).await
    }

    /// Sends a prepared request, records it, and checks the invariants of every response.
    pub async fn exchange(&mut self, request: Request, profile_endpoint: bool) -> Response {
        let ex = self.t.client.send(request).await;
        let outcome = ex.outcome.clone();
        self.history.push(ex);
        match outcome {
            Ok(resp) => {
                let req = &self.history[self.history.len() - 1].request;
                if let Err(rule) = every_response(
                    req,
                    &resp,
                    profile_endpoint,
                    &self.t.account.password,
                    &self.t.profile.wire,
                ) {
                    self.fail(format!("{INVARIANT}{rule}"));
                }
                resp
            }
            Err(e @ TransportError::Timeout(_)) => {
                self.fail(format!("{INVARIANT}HTTP-14: no input produces a hang: {e}"))
            }
            Err(e @ TransportError::Dropped(_)) => self.fail(format!(
                "{INVARIANT}HTTP-14: no input produces a dropped connection: {e}"
            )),
            Err(e) => self.fail(format!("the target could not be reached: {e}")),
        }
    }

    /// A JSON POST to a named endpoint, without the scenario's Authorization header.
    pub async fn post_json(&mut self, endpoint: Endpoint, body: Value) -> Response {
        let url = self.t.url(&self.endpoint_path(endpoint));
        self.exchange(Request::post(url).json(&body), true).await
    }

    /// A request authenticated with a given access token, whatever the scenario's header.
    pub async fn with_bearer(
        &mut self,
        method: &str,
        url: String,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut request = Request::new(method, url).bearer(&self.t.profile.wire, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.exchange(request, true).await
    }

    fn body_bytes(&self, body: &Body) -> (Option<String>, Vec<u8>) {
        match body {
            Body::None => (None, Vec::new()),
            Body::Json(text) => (
                Some("application/json".into()),
                self.expand(text, Escape::Json).into_bytes(),
            ),
            Body::Form(text) => (
                Some("application/x-www-form-urlencoded".into()),
                self.expand(text, Escape::Form).into_bytes(),
            ),
            Body::Multipart(text) => {
                let boundary = format!("jwt-conformance-{}", uuid::Uuid::new_v4().simple());
                let mut out = Vec::new();
                for pair in text.split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    // The name too: the login field is `${login_field}`.
                    let k = self.expand(k, Escape::Plain);
                    let v = self.expand(v, Escape::Plain);
                    out.extend_from_slice(
                        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
                    );
                }
                out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
                (
                    Some(format!("multipart/form-data; boundary={boundary}")),
                    out,
                )
            }
            Body::EmptyTyped(ct) => (Some(ct.clone()), Vec::new()),
            Body::Raw(text, ct) => (
                Some(ct.clone()),
                self.expand(text, Escape::Plain).into_bytes(),
            ),
            Body::InvalidUtf8(ct) => {
                let mut b = format!("{{\"{}\": \"", self.t.profile.login_field).into_bytes();
                b.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
                b.extend_from_slice(b"\", \"password\": \"x\"}");
                (Some(ct.clone()), b)
            }
            Body::Literal(ct, bytes) => (Some(ct.clone()), bytes.clone()),
            Body::Nested(depth) => {
                if let Some(limit) = self.t.profile.body_limit.filter(|l| *l < 2 * depth) {
                    skip(format!(
                        "the body ({} bytes) is over the declared body limit ({limit} bytes): a 413 would be right",
                        2 * depth
                    ));
                }
                let mut b = "[".repeat(*depth);
                b.push_str(&"]".repeat(*depth));
                (Some("application/json".into()), b.into_bytes())
            }
        }
    }

    async fn url_of(&mut self, dest: &Dest) -> String {
        match dest {
            Dest::Endpoint(endpoint) => self.t.url(&self.endpoint_path(*endpoint)),
            Dest::Collection => self.t.url(&self.collection_path()),
            Dest::MyResource => self.my_resource().await.url,
            Dest::DeletedResource => self.deleted_resource().await,
            Dest::Path(p) => self.t.url(&self.expand(p, Escape::Plain)),
        }
    }

    /// The collection's path, or a skip.
    pub fn collection_path(&self) -> String {
        self.t
            .profile
            .endpoints
            .resources
            .clone()
            .unwrap_or_else(|| skip(NO_RESOURCES))
    }
}

// What scenarios need before their own requests: a token pair, a resource, a deleted
// resource, and deleting what they created when they end. Setup requests go through the same
// send and checks as the steps' own.

impl ApiWorld {
    /// Logs in with the account; fails (this is setup) unless a token pair comes back.
    pub async fn obtain_pair(&mut self, access: &str, refresh: &str) {
        let body = self.t.account.login_body(&self.t.profile.login_field);
        let resp = self.post_json(Endpoint::Obtain, body).await;
        let json = resp.json().unwrap_or(Value::Null);
        let pair = (
            json.get("access").and_then(Value::as_str),
            json.get("refresh").and_then(Value::as_str),
        );
        match (resp.status, pair) {
            (200, (Some(a), Some(r))) => {
                let (a, r) = (a.to_string(), r.to_string());
                self.keep_token(access, &a);
                self.keep_token(refresh, &r);
            }
            _ => self.fail("setup failed: logging in with the account did not give a token pair (200 {\"access\", \"refresh\"})"),
        }
    }

    /// The scenario's access token, obtaining a pair first if it has none.
    pub async fn access(&mut self) -> String {
        if !self.tokens.contains_key("access") {
            self.obtain_pair("access", "refresh").await;
        }
        self.tokens
            .get("access")
            .map(|t| t.value.clone())
            .expect("obtain_pair keeps ${access} or fails the step")
    }

    /// The item URL for an id.
    pub fn item_url(&self, id: &Value) -> String {
        let id = match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.t.url(&format!("{}{}/", self.collection_path(), id))
    }

    /// Creates a resource with `fields` (setup: anything but a 201 with an id fails).
    pub async fn create(&mut self, fields: Map<String, Value>) -> Resource {
        let url = self.t.url(&self.collection_path());
        let token = self.access().await;
        let resp = self
            .with_bearer("POST", url, &token, Some(Value::Object(fields.clone())))
            .await;
        let id = resp
            .json()
            .and_then(|j| j.get("id").cloned())
            .filter(|id| !id.is_null());
        match (resp.status, id) {
            (201, Some(id)) => {
                let url = self.item_url(&id);
                self.cleanup.push(url.clone());
                Resource { id, url, fields }
            }
            _ => self.fail("setup failed: creating a resource did not answer 201 with an id"),
        }
    }

    /// The scenario's resource, created as `{"field1": "one", "field2": "two"}` on first use.
    pub async fn my_resource(&mut self) -> Resource {
        if let Some(r) = &self.mine {
            return r.clone();
        }
        let r = self
            .create(fields(&[("field1", "one"), ("field2", "two")]))
            .await;
        self.mine = Some(r.clone());
        r
    }

    /// The URL of a resource that existed and was deleted: an id the server surely lacks.
    pub async fn deleted_resource(&mut self) -> String {
        if let Some(u) = &self.deleted {
            return u.clone();
        }
        let r = self
            .create(fields(&[("field1", "doomed"), ("field2", "doomed")]))
            .await;
        let token = self.access().await;
        let resp = self
            .with_bearer("DELETE", r.url.clone(), &token, None)
            .await;
        if resp.status != 204 {
            self.fail("setup failed: deleting a freshly created resource did not answer 204");
        }
        self.cleanup.retain(|u| *u != r.url);
        self.deleted = Some(r.url.clone());
        r.url
    }

    /// Deletes what the scenario created; failures are ignored (the verdict is already in).
    pub async fn clean_up(&mut self) {
        if self.cleanup.is_empty() {
            return;
        }
        let token = self.access().await;
        let urls = std::mem::take(&mut self.cleanup);
        let sends = urls.iter().map(|url| {
            let request = Request::new("DELETE", url.clone()).bearer(&self.t.profile.wire, &token);
            self.t.client.send(request)
        });
        futures_util::future::join_all(sends).await;
    }
}

/// How a failure of a check that holds for every response begins; the rule ID follows.
const INVARIANT: &str = "the response breaks a rule that holds for every response: ";

/// The rule a response broke: its ID and what it says.
type Broken = &'static str;

/// The rules [`every_response`] checks (the features' test counts them as checked).
#[cfg(test)]
pub const EVERY_RESPONSE: &[&str] = &["HTTP-8", "HTTP-12", "HTTP-13", "HTTP-14", "AUTH-5", "USR-2"];

/// HTTP-14: no input, however malformed, produces a 5xx.
fn no_server_error(resp: &Response) -> Result<(), Broken> {
    match http::is_server_error(resp.status) {
        true => Err("HTTP-14: no input, however malformed, produces a 5xx"),
        false => Ok(()),
    }
}

/// The exact challenge of every 401 (AUTH-5): `Bearer realm="api"`, in the profile's scheme
/// (simplejwt challenges with the first of its `AUTH_HEADER_TYPES`).
pub fn challenge(wire: &WireNames) -> String {
    format!("{} realm=\"api\"", wire.scheme())
}

/// Whether a response is a 401 with exactly the profile's Bearer challenge.
pub fn is_bearer_challenge(resp: &Response, wire: &WireNames) -> bool {
    resp.status == 401
        && resp.header("www-authenticate").map(str::trim) == Some(challenge(wire).as_str())
}

/// AUTH-5: every 401 carries exactly `WWW-Authenticate: Bearer realm="api"`.
fn unauthorized_has_bearer_challenge(resp: &Response, wire: &WireNames) -> Result<(), Broken> {
    match resp.status == 401 && !is_bearer_challenge(resp, wire) {
        true => Err("AUTH-5: every 401 carries exactly WWW-Authenticate: Bearer realm=\"api\""),
        false => Ok(()),
    }
}

/// HTTP-8: a 405 carries an Allow header.
fn method_not_allowed_has_allow(resp: &Response) -> Result<(), Broken> {
    match resp.status == 405 && resp.header("allow").is_none() {
        true => Err("HTTP-8: a 405 carries an Allow header listing the allowed methods"),
        false => Ok(()),
    }
}

/// HTTP-13: a 204 has no body, and its head declares none.
fn no_content_has_no_body(resp: &Response) -> Result<(), Broken> {
    // HTTP clients drop whatever follows a 204's head, so the head is what gives a body away.
    let declares_body = resp
        .header("content-length")
        .is_some_and(|n| n.trim() != "0")
        || resp.header("transfer-encoding").is_some();
    match resp.status == 204 && (!resp.body.is_empty() || declares_body) {
        true => Err(
            "HTTP-13: a 204 response has an empty body (no Content-Length, no Transfer-Encoding)",
        ),
        false => Ok(()),
    }
}

/// HTTP-12: a body (but a HEAD's) is typed `application/json`.
fn body_is_json_typed(req: &Request, resp: &Response) -> Result<(), Broken> {
    let json_typed = resp.header("content-type").is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    match req.method != "HEAD" && !resp.body.is_empty() && !json_typed {
        true => Err("HTTP-12: a response with a body is Content-Type: application/json"),
        false => Ok(()),
    }
}

/// Prefixes of the password-hash encodings in common use (Django's, argon2, bcrypt, crypt).
const HASH_MARKERS: &[&str] = &[
    "pbkdf2_sha256$",
    "pbkdf2_sha1$",
    "argon2$",
    "$argon2",
    "bcrypt$",
    "bcrypt_sha256$",
    "scrypt$",
    "$2a$",
    "$2b$",
    "$2y$",
    "$6$",
];

/// USR-2: no response contains the account's password or a password hash.
fn no_password_or_hash(resp: &Response, password: &str) -> Result<(), Broken> {
    let body = String::from_utf8_lossy(&resp.body);
    let leaks = (password.len() >= 4 && body.contains(password))
        || HASH_MARKERS.iter().any(|m| body.contains(m));
    match leaks {
        true => Err("USR-2: no response contains a password or a password hash"),
        false => Ok(()),
    }
}

/// Every rule of [`EVERY_RESPONSE`], in order; `profile_endpoint` is false for a path the
/// feature names itself, whose body need not be JSON.
fn every_response(
    req: &Request,
    resp: &Response,
    profile_endpoint: bool,
    password: &str,
    wire: &WireNames,
) -> Result<(), Broken> {
    no_server_error(resp)?;
    unauthorized_has_bearer_challenge(resp, wire)?;
    method_not_allowed_has_allow(resp)?;
    no_content_has_no_body(resp)?;
    if profile_endpoint {
        body_is_json_typed(req, resp)?;
    }
    no_password_or_hash(resp, password)
}
