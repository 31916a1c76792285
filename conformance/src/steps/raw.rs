//! Steps that speak HTTP/1.1 over a raw TCP connection: what a client library will not send
//! (malformed request lines, bad framing), and a second request on the connection that just
//! got a 413. Plain `http://` targets only; over https these scenarios are skipped.

use cucumber::{then, when};

use crate::world::{ApiWorld, skip};
use conformance::{
    http::{self, Exchange, RawConnection, RawResponse, Request, Response, TransportError},
    template::Escape,
};

fn address(w: &ApiWorld) -> String {
    http::raw_address(&w.t.base_url).unwrap_or_else(|| {
        skip("raw-connection probes speak plain HTTP, and the base URL is not http://")
    })
}

fn host_of(addr: &str) -> &str {
    addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr)
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
    w.history.push(Exchange {
        request,
        outcome,
        sent: std::time::SystemTime::now(),
    });
}

#[when(
    regex = r"^I send (\d+) MiB of JSON to the (obtain|refresh|verify) endpoint over a raw connection$"
)]
async fn oversized(w: &mut ApiWorld, mib: usize, endpoint: String) {
    let addr = address(w);
    let path = w.endpoint_path(&endpoint);
    let size = (mib * 1024 * 1024).max(w.t.profile.oversized_body_bytes);
    let mut body = b"{\"x\": \"".to_vec();
    body.resize(size - 2, b'a');
    body.extend_from_slice(b"\"}");
    let mut bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        host_of(&addr),
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    let mut conn = match RawConnection::open(&addr, timeout(w)).await {
        Ok(c) => c,
        Err(e) => w.fail(format!("could not connect to {addr}: {e}")),
    };
    let answer = conn.exchange(&bytes).await;
    record(w, "POST", &path, body, &answer);
    match &answer {
        Ok(r) if r.status >= 500 => w.fail("HTTP-10: an oversized body is a 413, never a 5xx"),
        Ok(_) => {}
        Err(e) => w.fail(format!(
            "HTTP-10: an oversized body gets a 413, not a dropped connection: {e}"
        )),
    }
    w.raw = Some(conn);
    w.raw_answer = Some(answer);
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
    let path = w.endpoint_path("obtain");
    let bytes = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
        host_of(&addr)
    );
    let Some(mut conn) = w.raw.take() else {
        w.fail("suite error: no raw connection is open");
    };
    let answer = conn.exchange(bytes.as_bytes()).await;
    record(w, "POST", &path, b"{}".to_vec(), &answer);
    match answer {
        Ok(r) if r.status < 500 => {}
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
    let conn = RawConnection::open(&addr, timeout(w)).await;
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
