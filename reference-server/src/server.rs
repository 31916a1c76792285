//! Serving connections: the accept loop with its connection limit, each connection's
//! timeouts (headers, idle keep-alive, response writes), the guard in front of the routes
//! (request targets the routes cannot take, a missing `Host`, panics), and graceful shutdown
//! with a deadline.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::FutureExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use warp::http::header::HOST;
#[cfg(test)]
use warp::http::header::HeaderValue;
use warp::http::{Method, Request, Version};
use warp::reply::Response;

use crate::error::ApiError;
use crate::handlers::health;
use crate::log_format::ACCESS;
use crate::routes::routes;
use crate::state::AppState;

/// How long each phase of a connection may take, and how many connections there may be.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the first byte of a request to the end of its headers.
    pub header_read_timeout: Duration,
    /// Between requests on a kept-alive connection (and before the first one).
    pub idle_timeout: Duration,
    /// A response write that makes no progress for this long ends the connection.
    pub write_timeout: Duration,
    /// After the shutdown signal, how long open requests may take before every connection
    /// is closed.
    pub shutdown_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Serve cleartext HTTP/2 (prior knowledge) besides HTTP/1.1.
    pub http2: bool,
}

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Serves `state`'s routes on `listener` until `shutdown` completes; then stops accepting,
/// lets open requests finish for up to `limits.shutdown_timeout`, and closes what is left.
pub async fn run<F>(listener: TcpListener, state: AppState, limits: Limits, shutdown: F)
where
    F: Future<Output = ()> + Send,
{
    let limits = Arc::new(limits);
    let service = TowerToHyperService::new(warp::service(routes(state)));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors and the like: wait for connections to close.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = service.clone();
        let limits = Arc::clone(&limits);
        let stopping = stopping.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, service, &limits, stopping).await;
            drop(slot);
        });
    }
    drop(listener);
    let open = connections.len();
    let _ = stop.send(true);
    if open > 0 {
        tracing::info!(
            open,
            "shutting down: letting open requests finish for up to {}",
            humantime::format_duration(limits.shutdown_timeout)
        );
    }
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            left = connections.len(),
            "shutdown deadline reached: closing the remaining connections"
        );
        connections.shutdown().await;
    }
}

