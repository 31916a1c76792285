//! Optional endpoints and slow targets: the `v1` profile's verify endpoint is probed, and a
//! target without it has those scenarios skipped with one reason; a path a profile file names
//! is required; a login too slow for the token lifetimes and `--concurrency` is warned about.

mod support;

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const KEY: &str = "optional-endpoints-test-key-0123456789abcdef";

async fn server(access: Duration) -> reference_server::RunningServer {
    support::server(KEY, access).await
}

/// A front on 127.0.0.1:0 that answers `absent` with an HTML 404 (as a Django app without
/// that route does) and forwards everything else to `backend`.
struct Front {
    base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn without_path(backend: String, absent: &'static str) -> Front {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Arc::new(reqwest::Client::new());
    let backend = Arc::new(backend);
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (client, backend) = (client.clone(), backend.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (client, backend) = (client.clone(), backend.clone());
                    async move { Ok::<_, Infallible>(forward(&client, &backend, absent, req).await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    Front { base_url, task }
}

async fn forward(
    client: &reqwest::Client,
    backend: &str,
    absent: &str,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let reply = |status: u16, body: &'static str| {
        let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
        *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/html"),
        );
        r
    };
    if req.uri().path() == absent {
        return reply(404, "<h1>Not Found</h1>");
    }
    let url = format!("{backend}{}", req.uri());
    let method = req.method().clone();
    let headers = req.headers().clone();
    let Ok(body) = req.into_body().collect().await.map(|b| b.to_bytes()) else {
        return reply(400, "bad body");
    };
    let mut out = client.request(method, url).body(body);
    for (k, v) in &headers {
        if k != hyper::header::HOST && k != hyper::header::CONTENT_LENGTH {
            out = out.header(k, v);
        }
    }
    let Ok(resp) = out.send().await else {
        return reply(502, "bad gateway");
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.unwrap_or_default();
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    for (k, v) in &headers {
        if k != hyper::header::CONTENT_LENGTH && k != hyper::header::TRANSFER_ENCODING {
            r.headers_mut().append(k, v.clone());
        }
    }
    r
}

async fn run_async(args: Vec<String>) -> (i32, String, String) {
    support::Invocation::new(args)
        .env_clear()
        .quiet()
        .output_async()
        .await
        .triple()
}

fn args(base_url: &str, login: &str, extra: &[&str]) -> Vec<String> {
    support::target_args(base_url, login, KEY, extra)
}

const VERIFY: &str = "/api/v1/token/verify/";

#[tokio::test(flavor = "multi_thread")]
async fn v1_without_a_verify_endpoint_skips_its_scenarios_with_one_reason() {
    let srv = server(Duration::from_secs(60)).await;
    let front = without_path(srv.base_url(), VERIFY).await;
    let (code, out, err) = run_async(args(
        &front.base_url,
        "erin@example.com",
        &["--profile", "v1", "--tags", "@verifying and not @waits"],
    ))
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let reason =
        format!("the target has no verify endpoint (probed POST {VERIFY} before the run: 404)");
    let skip_lines: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("SKIPPED"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(skip_lines.len(), 1, "one reason line:\n{out}");
    assert!(skip_lines[0].contains(&reason), "{out}");
    assert!(out.contains("CONFORMS"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verify_path_a_profile_file_names_is_required() {
    let srv = server(Duration::from_secs(60)).await;
    let front = without_path(srv.base_url(), VERIFY).await;
    let profile = std::env::temp_dir().join(format!("named-verify-{}.toml", std::process::id()));
    std::fs::write(
        &profile,
        format!("base = \"v1\"\n[endpoints]\nverify = \"{VERIFY}\"\n"),
    )
    .expect("write");
    let (code, out, err) = run_async(args(
        &front.base_url,
        "erin@example.com",
        &[
            "--profile",
            &profile.to_string_lossy(),
            "--tags",
            "@verifying and not @waits",
        ],
    ))
    .await;
    let _ = std::fs::remove_file(&profile);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(!out.contains("has no verify endpoint"), "{out}");
    assert!(out.contains("DOES NOT CONFORM"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_present_verify_endpoint_is_checked() {
    let srv = server(Duration::from_secs(60)).await;
    let (code, out, err) = run_async(args(
        &srv.base_url(),
        "erin@example.com",
        &["--profile", "v1", "--tags", "@verifying and not @waits"],
    ))
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!out.contains("SKIPPED"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_login_too_slow_for_the_lifetimes_and_concurrency_is_warned_about() {
    let srv = server(Duration::from_secs(1)).await;
    let (code, out, err) = run_async(args(
        &srv.base_url(),
        "erin",
        &[
            "--concurrency",
            "1024",
            "--name",
            "^GET on the obtain endpoint is a 405",
        ],
    ))
    .await;
    assert_eq!(code, 0, "{out}\n{err}");
    let warning: Vec<&str> = err.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(warning.len(), 1, "{err}");
    let w = warning[0];
    assert!(w.contains("one login took"), "{w}");
    assert!(w.contains("--concurrency 1024"), "{w}");
    assert!(w.contains("the 1 s access tokens"), "{w}");
    assert!(w.contains("lower --concurrency"), "{w}");

    let (code, _, err) = run_async(args(
        &srv.base_url(),
        "erin",
        &[
            "--concurrency",
            "1",
            "--name",
            "^GET on the obtain endpoint is a 405",
        ],
    ))
    .await;
    assert_eq!(code, 0, "{err}");
    // One login of a debug build is far below half a second.
    assert!(!err.contains("warning:"), "{err}");
}
