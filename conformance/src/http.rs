//! The suite's HTTP layer: requests sent exactly as written (bytes, headers, method), responses
//! kept whole, and every exchange renderable for a report: the request, the response, the
//! decoded claims of any token involved, and a curl command that replays it. All of it redacted.
//!
//! Also a few raw-TCP probes (over TLS for https) for what a client library cannot send
//! (malformed request lines, a second request on the connection that just got a 413).

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    jwt,
    profile::WireNames,
    redact::Redactor,
    tls::{Stream, Transport},
};

/// One request, as sent.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Headers the suite set (the client adds `Host` and `Content-Length`).
    pub headers: Vec<(String, String)>,
    /// Body bytes, possibly empty.
    pub body: Vec<u8>,
}

impl Request {
    /// A request with no header and no body.
    pub fn new(method: &str, url: impl Into<String>) -> Request {
        Request {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Request {
        Request::new("GET", url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Request {
        Request::new("POST", url)
    }

    /// Adds a header field.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Authenticates with an access token, in the deployment's header and scheme
    /// (`Authorization: Bearer <token>` unless the profile renames them).
    pub fn bearer(self, wire: &WireNames, token: &str) -> Request {
        let (name, value) = wire.authorization(token);
        self.header(name, value)
    }

    /// A JSON body, typed `application/json`.
    pub fn json(self, body: &Value) -> Request {
        self.body("application/json", body.to_string().into_bytes())
    }

    /// A body of this Content-Type (none when `content_type` is empty).
    pub fn body(mut self, content_type: &str, bytes: Vec<u8>) -> Request {
        if !content_type.is_empty() {
            self = self.header("Content-Type", content_type);
        }
        self.body = bytes;
        self
    }
}

/// One response, whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Time from sending to the last body byte.
    pub elapsed: Duration,
}

impl Response {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Why no response arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// Nothing came back within the request timeout: a hang (HTTP-14).
    #[error("no response within {0:?} (the server hung)")]
    Timeout(Duration),
    /// The server could not be reached.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection broke before a whole response arrived.
    #[error("the connection was dropped before a complete response: {0}")]
    Dropped(String),
}

/// A request and what became of it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What was sent.
    pub request: Request,
    /// What came back.
    pub outcome: Result<Response, TransportError>,
    /// When the request was sent.
    pub sent: std::time::SystemTime,
    /// When the whole response (or the transport error) arrived.
    pub received: std::time::SystemTime,
}

/// Why the HTTP client could not be built (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TLS settings are unusable.
    #[error(transparent)]
    Transport(#[from] crate::tls::SetupError),
    /// reqwest refused the configuration.
    #[error("cannot build the HTTP client: {0}")]
    Build(reqwest::Error),
}

/// A reqwest client configured for conformance checks: no redirects followed, bounded time,
/// the run's TLS settings, and its `--header` fields on every request.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    timeout: Duration,
    transport: Transport,
}

impl Client {
    /// A client whose every request gives up after `timeout` (platform trust roots, no extra
    /// header).
    pub fn new(timeout: Duration) -> Result<Self, ClientError> {
        Client::with_transport(timeout, Transport::plain()?)
    }

    /// A client that reaches the target as `transport` says.
    pub fn with_transport(timeout: Duration, transport: Transport) -> Result<Self, ClientError> {
        // reqwest honours HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY by default.
        Client::build(reqwest::Client::builder(), timeout, transport)
    }

    /// A client that reaches the target as `transport` says, directly, whatever the proxy
    /// environment variables say (as `load` and the raw probes do).
    pub fn direct(timeout: Duration, transport: Transport) -> Result<Self, ClientError> {
        Client::build(reqwest::Client::builder().no_proxy(), timeout, transport)
    }

    fn build(
        builder: reqwest::ClientBuilder,
        timeout: Duration,
        transport: Transport,
    ) -> Result<Self, ClientError> {
        let inner = builder
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .tls_backend_preconfigured(transport.tls_config().as_ref().clone())
            .build()
            .map_err(ClientError::Build)?;
        Ok(Client {
            inner,
            timeout,
            transport,
        })
    }

