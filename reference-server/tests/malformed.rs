//! Malformed input over raw TCP: whatever arrives, the answer is never a 5xx, and where HTTP
//! allows an answer there is one (and the connection stays usable when the request was framed).

mod common;

use std::time::Duration;

use common::*;
use rand::{Rng, SeedableRng};
use reference_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// One response read off a connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Raw {
    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A connection that keeps unread bytes between responses.
struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Conn {
    async fn open(server: &TestServer) -> Conn {
        match TcpStream::connect(server.server.addr()).await {
            Ok(stream) => Conn {
                stream,
                buffer: Vec::new(),
            },
            Err(err) => panic!("connect: {err}"),
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        if let Err(err) = self.stream.write_all(bytes).await {
            panic!("write: {err}");
        }
    }

    async fn finish_writing(&mut self) {
        let _ = self.stream.shutdown().await;
    }

    async fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 8192];
        match timeout(Duration::from_secs(10), self.stream.read(&mut chunk)).await {
            Ok(Ok(read)) => {
                self.buffer.extend_from_slice(&chunk[..read]);
                read
            }
            Ok(Err(_)) => 0,
            Err(_) => panic!(
                "no answer within 10 s; got so far: {:?}",
                String::from_utf8_lossy(&self.buffer)
            ),
        }
    }

    /// The next response, or `None` when the server closed without one.
    async fn response(&mut self) -> Option<Raw> {
        let head_end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end;
            }
            if self.fill().await == 0 {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let length: usize = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .unwrap_or(0);
        while self.buffer.len() < head_end + 4 + length {
            if self.fill().await == 0 {
                break;
            }
        }
        let end = (head_end + 4 + length).min(self.buffer.len());
        let body = self.buffer[head_end + 4..end].to_vec();
        self.buffer.drain(..end);
        Some(Raw { status, head, body })
    }

    async fn exchange(&mut self, request: &[u8]) -> Raw {
        self.write(request).await;
        match self.response().await {
            Some(response) => response,
            None => panic!(
                "connection closed without an answer to {:?}",
                String::from_utf8_lossy(request)
            ),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn post(path: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

const GET_TOKEN: &[u8] = b"GET /gettoken/ HTTP/1.1\r\nHost: test\r\n\r\n";

async fn small_limit_server() -> TestServer {
    let mut config = Config::for_tests();
    config.max_body_bytes = 1024;
    TestServer::with(config).await
}

#[tokio::test]
async fn unparseable_requests_get_a_4xx_answer() {
    let server = TestServer::start().await;
    let cases: [&[u8]; 7] = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /gettoken/ HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n",
        b"POST /gettoken/ HTTP/1.1\r\nHost: test\r\nContent-Length: abc\r\n\r\n",
        b"GET /\x00 HTTP/1.1\r\nHost: test\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        b"POST /gettoken/ HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ];
    for request in cases {
        let mut conn = Conn::open(&server).await;
        let response = conn.exchange(request).await;
        assert!(
            (400..500).contains(&response.status),
            "{:?} → {}",
            String::from_utf8_lossy(request),
            response.head
        );
    }
}

#[tokio::test]
async fn random_bytes_never_get_a_5xx() {
    let server = TestServer::start().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    for _ in 0..40 {
        let length = rng.gen_range(1..400);
        let mut request: Vec<u8> = (0..length).map(|_| rng.r#gen::<u8>()).collect();
        request.extend_from_slice(b"\r\n\r\n");
        let mut conn = Conn::open(&server).await;
        conn.write(&request).await;
        conn.finish_writing().await;
        if let Some(response) = conn.response().await {
            assert!(response.status < 500, "{:?} → {}", request, response.head);
        }
    }
    // And the server is still fine.
    let mut conn = Conn::open(&server).await;
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);
}

#[tokio::test]
async fn headers_too_large_get_431() {
    let server = TestServer::start().await;
    let mut conn = Conn::open(&server).await;
    let request = format!(
        "GET /gettoken/ HTTP/1.1\r\nHost: test\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let response = conn.exchange(request.as_bytes()).await;
    assert_eq!(response.status, 431, "{}", response.head);
    let mut conn = Conn::open(&server).await;
    let many: String = (0..200).map(|n| format!("X-H{n}: v\r\n")).collect();
    let response = conn
        .exchange(format!("GET /gettoken/ HTTP/1.1\r\nHost: test\r\n{many}\r\n").as_bytes())
        .await;
    assert!((400..500).contains(&response.status), "{}", response.head);
}

#[tokio::test]
async fn bodies_that_are_not_what_they_claim_get_400() {
    let server = TestServer::start().await;
    let mut conn = Conn::open(&server).await;
    let response = conn
        .exchange(&post(
            "/gettoken/",
            "application/json",
            b"\xff\xfe{\"username\":1}",
        ))
        .await;
    assert_eq!(response.status, 400);
    assert!(
        response
            .body_text()
            .starts_with(r#"{"detail":"JSON parse error - "#),
        "{}",
        response.body_text()
    );
    let response = conn
        .exchange(&post(
            "/gettoken/",
            "application/json",
            b"{\"username\":\"\xff\xfe\",\"password\":\"x\"}",
        ))
        .await;
    assert_eq!(response.status, 400, "{}", response.body_text());
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let response = conn
        .exchange(&post("/gettoken/", "application/json", deep.as_bytes()))
        .await;
    assert_eq!(response.status, 400);
    assert!(
        response
            .body_text()
            .starts_with(r#"{"detail":"JSON parse error - "#)
    );
    let response = conn
        .exchange(&post(
            "/gettoken/",
            "application/x-www-form-urlencoded",
            b"username=%ff%fe&password=\xff&&=&%%",
        ))
        .await;
    assert_eq!(response.status, 400, "{}", response.body_text());
    assert_eq!(
        response.body_text(),
        r#"{"non_field_errors":["Unable to log in with provided credentials."]}"#
    );
    let response = conn
        .exchange(&post(
            "/gettoken/",
            "multipart/form-data; boundary=B",
            b"--B\r\nno headers here--B--",
        ))
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        conn.exchange(GET_TOKEN).await.status,
        405,
        "the connection is still usable"
    );
}

#[tokio::test]
async fn broken_chunked_bodies_still_get_an_answer() {
    let server = TestServer::start().await;
    let head = b"POST /gettoken/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

    let mut conn = Conn::open(&server).await;
    conn.write(head).await;
    conn.write(b"10\r\n{\"username\"").await;
    conn.finish_writing().await;
    let response = conn.response().await;
    let response = response.unwrap_or_else(|| panic!("a truncated body must still be answered"));
    assert_eq!(response.status, 400, "{}", response.head);
    assert_eq!(
        response.body_text(),
        r#"{"detail":"Malformed request body."}"#
    );

    let mut conn = Conn::open(&server).await;
    conn.write(head).await;
    let response = conn.exchange(b"zz\r\nnot a chunk\r\n0\r\n\r\n").await;
    assert_eq!(response.status, 400, "{}", response.head);

    let mut conn = Conn::open(&server).await;
    conn.write(b"POST /gettoken/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user").await;
    conn.finish_writing().await;
    let response = conn
        .response()
        .await
        .unwrap_or_else(|| panic!("a short body must still be answered"));
    assert_eq!(response.status, 400, "{}", response.head);
}

#[tokio::test]
async fn an_oversized_body_is_refused_and_the_connection_stays_usable() {
    let server = small_limit_server().await;
    let mut conn = Conn::open(&server).await;
    let body = vec![b'a'; 5000];
    let response = conn
        .exchange(&post("/gettoken/", "application/json", &body))
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(
        response.body_text(),
        r#"{"detail":"Request body exceeds the limit of 1024 bytes."}"#
    );
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);

    // The same with chunked encoding (no Content-Length to reject early).
    let mut chunked = b"POST /api/v1/token/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..5 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'b'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(conn.exchange(&chunked).await.status, 413);
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);

    // An unauthenticated upload declared over the limit is a 413 before authentication,
    // and drained.
    let response = conn
        .exchange(&post("/api/resource/", "application/json", &body))
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);
    // Without a Content-Length to go by, authentication comes first; drained all the same.
    let mut chunked = b"POST /api/resource/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..5 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'b'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(conn.exchange(&chunked).await.status, 401);
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);
}

