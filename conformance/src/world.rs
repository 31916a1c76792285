//! The per-scenario state (`ApiWorld`) and the operations steps are built from: sending a
//! request to a named target, resolving `${...}` placeholders, remembering tokens and the
//! resource a scenario works on, and failing or skipping with a full account of why.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use conformance::{
    checks,
    http::{Exchange, RawConnection, RawResponse, Request, Response, TransportError},
    jwt::{self, DeriveError, Forge},
    profile::Endpoint,
    target::Target,
    template::{self, Escape, Unresolved},
};
use serde_json::{Map, Value, json};

/// Panic payload that ends a scenario as skipped, with a reason.
#[derive(Debug)]
pub struct Skip(pub String);

/// Ends the scenario as skipped: it cannot run against this target or with these inputs.
pub fn skip(reason: impl Into<String>) -> ! {
    std::panic::panic_any(Skip(reason.into()))
}

tokio::task_local! {
    /// The target of the run in progress, for the worlds it creates: cucumber builds a world
    /// with no argument, so the runner sets it around the run (`TARGET.scope(...)`).
    pub static TARGET: Arc<Target>;
}

/// A token the scenario holds, and when it arrived (to estimate the server's clock).
#[derive(Debug, Clone)]
pub struct Token {
    /// The compact JWS.
    pub value: String,
    /// Local time of receipt.
    pub received: SystemTime,
}

/// The `Authorization` header a scenario sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No header.
    None,
    /// This header value (possibly empty).
    Header(String),
}

/// The resource a scenario created, as the client last acknowledged it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The id the server assigned (a number or a string).
    pub id: Value,
    /// Absolute URL of the item.
    pub url: String,
    /// Field values other than `id`, as last written and acknowledged.
    pub fields: Map<String, Value>,
}

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

