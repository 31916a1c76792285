//! The target and what is sent to it: the origin of the base URL (TLS for https, the
//! `--header` fields), and a workload of requests prepared by logging in (a pool of tokens)
//! and creating a resource to read.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use rustls::pki_types::ServerName;
use serde_json::{Value, json};

use super::{Connection, Dial, Endpoint, LoadError};
use crate::http::Client;
use crate::profile::Profile;
use crate::target::{self, Account, Target, cannot_reach};
use crate::tls::Transport;

/// Where requests go: one socket address, and what the URL said about it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The address connections are made to.
    pub addr: SocketAddr,
    /// The `Host` header: the URL's host, and its port when it names one.
    pub host: HeaderValue,
    /// The URL's path without its trailing slash, prefixed to every endpoint path.
    pub base_path: String,
    /// The base URL as given, without a trailing slash (for messages).
    pub base_url: String,
    /// For `https://`: the TLS settings and the server name to verify.
    pub tls: Option<(Transport, ServerName<'static>)>,
    /// The `--header` fields, added to every request.
    pub headers: Arc<[(HeaderName, HeaderValue)]>,
    /// The TLS settings and `--header` fields the origin was resolved with, for the login.
    pub transport: Transport,
}

impl Origin {
    /// Resolves an `http://` or `https://` base URL (platform trust roots, no extra header).
    pub async fn parse(url: &str) -> Result<Origin, LoadError> {
        Origin::resolve(url, &Transport::plain()?).await
    }

    /// Resolves a base URL; https and the extra headers as `transport` says.
    pub async fn resolve(url: &str, transport: &Transport) -> Result<Origin, LoadError> {
        let (base_url, parsed) = crate::target::base_url(url).map_err(|e| e.to_string())?;
        let https = parsed.scheme() == "https";
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("--base-url {url:?} has no host"))?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let lookup = host.trim_start_matches('[').trim_end_matches(']');
        let addr = tokio::net::lookup_host((lookup, port))
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| format!("cannot resolve the host of --base-url {url:?}"))?;
        let host_header = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let tls = match https {
            true => Some((
                transport.clone(),
                crate::tls::server_name(host).map_err(|e| format!("--base-url {url:?}: {e}"))?,
            )),
            false => None,
        };
        Ok(Origin {
            addr,
            host: HeaderValue::from_str(&host_header)
                .map_err(|e| format!("--base-url {url:?}: bad host: {e}"))?,
            base_path: parsed.path().trim_end_matches('/').to_string(),
            base_url,
            tls,
            headers: transport.headers().to_vec().into(),
            transport: transport.clone(),
        })
    }

    /// The same paths and `Host` header on another address (the benches' baseline server),
    /// in plain HTTP.
    pub fn at(&self, addr: SocketAddr) -> Origin {
        Origin {
            addr,
            base_url: format!("http://{addr}"),
            tls: None,
            ..self.clone()
        }
    }

    /// How connections to it are made.
    pub fn dial(&self) -> Dial {
        Dial {
            addr: self.addr,
            tls: self.tls.clone(),
        }
    }
}

/// One request as sent, but for the `Host` header.
#[derive(Clone)]
struct Template {
    method: Method,
    uri: Uri,
    authorization: Option<(HeaderName, HeaderValue)>,
    json: Option<Bytes>,
}

/// The requests a run repeats, in turn: one per token of the pool.
#[derive(Clone)]
pub struct Workload {
    host: HeaderValue,
    headers: Arc<[(HeaderName, HeaderValue)]>,
    templates: Arc<[Template]>,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field(
                "request",
                &format_args!("{} {}", self.method(), self.path()),
            )
            .field("variants", &self.templates.len())
            .finish_non_exhaustive()
    }
}

impl Workload {
    fn new(origin: &Origin, templates: Vec<Template>) -> Workload {
        Workload {
            host: origin.host.clone(),
            headers: origin.headers.clone(),
            templates: templates.into(),
        }
    }

