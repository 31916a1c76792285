//! Steps that speak HTTP/1.1 over a raw TCP connection: what a client library will not send
//! (malformed request lines, bad framing), and a second request on the connection that just
//! got a 413. Over TLS for `https://` targets; the run's `--header` fields go after the request
//! line of each. They connect directly, whatever the proxy environment variables say.

use cucumber::{given, then, when};

use crate::world::{ApiWorld, skip};
use conformance::vocabulary;
use conformance::{
    http::{
        self, Exchange, RawAddress, RawConnection, RawResponse, Request, Response, TransportError,
    },
    profile::Endpoint,
    template::Escape,
};

fn address(w: &ApiWorld) -> RawAddress {
    http::raw_address(&w.t.base_url).unwrap_or_else(|| {
        skip("raw-connection probes speak HTTP/1.1 over TCP or TLS, and the base URL is neither http:// nor https://")
    })
}

/// The run's `--header` fields as header lines, each ending in CRLF.
fn extra_lines(w: &ApiWorld) -> String {
    w.t.client
        .transport()
        .header_pairs()
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect()
}

/// `text` (lines ending in CRLF) with the `--header` fields after its first line.
fn with_extra_headers(w: &ApiWorld, text: &str) -> String {
    let extra = extra_lines(w);
    match text.split_once("\r\n") {
        Some((first, rest)) if !extra.is_empty() => format!("{first}\r\n{extra}{rest}"),
        _ => text.to_string(),
    }
}

async fn open(w: &ApiWorld, addr: &RawAddress) -> Result<RawConnection, TransportError> {
    RawConnection::open(addr, w.t.client.transport(), timeout(w)).await
}

/// Records a raw answer as an exchange, so the usual steps and reports apply to it.
fn record(
    w: &mut ApiWorld,
    method: &str,
    path: &str,
    body: Vec<u8>,
    answer: &Result<RawResponse, TransportError>,
) {
    let outcome = answer.clone().map(|r| Response {
        status: r.status,
        headers: r
            .head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect(),
        body: Vec::new(),
        elapsed: std::time::Duration::ZERO,
    });
    let request = Request {
        method: method.into(),
        url: w.t.url(path),
        headers: Vec::new(),
        body,
    };
    let now = std::time::SystemTime::now();
    w.history.push(Exchange {
        request,
        outcome,
        sent: now,
        received: now,
    });
}

/// Sends an oversized JSON body with its `Content-Length`, or (` in chunks`) with chunked
/// transfer coding, where only the bytes read can tell the server that it is over its limit.
#[when(
    regex = r"^I send (\d+) MiB of JSON( in chunks)? to the (obtain|refresh|verify) endpoint over a raw connection$"
)]
async fn oversized(w: &mut ApiWorld, mib: usize, chunked: String, endpoint: Endpoint) {
    let declared_limit = w.t.profile.body_limit.map_or(0, |limit| limit + 1);
    let size = (mib * 1024 * 1024)
        .max(w.t.profile.oversized_body_bytes)
        .max(declared_limit);
    let mut body = b"{\"x\": \"".to_vec();
    body.resize(size - 2, b'a');
    body.extend_from_slice(b"\"}");
    let framing = if chunked.is_empty() {
        Framing::ContentLength
    } else {
        Framing::Chunked
    };
    let answer = post_raw(w, endpoint, body, framing).await;
    match &answer {
        Ok(r) if http::is_server_error(r.status) => {
            w.fail("HTTP-10: an oversized body is a 413, never a 5xx")
        }
        Ok(_) => {}
        Err(e) => w.fail(format!(
            "HTTP-10: an oversized body gets a 413, not a dropped connection: {e}"
        )),
    }
}

#[given("the profile declares the server's body limit")]
fn declares_body_limit(w: &mut ApiWorld) {
    if w.t.profile.body_limit.is_none() {
        skip("the profile declares no body limit (body_limit_bytes)");
    }
}

vocabulary! {
    /// A body's size against the declared limit.
    enum AtLimit {
        Exactly = "of exactly",
        OneOver = "one byte over",
    }
}

vocabulary! {
    /// How a raw request's body is framed.
    enum Framing {
        ContentLength = "with its Content-Length",
        Chunked = "in chunks",
    }
}

/// Logs in with the account's credentials in a JSON body padded with spaces to the declared
/// limit, or one byte over it.
#[when(
    regex = r"^I log in with a body (of exactly|one byte over) the declared limit (with its Content-Length|in chunks) over a raw connection$"
)]
async fn log_in_at_limit(w: &mut ApiWorld, at: AtLimit, framing: Framing) {
    let Some(limit) = w.t.profile.body_limit else {
        skip("the profile declares no body limit (body_limit_bytes)");
    };
    let size = match at {
        AtLimit::Exactly => limit,
        AtLimit::OneOver => limit + 1,
    };
    let credentials = serde_json::json!({
        w.t.profile.login_field.clone(): w.t.account.login,
        "password": w.t.account.password,
    });
    let mut body = credentials.to_string().into_bytes();
    if body.len() > size {
        skip(format!(
            "the declared body limit ({limit} bytes) is smaller than a login body ({} bytes)",
            body.len()
        ));
    }
    // JSON allows whitespace before the closing brace.
    body.pop();
    body.resize(size - 1, b' ');
    body.push(b'}');
    let answer = post_raw(w, Endpoint::Obtain, body, framing).await;
    if let Err(e) = answer {
        w.fail(format!(
            "a login body {at} the declared limit ({limit} bytes) got no answer: {e}"
        ));
    }
}