/// One scenario's state.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct ApiWorld {
    /// The run's target.
    pub t: Arc<Target>,
    /// Tokens by name (`access`, `refresh`, `new_access`, ...).
    pub tokens: BTreeMap<String, Token>,
    /// The Authorization header to send.
    pub auth: Auth,
    /// Every exchange so far, oldest first.
    pub history: Vec<Exchange>,
    /// The resource this scenario works on.
    pub mine: Option<Resource>,
    /// URL of a resource this scenario created and deleted.
    pub deleted: Option<String>,
    /// Item URLs to delete when the scenario ends.
    pub cleanup: Vec<String>,
    /// Resources of the concurrency scenarios: what each create made (if anything), and the
    /// status of the last write to it.
    pub batch: Vec<(Option<Resource>, u16)>,
    /// The raw connection of the last raw probe, still open.
    pub raw: Option<RawConnection>,
    /// The last raw probe's answer.
    pub raw_answer: Option<Result<RawResponse, TransportError>>,
    /// Observations for the report (`@info`).
    pub notes: Vec<String>,
    /// Tokens whose expiry the scenario waited for on purpose.
    pub awaited: Vec<String>,
    /// Header fields sent with every request besides Authorization (`${...}` expanded).
    pub extra_headers: Vec<(String, String)>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl ApiWorld {
    fn new() -> Self {
        ApiWorld {
            t: TARGET.with(Arc::clone),
            tokens: BTreeMap::new(),
            auth: Auth::None,
            history: Vec::new(),
            mine: None,
            deleted: None,
            cleanup: Vec::new(),
            batch: Vec::new(),
            raw: None,
            raw_answer: None,
            notes: Vec::new(),
            awaited: Vec::new(),
            extra_headers: Vec::new(),
        }
    }

    // ----- failing -----------------------------------------------------------------------

    /// Fails the step: `what` says what was expected and found; the last exchange follows.
    ///
    /// If a token the scenario meant to be valid had already expired when the last request
    /// went out (a slow target, short lifetimes), the scenario could not run as written: it is
    /// skipped with that reason rather than failed.
    pub fn fail(&self, what: impl AsRef<str>) -> ! {
        if let Some(why) = self.expired_in_flight() {
            skip(why);
        }
        let mut msg = self.t.redactor.apply(what.as_ref());
        if let Some(ex) = self.history.last() {
            msg.push_str("\n\n");
            msg.push_str(&ex.render(&self.t.redactor));
        }
        panic!("{msg}")
    }

    fn expired_in_flight(&self) -> Option<String> {
        let ex = self.history.last()?;
        let mut sent_text = String::from_utf8_lossy(&ex.request.body).into_owned();
        for (_, v) in &ex.request.headers {
            sent_text.push(' ');
            sent_text.push_str(v);
        }
        // A token dying no later than one the scenario waited for was meant to be dead.
        let exp = |t: &Token| {
            jwt::decode(&t.value)
                .ok()
                .and_then(|d| d.claims.get("exp")?.as_i64())
        };
        let awaited_exp = self
            .awaited
            .iter()
            .filter_map(|n| self.tokens.get(n))
            .filter_map(exp)
            .max();
        self.tokens.iter().find_map(|(name, token)| {
            if self.awaited.contains(name) || !sent_text.contains(&token.value) {
                return None;
            }
            if awaited_exp.is_some_and(|awaited| exp(token).is_none_or(|e| e <= awaited)) {
                return None;
            }
            let lifetime = jwt::lifetime(&token.value)?;
            expired_by(token.received, lifetime, ex.received).then(|| {
                format!(
                    "${{{name}}} expired while the scenario ran (it lives {} s; the target took {:.1} s to get this far): \
                     give the target longer token lifetimes, or lower --concurrency",
                    lifetime.as_secs(),
                    ex.received.duration_since(token.received).unwrap_or_default().as_secs_f64()
                )
            })
        })
    }

    /// The last response, or a failure if there is none.
    pub fn last(&self) -> &Response {
        match self.history.last().map(Exchange::response) {
            Some(Ok(r)) => r,
            Some(Err(e)) => self.fail(format!("no response to check: {e}")),
            None => self.fail("no request has been sent in this scenario yet"),
        }
    }

    /// The last response's body as JSON, or a failure.
    pub fn last_json(&self) -> Value {
        let r = self.last();
        r.json().unwrap_or_else(|| {
            self.fail(format!(
                "expected a JSON body, got {} bytes that are not JSON",
                r.body.len()
            ))
        })
    }

    // ----- placeholders ------------------------------------------------------------------

    /// Expands `${...}` in feature text, skipping or failing as the placeholder demands.
    pub fn expand(&self, text: &str, escape: Escape) -> String {
        match template::expand(text, escape, |name| self.resolve(name)) {
            Ok(s) => s,
            Err(Unresolved::Skip(why)) => skip(why),
            Err(Unresolved::Error(why)) => self.fail(format!("suite error in {text:?}: {why}")),
        }
    }

    fn resolve(&self, name: &str) -> Result<String, Unresolved> {
        let t = &self.t;
        let p = &t.profile;
        let need = |v: Option<&String>, why: &str| {
            v.cloned().ok_or_else(|| Unresolved::Skip(why.to_string()))
        };
        Ok(match name {
            "login_field" => p.login_field.clone(),
            "login" => t.account.login.clone(),
            "password" => t.account.password.clone(),
            "inactive_login" => need(t.inactive.as_ref().map(|a| &a.login), NO_INACTIVE)?,
            "inactive_password" => need(t.inactive.as_ref().map(|a| &a.password), NO_INACTIVE)?,
            "unknown_login" => self.unknown_login(),
            "basic_credentials" => base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", t.account.login, t.account.password)),
            "obtain_path" => self.endpoint_path(Endpoint::Obtain),
            "obtain_path_without_slash" => {
                let path = self.endpoint_path(Endpoint::Obtain);
                path.strip_suffix('/').map(str::to_string).unwrap_or(path)
            }
            "collection" => need(p.endpoints.resources.as_ref(), NO_RESOURCES)?,
            "protected_path" => self.endpoint_path(Endpoint::Protected),
            "login_swapped_case" => case_swapped(&t.account.login)?,
            "password_swapped_case" => case_swapped(&t.account.password)?,
            "login_local_part" => match t.account.login.split_once('@') {
                Some((local, _)) if p.login_field == "email" => local.to_string(),
                _ => return Err(Unresolved::Skip(
                    "the profile's login is not an email, so there is no username to try in its place".into(),
                )),
            },
            token => return self.token_value(token),
        })
    }

    /// A login no account has, shaped like the profile's logins.
    pub fn unknown_login(&self) -> String {
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
        if self.t.profile.login_field == "email" || self.t.account.login.contains('@') {
            format!("nobody-{tag}@example.com")
        } else {
            format!("nobody-{tag}")
        }
    }

    /// `${name}` or `${name:derivation}` for a token the scenario holds.
    fn token_value(&self, spec: &str) -> Result<String, Unresolved> {
        let (name, derivation) = match spec.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (spec, None),
        };
        let token = self.tokens.get(name).ok_or_else(|| {
            Unresolved::Error(format!(
                "${{{name}}} is not a placeholder, nor a token obtained in this scenario"
            ))
        })?;
        let Some(derivation) = derivation else {
            return Ok(token.value.clone());
        };
        let forge = Forge {
            algorithm: self.t.profile.algorithm,
            key: self.t.signing_key.as_deref(),
            private_key: self.t.private_key.as_ref(),
            public_keys: self.t.public_keys.as_ref(),
            server_now: self.server_now(token),
            leeway: i64::try_from(self.t.profile.leeway.as_secs()).unwrap_or(i64::MAX),
            inactive_user_id: self.t.inactive_user_id.as_deref(),
            names: &self.t.profile.wire,
        };
        jwt::derive(&token.value, derivation, &forge).map_err(|e| match e {
            DeriveError::Unknown(_) => Unresolved::Error(e.to_string()),
            other => Unresolved::Skip(other.to_string()),
        })
    }

    /// The server's clock now, estimated from a token's `iat` and when it arrived.
    pub fn server_now(&self, token: &Token) -> i64 {
        let since = SystemTime::now()
            .duration_since(token.received)
            .unwrap_or_default()
            .as_secs_f64();
        match jwt::decode(&token.value)
            .ok()
            .and_then(|d| d.claims.get("iat").and_then(Value::as_i64))
        {
            // Floored like the server's own `iat`.
            Some(iat) => iat + since as i64,
            None => unix_now() as i64,
        }
    }

    /// Looks up a token by its `${...}` reference (derivations allowed).
    pub fn token(&self, reference: &str) -> String {
        self.expand(reference, Escape::Plain)
    }

    /// The held token a `${name}` reference names (no derivation).
    pub fn held(&self, reference: &str) -> Token {
        let name = reference.trim_start_matches("${").trim_end_matches('}');
        self.tokens.get(name).cloned().unwrap_or_else(|| {
            self.fail(format!(
                "suite error: no token {reference} in this scenario"
            ))
        })
    }

    /// Stores a token under a name.
    pub fn keep_token(&mut self, name: &str, value: &str) {
        self.tokens.insert(
            name.to_string(),
            Token {
                value: value.to_string(),
                received: SystemTime::now(),
            },
        );
    }

    // ----- requests ----------------------------------------------------------------------

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
                if let Err(rule) = checks::every_response(
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

    // ----- tokens and resources used as setup --------------------------------------------

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
            .unwrap_or_default()
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

    /// Records an observation for the report.
    pub fn note(&mut self, text: String) {
        let text = self.t.redactor.apply(&text);
        self.notes.push(text);
    }

    /// A short line describing the last exchange.
    pub fn describe_last(&self) -> String {
        let Some(ex) = self.history.last() else {
            return "no request".into();
        };
        let path = ex
            .request
            .url
            .strip_prefix(&self.t.base_url)
            .unwrap_or(&ex.request.url);
        match &ex.outcome {
            Ok(r) => {
                let mut s = format!("{} {} → {}", ex.request.method, path, r.status);
                for h in ["content-type", "location", "allow"] {
                    if let Some(v) = r.header(h) {
                        s.push_str(&format!(", {h}: {v}"));
                    }
                }
                let body = String::from_utf8_lossy(&r.body);
                let body: String = body.chars().take(160).collect();
                if !body.is_empty() {
                    s.push_str(&format!(", body {}", body.replace('\n', " ")));
                }
                s
            }
            Err(e) => format!("{} {} → {e}", ex.request.method, path),
        }
    }
}