    /// The per-request time limit.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The TLS settings and extra headers every request of the run uses.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Sends `request` (with the run's `--header` fields) and reads the whole response.
    pub async fn send(&self, mut request: Request) -> Exchange {
        self.transport.add_headers(&mut request.headers);
        let sent = std::time::SystemTime::now();
        let outcome = self.try_send(&request).await;
        let received = std::time::SystemTime::now();
        Exchange {
            request,
            outcome,
            sent,
            received,
        }
    }

    async fn try_send(&self, r: &Request) -> Result<Response, TransportError> {
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|e| TransportError::Connect(format!("bad method {}: {e}", r.method)))?;
        let mut builder = self.inner.request(method, &r.url);
        for (k, v) in &r.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !r.body.is_empty() {
            builder = builder.body(r.body.clone());
        }
        let started = Instant::now();
        let classify = |e: reqwest::Error| {
            if e.is_timeout() {
                TransportError::Timeout(self.timeout)
            } else if e.is_connect() {
                TransportError::Connect(crate::tls::certificate_sentence(&error_chain(&e)))
            } else {
                TransportError::Dropped(error_chain(&e))
            }
        };
        let resp = builder.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp.bytes().await.map_err(classify)?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        })
    }
}

/// Whether a status is a server error (5xx): what HTTP-14 forbids, whatever the input.
pub fn is_server_error(status: u16) -> bool {
    status >= 500
}

/// An error with its sources, which is where reqwest keeps the useful part.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// How much of a body a report shows.
const SHOWN_BODY: usize = 1500;

fn body_text(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty body)".into();
    }
    match std::str::from_utf8(body) {
        Ok(s) if s.chars().count() > SHOWN_BODY => {
            format!(
                "{}… ({} bytes in all)",
                s.chars().take(SHOWN_BODY).collect::<String>(),
                body.len()
            )
        }
        Ok(s) => s.to_string(),
        Err(_) => format!("({} bytes, not UTF-8)", body.len()),
    }
}

impl Exchange {
    /// The response, or the transport error as a message.
    pub fn response(&self) -> Result<&Response, &TransportError> {
        self.outcome.as_ref()
    }

    /// The exchange as a report shows it: request, response, decoded claims, curl. Redacted.
    pub fn render(&self, redactor: &Redactor) -> String {
        let r = &self.request;
        let mut out = format!("request:  {} {}\n", r.method, r.url);
        for (k, v) in &r.headers {
            out.push_str(&format!("          {k}: {v}\n"));
        }
        if !r.body.is_empty() {
            out.push_str(&format!("          {}\n", body_text(&r.body)));
        }
        match &self.outcome {
            Ok(resp) => {
                out.push_str(&format!(
                    "response: {} ({} ms)\n",
                    resp.status,
                    resp.elapsed.as_millis()
                ));
                for (k, v) in &resp.headers {
                    if INTERESTING_HEADERS.contains(&k.as_str()) {
                        out.push_str(&format!("          {k}: {v}\n"));
                    }
                }
                out.push_str(&format!("          {}\n", body_text(&resp.body)));
            }
            Err(e) => out.push_str(&format!("response: none: {e}\n")),
        }
        let mut seen = String::from_utf8_lossy(&r.body).into_owned();
        for (_, v) in &r.headers {
            seen.push(' ');
            seen.push_str(v);
        }
        if let Ok(resp) = &self.outcome {
            seen.push(' ');
            seen.push_str(&String::from_utf8_lossy(&resp.body));
        }
        for t in crate::redact::tokens_in(&seen) {
            out.push_str(&format!("claims:   {}\n", describe_token(&t)));
        }
        out.push_str(&format!("repro:    {}\n", self.curl()));
        redactor.apply(&out)
    }