#[tokio::test]
async fn expect_continue_gets_100_only_under_the_limit() {
    let server = small_limit_server().await;
    let token = server.login().await.access;
    // Over the limit: the final 413 at once, never a 100, and the body is not awaited.
    let mut conn = Conn::open(&server).await;
    let response = conn
        .exchange(b"POST /api/resource/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        .await;
    assert_eq!(response.status, 413, "{}", response.head);
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("connection: close")
    );
    // Under the limit: 100, then the answer once the body is sent.
    let mut conn = Conn::open(&server).await;
    let body = br#"{"field1":"a","field2":"b"}"#;
    let head = format!(
        "POST /api/resource/ HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    let interim = conn.exchange(head.as_bytes()).await;
    assert_eq!(interim.status, 100, "{}", interim.head);
    let response = conn.exchange(body).await;
    assert_eq!(response.status, 201, "{}", response.body_text());
}

/// Requests whose target or protocol the routes are not made for: every one gets a 4xx
/// with a JSON body, none a 5xx or a dropped connection.
#[tokio::test]
async fn odd_methods_targets_and_protocols_get_a_json_4xx() {
    let server = TestServer::start().await;
    let cases: [(&[u8], u16); 7] = [
        (b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", 400),
        (b"CONNECT /gettoken/ HTTP/1.1\r\nHost: test\r\n\r\n", 400),
        (b"OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n", 400),
        (
            b"GET http://test/gettoken/ HTTP/1.1\r\nHost: test\r\n\r\n",
            405,
        ),
        (
            b"GET http://other.example/api/resource/ HTTP/1.1\r\nHost: test\r\n\r\n",
            401,
        ),
        (b"GET /gettoken/ HTTP/1.1\r\n\r\n", 400),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ];
    for (request, status) in cases {
        let mut conn = Conn::open(&server).await;
        let response = conn.exchange(request).await;
        assert_eq!(
            response.status,
            status,
            "{:?} → {}",
            String::from_utf8_lossy(request),
            response.head
        );
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
        assert!(body["detail"].is_string(), "{:?}", response.body_text());
    }
    // Two Host fields are as bad as none.
    let mut conn = Conn::open(&server).await;
    let response = conn
        .exchange(b"GET /gettoken/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        .await;
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn two_authorization_fields_are_a_401() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let mut conn = Conn::open(&server).await;
    let request = format!(
        "GET /api/resource/ HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let response = conn.exchange(request.as_bytes()).await;
    assert_eq!(response.status, 401, "{}", response.body_text());
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer realm=\"api\"")
    );
    let request = format!(
        "GET /api/resource/ HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    assert_eq!(conn.exchange(request.as_bytes()).await.status, 200);
}

#[tokio::test]
async fn a_json_integer_beyond_64_bits_is_stored_as_its_digits() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let mut conn = Conn::open(&server).await;
    let body = br#"{"field1":18446744073709551616,"field2":-123456789012345678901234567890}"#;
    let head = format!(
        "POST /api/resource/ HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    let response = conn.exchange(&request).await;
    assert_eq!(response.status, 201, "{}", response.body_text());
    let created: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
    assert_eq!(created["field1"], "18446744073709551616");
    assert_eq!(created["field2"], "-123456789012345678901234567890");
}

#[tokio::test]
async fn a_declared_length_far_beyond_the_limit_is_answered_without_reading() {
    let server = small_limit_server().await;
    let mut conn = Conn::open(&server).await;
    let response = conn
        .exchange(b"POST /gettoken/ HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{")
        .await;
    assert_eq!(response.status, 413);
}

#[tokio::test]
async fn pipelined_and_odd_but_valid_requests_are_all_answered() {
    let server = TestServer::start().await;
    let mut conn = Conn::open(&server).await;
    let mut pipelined = GET_TOKEN.to_vec();
    pipelined.extend_from_slice(b"BREW /gettoken/ HTTP/1.1\r\nHost: test\r\n\r\n");
    pipelined.extend_from_slice(b"GET /api/resource/ HTTP/1.0\r\n\r\n");
    conn.write(&pipelined).await;
    let first = conn.response().await.map(|r| r.status);
    let second = conn.response().await.map(|r| (r.status, r.body_text()));
    let third = conn.response().await.map(|r| r.status);
    assert_eq!(first, Some(405));
    assert_eq!(
        second,
        Some((
            405,
            r#"{"detail":"Method \"BREW\" not allowed."}"#.to_owned()
        ))
    );
    assert_eq!(third, Some(401));

    let mut conn = Conn::open(&server).await;
    let response = conn
        .exchange(
            b"GET /api/resource/ HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
        )
        .await;
    assert_eq!(response.status, 401);
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer realm=\"api\"")
    );
    let response = conn
        .exchange(b"OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    assert!(response.status < 500, "{}", response.head);
    let response = conn
        .exchange(b"GET /api/resource/%ff%00/ HTTP/1.1\r\nHost: test\r\n\r\n")
        .await;
    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn cleartext_http2_is_served_only_when_asked_for() {
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    let off = TestServer::start().await;
    let mut conn = Conn::open(&off).await;
    assert_eq!(conn.exchange(preface).await.status, 400);

    let mut config = Config::for_tests();
    config.http2 = true;
    let on = TestServer::with(config).await;
    let mut conn = Conn::open(&on).await;
    conn.write(preface).await;
    while conn.buffer.len() < 9 {
        assert!(
            conn.fill().await > 0,
            "the HTTP/2 server closed the connection"
        );
    }
    // The server's first frame is its SETTINGS (type 4, stream 0).
    assert_eq!(conn.buffer[3], 4, "{:?}", &conn.buffer[..9]);
    assert_eq!(&conn.buffer[5..9], &[0, 0, 0, 0]);
    // HTTP/1.1 still works on the same server.
    let mut conn = Conn::open(&on).await;
    assert_eq!(conn.exchange(GET_TOKEN).await.status, 405);
}