/// The text with upper and lower case swapped: a login or password that differs only in case.
fn swap_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().collect::<String>()
            } else {
                c.to_uppercase().collect::<String>()
            }
        })
        .collect()
}

fn case_swapped(text: &str) -> Result<String, Unresolved> {
    let swapped = swap_case(text);
    if swapped == text {
        return Err(Unresolved::Skip(
            "the account's login or password has no letters whose case could change".into(),
        ));
    }
    Ok(swapped)
}

/// Whether a token that arrived at `received` and lives `lifetime` may have expired by the time
/// a response `answered`: the server may check it at any moment until its answer is complete,
/// so the age that counts is at the response's arrival, not at sending. `exp` is floored, so
/// the token may die up to a second before `received + lifetime`.
pub fn expired_by(received: SystemTime, lifetime: Duration, answered: SystemTime) -> bool {
    let age = answered.duration_since(received).unwrap_or_default() + Duration::from_secs(1);
    age >= lifetime
}

/// A JSON object of string fields.
pub fn fields(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// How a failure of a check that holds for every response begins; the rule ID follows.
pub const INVARIANT: &str = "the response breaks a rule that holds for every response: ";

/// Reason for skipping when no inactive account was given.
pub const NO_INACTIVE: &str =
    "no inactive account was given (--inactive-login / --inactive-password)";
/// Reason for skipping when the profile has no resource collection.
pub const NO_RESOURCES: &str = "the profile has no resource collection (endpoints.resources)";

/// How long after a token's own expiry the suite waits before using it, to be just past `exp`.
pub const EXPIRY_MARGIN: Duration = Duration::from_millis(400);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_expiry_is_judged_when_the_response_arrived() {
        let got = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let lifetime = Duration::from_secs(5);
        // Sent 3 s after the token arrived (still valid), answered 4.5 s after: the server may
        // have checked it past its floored `exp`.
        let sent = got + Duration::from_secs(3);
        let answered = got + Duration::from_millis(4500);
        assert!(!expired_by(got, lifetime, sent));
        assert!(expired_by(got, lifetime, answered));
        assert!(!expired_by(
            got,
            lifetime,
            got + Duration::from_millis(3900)
        ));
        // A clock that went backwards is not an expiry.
        assert!(!expired_by(got, lifetime, got - Duration::from_secs(10)));
    }
}
