//! The baseline: a bare hyper HTTP/1.1 server answering a fixed 200 on the reference server's
//! route shape. It reads each request body, as the reference server must, and does nothing
//! else: the reference server's throughput divided by this one's is the price of everything
//! it does (routing, body parsing, token verification, JSON replies), measured on the same
//! machine at the same moment.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running baseline server; stops when dropped.
#[derive(Debug)]
pub struct Baseline {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Baseline {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the baseline on `127.0.0.1:0` in the current runtime.
pub async fn spawn() -> std::io::Result<Baseline> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    });
    Ok(Baseline { addr, task })
}

/// POST /verifytoken/, POST /api/v1/token/verify/, GET /api/resource/{id}/: a fixed 200.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let _ = body.collect().await;
    let path = parts.uri.path();
    let fixed: Option<&'static str> = match parts.method {
        Method::POST if path == "/verifytoken/" => Some(r#"{"status":"valid"}"#),
        Method::POST if path == "/api/v1/token/verify/" => Some("{}"),
        Method::GET if is_resource_item(path) => Some(r#"{"id":1,"field1":"load","field2":"run"}"#),
        _ => None,
    };
    let (status, body) = match fixed {
        Some(body) => (StatusCode::OK, body),
        None => (StatusCode::NOT_FOUND, r#"{"detail":"Not found."}"#),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

fn is_resource_item(path: &str) -> bool {
    path.strip_prefix("/api/resource/")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}