/// POSTs `body` as JSON to `endpoint` over a new raw connection, framed as asked, records the
/// exchange and keeps the connection for a next request.
async fn post_raw(
    w: &mut ApiWorld,
    endpoint: Endpoint,
    body: Vec<u8>,
    framing: Framing,
) -> Result<RawResponse, TransportError> {
    let addr = address(w);
    let path = w.endpoint_path(endpoint);
    let header = match framing {
        Framing::ContentLength => format!("Content-Length: {}", body.len()),
        Framing::Chunked => "Transfer-Encoding: chunked".to_string(),
    };
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\n{}Content-Type: application/json\r\n{header}\r\n\r\n",
        addr.host,
        extra_lines(w),
    )
    .into_bytes();
    match framing {
        Framing::ContentLength => bytes.extend_from_slice(&body),
        Framing::Chunked => {
            // A prime size: no running total of chunks lands exactly on a round limit.
            for chunk in body.chunks(65_521) {
                bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                bytes.extend_from_slice(chunk);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        }
    }
    let mut conn = match open(w, &addr).await {
        Ok(c) => c,
        Err(e) => w.fail(format!("could not connect to {}: {e}", addr.addr)),
    };
    let answer = conn.exchange(&bytes).await;
    record(w, "POST", &path, body, &answer);
    w.raw = Some(conn);
    w.raw_answer = Some(answer.clone());
    answer
}

#[then("the same connection answers another request")]
async fn same_connection_answers(w: &mut ApiWorld) {
    let addr = address(w);
    if w.raw_answer
        .as_ref()
        .is_some_and(|a| a.as_ref().is_ok_and(|r| !r.request_fully_sent))
    {
        w.fail("the server stopped reading the request body, so the connection cannot carry another request");
    }
    if w.raw_answer
        .as_ref()
        .and_then(|a| a.as_ref().ok())
        .is_some_and(|r| r.head.to_ascii_lowercase().contains("connection: close"))
    {
        w.fail(
            "the server answered with \"Connection: close\": the connection does not stay usable",
        );
    }
    let path = w.endpoint_path(Endpoint::Obtain);
    let bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\n{}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
        addr.host,
        extra_lines(w)
    );
    let Some(mut conn) = w.raw.take() else {
        w.fail("suite error: no raw connection is open");
    };
    let answer = conn.exchange(bytes.as_bytes()).await;
    record(w, "POST", &path, b"{}".to_vec(), &answer);
    match answer {
        Ok(r) if !http::is_server_error(r.status) => {}
        Ok(r) => w.fail(format!(
            "the second request on the connection got {}",
            r.status
        )),
        Err(e) => w.fail(format!(
            "the connection did not answer a second request: {e}"
        )),
    }
}

#[when(regex = r"(?s)^I send the raw request '(.*)' over a new connection$")]
async fn raw_request(w: &mut ApiWorld, text: String) {
    let addr = address(w);
    // Feature tables turn `\n` into a line break; on the wire every line ends in CRLF.
    let text = w
        .expand(&text, Escape::Plain)
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let text = with_extra_headers(w, &text);
    let conn = open(w, &addr).await;
    let answer = match conn {
        Ok(mut c) => c.exchange(text.as_bytes()).await,
        Err(e) => Err(e),
    };
    let first_line = text.lines().next().unwrap_or("").to_string();
    record(
        w,
        "RAW",
        &format!(" ({first_line:?})"),
        text.into_bytes(),
        &answer,
    );
    w.raw_answer = Some(answer);
}

#[then(regex = r"^the connection answers with the status (\d{3})$")]
fn answers_with_status(w: &mut ApiWorld, status: u16) {
    match w.raw_answer.clone() {
        Some(Ok(r)) if r.status == status => {}
        Some(Ok(r)) => w.fail(format!("expected the status {status}, got {}", r.status)),
        Some(Err(e)) => w.fail(format!("expected the status {status}, got no answer: {e}")),
        None => w.fail("suite error: no raw request was sent"),
    }
}

#[then("the connection answers with a client error")]
fn answers_client_error(w: &mut ApiWorld) {
    match w.raw_answer.clone() {
        Some(Ok(r)) if (400..500).contains(&r.status) => {}
        Some(Ok(r)) => w.fail(format!(
            "expected a 4xx answer to a malformed request, got {}",
            r.status
        )),
        Some(Err(e)) => w.fail(format!(
            "HTTP-14: a malformed request gets an HTTP answer, not a dropped connection: {e}"
        )),
        None => w.fail("suite error: no raw request was sent"),
    }
}

fn timeout(w: &ApiWorld) -> std::time::Duration {
    w.t.client.timeout()
}