    /// A curl command that sends the same request (tokens redacted by the caller's redactor).
    pub fn curl(&self) -> String {
        let r = &self.request;
        let mut cmd = format!("curl -i -X {} {}", r.method, shell_quote(&r.url));
        for (k, v) in &r.headers {
            cmd.push_str(&format!(" -H {}", shell_quote(&format!("{k}: {v}"))));
        }
        if !r.body.is_empty() {
            match std::str::from_utf8(&r.body) {
                Ok(s) if s.len() <= 4096 => {
                    cmd.push_str(&format!(" --data-binary {}", shell_quote(s)))
                }
                _ => cmd.push_str(&format!(
                    " --data-binary @body.bin  # the {}-byte body shown above",
                    r.body.len()
                )),
            }
        }
        cmd
    }
}

/// Response headers worth showing in a report.
const INTERESTING_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "www-authenticate",
    "allow",
    "location",
    "transfer-encoding",
];

/// `eyJhbGci…<redacted> = header {...} claims {...}`, or why it does not decode.
pub fn describe_token(token: &str) -> String {
    let head = crate::redact::redact_token(token);
    match jwt::decode(token) {
        Ok(d) => format!(
            "{head} = header {} claims {}",
            Value::Object(d.header),
            Value::Object(d.claims)
        ),
        Err(e) => format!("{head} does not decode: {e}"),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// What a raw-TCP probe got back.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// Status code from the status line.
    pub status: u16,
    /// The head as received (status line and headers).
    pub head: String,
    /// Whether every byte of the request was written (a server may stop reading early).
    pub request_fully_sent: bool,
}

/// Where a raw probe connects: `host:port`, and the name to verify over https.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAddress {
    /// `host:port`.
    pub addr: String,
    /// The host, as the `Host` header names it.
    pub host: String,
    /// Whether the base URL is `https://`.
    pub tls: bool,
}

/// Where the raw probes of an `http://` or `https://` base URL connect. They connect directly:
/// proxy environment variables do not apply to them.
pub fn raw_address(base_url: &str) -> Option<RawAddress> {
    let url = reqwest::Url::parse(base_url).ok()?;
    let tls = match url.scheme() {
        "http" => false,
        "https" => true,
        _ => return None,
    };
    let host = url.host_str()?.to_string();
    Some(RawAddress {
        addr: format!("{host}:{}", url.port_or_known_default()?),
        host,
        tls,
    })
}

/// An HTTP/1.1 connection, plain or TLS, that can carry several requests.
#[derive(Debug)]
pub struct RawConnection {
    stream: Stream,
    buf: Vec<u8>,
    timeout: Duration,
}

impl RawConnection {
    /// Connects to `to`, with TLS as `transport` says when it is https.
    pub async fn open(
        to: &RawAddress,
        transport: &Transport,
        timeout: Duration,
    ) -> Result<Self, TransportError> {
        let name = match to.tls {
            true => Some(crate::tls::server_name(&to.host).map_err(TransportError::Connect)?),
            false => None,
        };
        let stream = tokio::time::timeout(timeout, transport.connect(&to.addr, name.as_ref()))
            .await
            .map_err(|_| TransportError::Timeout(timeout))?
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        Ok(RawConnection {
            stream,
            buf: Vec::new(),
            timeout,
        })
    }

    /// Writes `bytes` while reading one response, so a server that answers before it has read
    /// a large body is heard rather than deadlocked on full buffers.
    pub async fn exchange(&mut self, bytes: &[u8]) -> Result<RawResponse, TransportError> {
        let timeout = self.timeout;
        let (mut rd, mut wr) = tokio::io::split(&mut self.stream);
        let write = async {
            wr.write_all(bytes).await?;
            wr.flush().await
        };
        let read = read_response(&mut rd, &mut self.buf);
        tokio::pin!(write, read);
        let mut sent: Option<bool> = None;
        let work = async {
            let resp = loop {
                tokio::select! {
                    w = &mut write, if sent.is_none() => sent = Some(w.is_ok()),
                    r = &mut read => break r,
                }
            };
            // A server may answer early; the connection is only reusable once the whole
            // request has gone out, so give the rest of it the same time budget.
            if sent.is_none() {
                sent = Some(matches!(
                    tokio::time::timeout(timeout, &mut write).await,
                    Ok(Ok(()))
                ));
            }
            resp
        };
        let mut resp = tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| TransportError::Timeout(timeout))??;
        resp.request_fully_sent = sent.unwrap_or(false);
        Ok(resp)
    }
}

