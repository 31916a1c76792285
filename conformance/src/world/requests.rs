//! Sending a request to a named target, recording it, and checking the rules that hold for
//! every response (`conformance::checks`).

use conformance::{
    checks,
    http::{Request, Response, TransportError},
    profile::Endpoint,
    template::Escape,
};
use serde_json::Value;

use super::{ApiWorld, Auth, INVARIANT, NO_RESOURCES, skip};

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