/// One connection, from its first byte to its close (or the shutdown deadline, when the
/// task is aborted).
async fn serve_connection<S>(
    stream: TcpStream,
    peer: SocketAddr,
    service: S,
    limits: &Limits,
    mut stopping: watch::Receiver<bool>,
) where
    S: hyper::service::Service<Request<Incoming>, Response = Response, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let _ = stream.set_nodelay(true);
    let state = Arc::new(ConnState::new());
    if !limits.http2 {
        // A connection that has sent nothing yet is idle: shutting down closes it at once.
        let preface = tokio::select! {
            preface = h2_preface(&stream, limits.header_read_timeout) => preface,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        match preface {
            Ok(true) => {
                refuse_h2(stream, peer).await;
                return;
            }
            Ok(false) => {}
            Err(err) => {
                tracing::debug!(%peer, %err, "connection closed before its first request");
                return;
            }
        }
    }
    let io = TokioIo::new(TimedIo::new(stream, Arc::clone(&state), limits));
    let guard = Guard {
        inner: service,
        conn: Arc::clone(&state),
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // Half-close: a client may shut its writing side once the request is sent and still
    // expect the answer.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .half_close(true);
    if !limits.http2 {
        builder = builder.http1_only();
    }
    let connection = builder.serve_connection(io, guard);
    let mut connection = std::pin::pin!(connection);
    let result = loop {
        tokio::select! {
            result = connection.as_mut() => break result,
            changed = stopping.changed(), if !*stopping.borrow() => {
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    };
    // A connection cut for slowness is routine, and so is a client that goes away: neither
    // is an error of the server.
    match (state.cut_reason(), result) {
        (Some(reason @ "idle keep-alive timeout"), _) => {
            tracing::debug!(%peer, "connection closed: {reason}");
        }
        (Some(reason), _) => tracing::info!(%peer, "connection closed: {reason}"),
        (None, Err(err)) => tracing::debug!(%peer, error = %err, "connection ended"),
        (None, Ok(())) => {}
    }
}

/// Whether the connection opens with the HTTP/2 preface. Reads nothing: the bytes stay for
/// HTTP/1. Waits for more bytes only while those seen are a strict prefix of the preface.
async fn h2_preface(stream: &TcpStream, within: Duration) -> io::Result<bool> {
    let deadline = Instant::now() + within;
    let mut seen = [0u8; 24];
    loop {
        let n = match tokio::time::timeout_at(deadline, stream.peek(&mut seen)).await {
            Ok(peeked) => peeked?,
            // Left to the header timeout of HTTP/1.
            Err(_) => return Ok(false),
        };
        if n == 0 || !H2_PREFACE.starts_with(&seen[..n]) {
            return Ok(false);
        }
        if n == H2_PREFACE.len() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// An HTTP/2 client on a server without `--http2`: one HTTP/1.1 400 naming the flag, then the
/// connection is closed (after reading what the client sent, so the answer is not lost).
async fn refuse_h2(mut stream: TcpStream, peer: SocketAddr) {
    tracing::info!(%peer, "HTTP/2 connection refused: cleartext HTTP/2 is off (--http2)");
    let body = r#"{"detail":"HTTP/2 is not enabled on this server."}"#;
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut preface = [0u8; 24];
    let _ = stream.read_exact(&mut preface).await;
    if stream.write_all(answer.as_bytes()).await.is_ok() {
        let _ = stream.shutdown().await;
        let mut rest = [0u8; 4096];
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while matches!(stream.read(&mut rest).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// What one connection is doing, shared by its IO (which enforces the read deadlines) and
/// its service (which knows when a request is in the handlers' hands).
#[derive(Debug)]
struct ConnState {
    in_service: AtomicUsize,
    phase: Mutex<Phase>,
    cut: Mutex<Option<&'static str>>,
    /// The read that went pending without a deadline while a request was in service: woken
    /// when the request is done, so that the idle deadline is armed.
    parked_read: Mutex<Option<Waker>>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// No byte of a next request yet, since this instant.
    Idle(Instant),
    /// The first byte of a request arrived at this instant; its headers are not complete.
    Head(Instant),
}

impl ConnState {
    fn new() -> ConnState {
        ConnState {
            in_service: AtomicUsize::new(0),
            phase: Mutex::new(Phase::Idle(Instant::now())),
            cut: Mutex::new(None),
            parked_read: Mutex::new(None),
        }
    }

    fn set_phase(&self, phase: Phase) {
        if let Ok(mut current) = self.phase.lock() {
            *current = phase;
        }
    }

    fn bytes_arrived(&self) {
        if self.in_service.load(Ordering::Acquire) == 0
            && let Ok(mut phase) = self.phase.lock()
            && let Phase::Idle(_) = *phase
        {
            *phase = Phase::Head(Instant::now());
        }
    }

    /// The instant a pending read gives up, and why; `None` while a request is being
    /// handled (its body has its own timeout, in `body::read`).
    fn read_deadline(&self, limits: &Timeouts) -> Option<(Instant, &'static str)> {
        if self.in_service.load(Ordering::Acquire) > 0 {
            return None;
        }
        match *self.phase.lock().ok()? {
            Phase::Idle(since) => Some((since + limits.idle, "idle keep-alive timeout")),
            Phase::Head(since) => Some((since + limits.header, "request headers too slow")),
        }
    }

    fn mark_cut(&self, reason: &'static str) {
        if let Ok(mut cut) = self.cut.lock() {
            cut.get_or_insert(reason);
        }
    }

    fn cut_reason(&self) -> Option<&'static str> {
        self.cut.lock().ok().and_then(|cut| *cut)
    }
}

/// A request in the handlers' hands: counted from the service call to its answer.
struct InService(Arc<ConnState>);

impl InService {
    fn enter(conn: &Arc<ConnState>) -> InService {
        // The phase is not read while a request is in service; leaving it sets it.
        conn.in_service.fetch_add(1, Ordering::AcqRel);
        InService(Arc::clone(conn))
    }
}

impl Drop for InService {
    fn drop(&mut self) {
        self.0.set_phase(Phase::Idle(Instant::now()));
        if self.0.in_service.fetch_sub(1, Ordering::AcqRel) == 1
            && let Some(read) = self
                .0
                .parked_read
                .lock()
                .ok()
                .and_then(|mut read| read.take())
        {
            read.wake();
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Timeouts {
    header: Duration,
    idle: Duration,
    write: Duration,
}

/// The socket, with the connection's read deadlines and the response write timeout: a
/// deadline that passes fails the pending read or write, which ends the connection.
struct TimedIo {
    inner: TcpStream,
    conn: Arc<ConnState>,
    timeouts: Timeouts,
    read_timer: Option<(Instant, Pin<Box<Sleep>>)>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

impl TimedIo {
    fn new(inner: TcpStream, conn: Arc<ConnState>, limits: &Limits) -> TimedIo {
        TimedIo {
            inner,
            conn,
            timeouts: Timeouts {
                header: limits.header_read_timeout,
                idle: limits.idle_timeout,
                write: limits.write_timeout,
            },
            read_timer: None,
            write_timer: None,
        }
    }

    fn poll_write_deadline<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.write_timer = None;
            return polled;
        }
        let write = self.timeouts.write;
        let timer = self
            .write_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(write)));
        if timer.as_mut().poll(cx).is_ready() {
            self.conn.mark_cut("response write timeout");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "response write timeout",
            )));
        }
        Poll::Pending
    }
}

impl AsyncRead for TimedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.conn.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending => {
                let Some((deadline, reason)) = this.conn.read_deadline(&this.timeouts) else {
                    if let Ok(mut parked) = this.conn.parked_read.lock() {
                        *parked = Some(cx.waker().clone());
                    }
                    // The request may have ended in between: then no one would wake this read.
                    if this.conn.in_service.load(Ordering::Acquire) == 0 {
                        cx.waker().wake_by_ref();
                    }
                    return Poll::Pending;
                };
                let (armed, timer) = this.read_timer.get_or_insert_with(|| {
                    (deadline, Box::pin(tokio::time::sleep_until(deadline)))
                });
                // Every request moves the idle deadline later; the timer is moved only when
                // it fires early (or the deadline comes closer): resetting it costs a lock of
                // the runtime's timer wheel, which would otherwise be taken once per request.
                if deadline < *armed {
                    *armed = deadline;
                    timer.as_mut().reset(deadline);
                }
                while timer.as_mut().poll(cx).is_ready() {
                    if *armed >= deadline {
                        this.conn.mark_cut(reason);
                        let err = io::Error::new(io::ErrorKind::TimedOut, reason);
                        return Poll::Ready(Err(err));
                    }
                    *armed = deadline;
                    timer.as_mut().reset(deadline);
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for TimedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.poll_write_deadline(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.poll_write_deadline(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.poll_write_deadline(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// In front of the routes: answers what they cannot take, and turns a panic into a 500.
#[derive(Clone)]
struct Guard<S> {
    inner: S,
    conn: Arc<ConnState>,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S, B> hyper::service::Service<Request<B>> for Guard<S>
where
    S: hyper::service::Service<Request<B>, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, request: Request<B>) -> Answer {
        let in_service = InService::enter(&self.conn);
        if let Some(refused) = refuse(&request) {
            // The path only: a query string may carry a token.
            tracing::info!(
                target: ACCESS,
                method = request.method().as_str(),
                path = request.uri().path(),
                status = refused.status().as_u16(),
                "request"
            );
            return Box::pin(async move {
                drop(in_service);
                Ok(refused)
            });
        }
        // What the access line and the panic log name; a clone of the URI shares its bytes,
        // nothing is copied.
        let method = request.method().clone();
        let uri = request.uri().clone();
        let started = Instant::now();
        let answered = move |outcome: std::thread::Result<Result<Response, Infallible>>| {
            drop(in_service);
            let path = uri.path();
            let response = outcome.unwrap_or_else(|panic| {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|text| (*text).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(%method, path, panic = message, "a request handler panicked; answered 500");
                Ok(ApiError::Internal.into_response())
            });
            if let Ok(response) = &response {
                log_access(&method, path, response.status().as_u16(), started);
            }
            response
        };
        // The route's future goes into the box as it is, wrapped but not moved into an
        // `async` block: such a block would hold it twice (before and while it is awaited),
        // and every request would copy both into the heap.
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request))) {
            Ok(future) => Box::pin(AssertUnwindSafe(future).catch_unwind().map(answered)),
            Err(panic) => Box::pin(std::future::ready(answered(Err(panic)))),
        }
    }
}

/// The access log's line of an answered request (the path only: a query string may carry a
/// token). An orchestrator probes the health check every few seconds, forever: at INFO those
/// lines would bury the requests that matter, so they are at DEBUG.
fn log_access(method: &Method, path: &str, status: u16, started: Instant) {
    macro_rules! access {
        ($level:ident) => {
            tracing::$level!(
                target: ACCESS,
                method = method.as_str(),
                path,
                status,
                latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "request"
            )
        };
    }
    if path == health::PATH {
        access!(debug);
    } else {
        access!(info);
    }
}

/// Requests the routes are not made for: a target that is not a path (`CONNECT host:port`,
/// `OPTIONS *`), and an HTTP/1.1 request without exactly one `Host` (RFC 9112 §3.2).
fn refuse<B>(request: &Request<B>) -> Option<Response> {
    let path = request.uri().path();
    if *request.method() == Method::CONNECT || !path.starts_with('/') {
        return Some(ApiError::BadRequestTarget.into_response());
    }
    if request.version() == Version::HTTP_11 && request.headers().get_all(HOST).iter().count() != 1
    {
        return Some(ApiError::MissingHost.into_response());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::service::Service as _;

    #[derive(Clone)]
    struct Panics;

    impl hyper::service::Service<Request<()>> for Panics {
        type Response = Response;
        type Error = Infallible;
        type Future = Answer;
        fn call(&self, request: Request<()>) -> Answer {
            if request.uri().path() == "/now" {
                panic!("while building the answer");
            }
            Box::pin(async { panic!("while answering") })
        }
    }

    fn request(target: &str) -> Request<()> {
        let mut request = Request::new(());
        *request.uri_mut() = target.parse().unwrap_or_default();
        request
            .headers_mut()
            .insert(HOST, HeaderValue::from_static("test"));
        request
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_and_the_connection_state_recovers() {
        let conn = Arc::new(ConnState::new());
        let guard = Guard {
            inner: Panics,
            conn: Arc::clone(&conn),
        };
        for target in ["/now", "/later"] {
            let answer = guard.call(request(target)).await;
            let Ok(answer) = answer;
            assert_eq!(
                answer.status(),
                warp::http::StatusCode::INTERNAL_SERVER_ERROR
            );
        }
        assert_eq!(conn.in_service.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn targets_that_are_not_paths_and_missing_hosts_get_400() {
        let guard = Guard {
            inner: Panics,
            conn: Arc::new(ConnState::new()),
        };
        let mut connect = request("a:1");
        *connect.method_mut() = Method::CONNECT;
        let mut no_host = request("/gettoken/");
        no_host.headers_mut().remove(HOST);
        let mut two_hosts = request("/gettoken/");
        two_hosts
            .headers_mut()
            .append(HOST, HeaderValue::from_static("other"));
        for refused in [connect, request("*"), no_host, two_hosts] {
            let Ok(answer) = guard.call(refused).await;
            assert_eq!(answer.status(), warp::http::StatusCode::BAD_REQUEST);
        }
        let mut old = request("/gettoken/");
        old.headers_mut().remove(HOST);
        *old.version_mut() = Version::HTTP_10;
        assert!(refuse(&old).is_none());
    }
}