/// Reads one HTTP/1.1 response (head, then a Content-Length or chunked body) from `rd`.
async fn read_response<R: AsyncReadExt + Unpin>(
    rd: &mut R,
    buf: &mut Vec<u8>,
) -> Result<RawResponse, TransportError> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(rd, buf).await?;
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            TransportError::Dropped(format!(
                "not an HTTP status line: {:?}",
                head.lines().next()
            ))
        })?;
    buf.drain(..head_end);
    let lower = head.to_ascii_lowercase();
    let content_length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(n) = content_length {
        while buf.len() < n {
            fill(rd, buf).await?;
        }
        buf.drain(..n);
    } else if lower.contains("transfer-encoding: chunked") {
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                fill(rd, buf).await?;
            };
            let size_text = String::from_utf8_lossy(&buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| TransportError::Dropped("bad chunk size in the response".into()))?;
            let need = line_end + 2 + size + 2;
            while buf.len() < need {
                fill(rd, buf).await?;
            }
            buf.drain(..need);
            if size == 0 {
                break;
            }
        }
    }
    Ok(RawResponse {
        status,
        head,
        request_fully_sent: true,
    })
}

async fn fill<R: AsyncReadExt + Unpin>(
    rd: &mut R,
    buf: &mut Vec<u8>,
) -> Result<(), TransportError> {
    let mut chunk = [0u8; 16 * 1024];
    match rd.read(&mut chunk).await {
        Ok(0) => Err(TransportError::Dropped(
            "the server closed the connection".into(),
        )),
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(())
        }
        Err(e) => Err(TransportError::Dropped(e.to_string())),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quotes_and_redaction_applies_to_render() {
        let ex = Exchange {
            request: Request {
                method: "POST".into(),
                url: "http://127.0.0.1:1/verifytoken/".into(),
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: br#"{"token": "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl", "it's": 1}"#.to_vec(),
            },
            outcome: Err(TransportError::Timeout(Duration::from_secs(1))),
            sent: std::time::SystemTime::now(),
            received: std::time::SystemTime::now(),
        };
        let curl = ex.curl();
        assert!(curl.starts_with(
            "curl -i -X POST 'http://127.0.0.1:1/verifytoken/' -H 'Content-Type: application/json'"
        ));
        assert!(curl.contains(r"it'\''s"));
        let shown = ex.render(&Redactor::default());
        assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
        assert!(
            shown.contains(r#"claims {"token_type":"access"}"#),
            "{shown}"
        );
        assert!(shown.contains("no response within"), "{shown}");
    }

    #[test]
    fn raw_address_for_http_and_https() {
        let a = |u: &str| raw_address(u).map(|a| (a.addr, a.tls));
        assert_eq!(
            a("http://127.0.0.1:8000"),
            Some(("127.0.0.1:8000".into(), false))
        );
        assert_eq!(a("http://localhost"), Some(("localhost:80".into(), false)));
        assert_eq!(
            a("https://example.com"),
            Some(("example.com:443".into(), true))
        );
        assert_eq!(a("ftp://example.com"), None);
    }

    #[tokio::test]
    async fn reads_content_length_and_chunked_responses() {
        let data = b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n";
        let mut rd = &data[..];
        let mut buf = Vec::new();
        assert_eq!(
            read_response(&mut rd, &mut buf)
                .await
                .expect("first")
                .status,
            413
        );
        assert_eq!(
            read_response(&mut rd, &mut buf)
                .await
                .expect("second")
                .status,
            200
        );
        assert!(read_response(&mut rd, &mut buf).await.is_err());
    }
}
