//! The baseline: a bare hyper HTTP/1.1 server answering a fixed 200 JSON to any request, with
//! a body of the reference server's size on its routes. It reads each request body, as the
//! reference server must, and does nothing else: the reference server's throughput divided by
//! this one's is the price of everything it does (routing, body parsing, token verification,
//! JSON replies, its access log), measured on the same machine at the same moment.
//!
//! [`spawn`] runs it inside a bench's process; the `bare-hyper` binary runs it in its own.

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
    let task = tokio::spawn(serve(listener));
    Ok(Baseline { addr, task })
}

/// Serves every connection `listener` accepts, HTTP/1.1 with keep-alive, until dropped.
pub async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

/// Any request: a fixed 200 JSON, the size of the reference server's answer on its routes
/// (and of the shape the load command's preparation reads: `access` at login, `id` on create).
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let _ = body.collect().await;
    let path = parts.uri.path();
    let body = match parts.method {
        Method::POST if path == "/verifytoken/" => r#"{"status":"valid"}"#,
        // The load command creates the item it reads: its POST gets the item too.
        Method::GET if is_resource_item(path) => RESOURCE,
        Method::POST if path == "/api/resource/" => RESOURCE,
        Method::POST if path == "/gettoken/" => OBTAINED,
        _ => "{}",
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

const RESOURCE: &str = r#"{"id":1,"field1":"load","field2":"run"}"#;

/// A token pair's size: `{"refresh":"…","access":"…"}` with two tokens of ~200 characters.
const OBTAINED: &str = concat!(
    r#"{"refresh":""#,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MCwiaWF0IjowLCJqdGkiOiIwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCIsInVzZXJfaWQiOiIxIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    r#"","access":""#,
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjowLCJpYXQiOjAsImp0aSI6IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwIiwidXNlcl9pZCI6IjEifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    r#""}"#
);

fn is_resource_item(path: &str) -> bool {
    path.strip_prefix("/api/resource/")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}