    /// The `i`-th request of the run.
    pub fn request(&self, i: u64) -> Request<Full<Bytes>> {
        let len = self.templates.len().max(1) as u64;
        let Some(t) = self.templates.get((i % len) as usize) else {
            return Request::new(Full::new(Bytes::new()));
        };
        let mut request = Request::new(Full::new(t.json.clone().unwrap_or_default()));
        *request.method_mut() = t.method.clone();
        *request.uri_mut() = t.uri.clone();
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        if let Some((name, value)) = &t.authorization {
            headers.insert(name.clone(), value.clone());
        }
        if t.json.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        for (name, value) in self.headers.iter() {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        request
    }

    /// The method every request uses.
    pub fn method(&self) -> Method {
        self.templates
            .first()
            .map_or(Method::GET, |t| t.method.clone())
    }

    /// The path (and query) every request goes to.
    pub fn path(&self) -> String {
        self.templates
            .first()
            .map_or_else(String::new, |t| t.uri.to_string())
    }
}

/// A workload ready to run, and what it created on the target.
#[derive(Debug)]
pub struct Prepared {
    pub workload: Workload,
    /// The resource created for `Endpoint::Resource`: its path and a token that may delete it.
    created: Option<(String, (HeaderName, HeaderValue))>,
}

impl Prepared {
    /// Deletes what preparing created; best effort (the run's figures do not depend on it).
    pub async fn cleanup(&self, origin: &Origin, timeout: Duration) {
        let Some((path, auth)) = &self.created else {
            return;
        };
        let Ok(uri) = path.parse::<Uri>() else {
            return;
        };
        let workload = Workload::new(
            origin,
            vec![Template {
                method: Method::DELETE,
                uri,
                authorization: Some(auth.clone()),
                json: None,
            }],
        );
        if let Ok(mut c) = Connection::dial(origin.dial()).await {
            let _ = tokio::time::timeout(timeout, c.send(workload.request(0))).await;
        }
    }
}

/// Logs in `tokens` times (not for `Obtain`), creates a resource to read (for `Resource`), and
/// checks that one request of the workload gets a 2xx: any failure here means exit code 2.
pub async fn prepare(
    origin: &Origin,
    profile: &Profile,
    account: &Account,
    endpoint: Endpoint,
    tokens: usize,
    timeout: Duration,
) -> Result<Prepared, LoadError> {
    // The login goes the one way into a target (`target::log_in`, as preflight's); the
    // workload's requests go over this crate's own connections, which the run measures.
    let client = Client::direct(timeout, origin.transport.clone())?;
    let redactor = Target::redactor_for(account, None, None, &origin.transport);
    let obtain = Endpoint::Obtain.path(profile)?;
    let logins = if endpoint == Endpoint::Obtain {
        1
    } else {
        tokens
    };
    let mut pool = Vec::with_capacity(logins);
    for _ in 0..logins {
        let resp = target::log_in(&client, &origin.base_url, profile, account, &redactor).await?;
        let access = target::access_token(&resp)
            .ok_or_else(|| format!("the login at {obtain} answered no \"access\" token"))?;
        pool.push(access);
    }
    let mut conn = Connection::dial(origin.dial())
        .await
        .map_err(|e| cannot_reach(&origin.base_url, &e))?;
    let mut helper = Helper {
        origin,
        conn: &mut conn,
        timeout,
    };
    let credentials = Bytes::from(account.login_body(&profile.login_field).to_string());
    // The profile's header and scheme (`Authorization: Bearer` unless it renames them).
    let bearer = |token: &str| {
        let (name, value) = profile.wire.authorization(token);
        Some((
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(&value).ok()?,
        ))
    };
    let mut created = None;
    let templates: Vec<Template> = match endpoint {
        Endpoint::Obtain => {
            vec![helper.template(Method::POST, &obtain, None, Some(credentials))?]
        }
        Endpoint::Verify | Endpoint::VerifyV1 => {
            let path = endpoint.path(profile)?;
            pool.iter()
                .map(|token| {
                    let body = Bytes::from(json!({ "token": token }).to_string());
                    helper.template(Method::POST, &path, None, Some(body))
                })
                .collect::<Result<_, _>>()?
        }
        Endpoint::Resource => {
            let collection = endpoint.path(profile)?;
            let auth = pool.first().and_then(|t| bearer(t));
            let body = Bytes::from(r#"{"field1":"load","field2":"run"}"#);
            let (status, answer) = helper
                .send(Method::POST, &collection, auth.clone(), Some(body))
                .await?;
            let id = serde_json::from_slice::<Value>(&answer)
                .ok()
                .and_then(|v| match v.get("id") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|_| status.is_success())
                .ok_or_else(|| {
                    format!(
                        "creating a resource at {}{collection} answered {status}: {}",
                        origin.base_url,
                        shown(&answer)
                    )
                })?;
            let item = format!("{collection}{id}/");
            created = auth
                .clone()
                .map(|auth| (origin.base_path.clone() + &item, auth));
            pool.iter()
                .map(|token| helper.template(Method::GET, &item, bearer(token), None))
                .collect::<Result<_, _>>()?
        }
    };
    let prepared = Prepared {
        workload: Workload::new(origin, templates),
        created,
    };
    let probe = prepared.workload.request(0);
    let (method, path) = (prepared.workload.method(), prepared.workload.path());
    let reply = match tokio::time::timeout(timeout, conn.send(probe)).await {
        Ok(Ok(reply)) => reply,
        Ok(Err(e)) => return Err(format!("{method} {}{path}: {e}", origin.base_url).into()),
        Err(_) => {
            return Err(format!("{method} {}{path}: no answer in time", origin.base_url).into());
        }
    };
    if !reply.status.is_success() {
        prepared.cleanup(origin, timeout).await;
        return Err(format!(
            "{method} {}{path} answered {} to a valid request: {}. Check --endpoint and --profile",
            origin.base_url,
            reply.status,
            shown(&reply.body)
        )
        .into());
    }
    Ok(prepared)
}

/// Requests made while preparing, on one connection.
struct Helper<'a> {
    origin: &'a Origin,
    conn: &'a mut Connection,
    timeout: Duration,
}

impl Helper<'_> {
    fn template(
        &self,
        method: Method,
        path: &str,
        authorization: Option<(HeaderName, HeaderValue)>,
        json: Option<Bytes>,
    ) -> Result<Template, LoadError> {
        let full = format!("{}{path}", self.origin.base_path);
        let uri = full
            .parse::<Uri>()
            .map_err(|e| LoadError::Target(format!("{full:?} is not a request path: {e}")))?;
        Ok(Template {
            method,
            uri,
            authorization,
            json,
        })
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        authorization: Option<(HeaderName, HeaderValue)>,
        json: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes), LoadError> {
        let template = self.template(method.clone(), path, authorization, json)?;
        let request = Workload::new(self.origin, vec![template]).request(0);
        let url = format!("{}{path}", self.origin.base_url);
        match tokio::time::timeout(self.timeout, self.conn.send(request)).await {
            Ok(Ok(reply)) => Ok((reply.status, reply.body)),
            Ok(Err(e)) => Err(LoadError::Target(format!(
                "cannot reach {}: {method} {url}: {e}",
                self.origin.base_url
            ))),
            Err(_) => Err(LoadError::Target(format!(
                "{method} {url}: no answer within {}",
                humantime::format_duration(self.timeout)
            ))),
        }
    }
}

/// The start of a response body, for an error message (bodies here never hold a token).
fn shown(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::load) fn origin() -> Origin {
        Origin {
            addr: ([127, 0, 0, 1], 8000).into(),
            host: HeaderValue::from_static("127.0.0.1:8000"),
            base_path: String::new(),
            base_url: "http://127.0.0.1:8000".into(),
            tls: None,
            transport: Transport::plain().expect("the platform's trust roots"),
            headers: vec![(
                HeaderName::from_static("x-gateway"),
                HeaderValue::from_static("g1"),
            )]
            .into(),
        }
    }

    pub(in crate::load) fn workload() -> Workload {
        Workload::new(
            &origin(),
            vec![Template {
                method: Method::POST,
                uri: Uri::from_static("/verifytoken/"),
                authorization: None,
                json: Some(Bytes::from_static(br#"{"token":"SECRET"}"#)),
            }],
        )
    }

    #[test]
    fn requests_carry_host_body_and_type() {
        let w = workload();
        let r = w.request(7);
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri(), "/verifytoken/");
        assert_eq!(r.headers()[HOST], "127.0.0.1:8000");
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(r.headers()["x-gateway"], "g1");
        assert!(!format!("{w:?}").contains("SECRET"));
    }
}
