//! The request loop: keep-alive HTTP/1.1 connections (TLS for https), each driven by one task,
//! sending a workload until a budget of requests or time is spent, with latencies in HDR
//! histograms. Connections go straight to the target: proxy environment variables do not apply.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::CONNECTION;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Workload;
use crate::tls::{Stream, Transport};
use rustls::pki_types::ServerName;

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be (re)opened.
    Connect(String),
    /// No whole response within the request timeout.
    Timeout,
    /// The connection failed mid-request (reset, closed, malformed response).
    Io(String),
}

impl Failure {
    /// Its label in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Connect(_) => "connect",
            Failure::Timeout => "timeout",
            Failure::Io(_) => "io",
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "cannot connect: {e}"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::Io(e) => write!(f, "connection failed: {e}"),
        }
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

/// One HTTP/1.1 keep-alive connection; reopened when the server closes it (`Connection:
/// close`, as gunicorn's sync workers answer) or a request on it is abandoned.
///
/// hyper's connection future is polled by the task that sends, not by a task of its own:
/// one task per connection and no cross-task wake-up per request, so the client takes as
/// little of the machine it shares with the server as it can.
#[derive(Debug)]
pub struct Connection {
    dial: Dial,
    link: Option<Link>,
}

/// Where a connection goes, and over TLS for which server name (https).
#[derive(Debug, Clone)]
pub struct Dial {
    /// The socket address.
    pub addr: SocketAddr,
    /// TLS settings and the name to verify; `None`: plain http.
    pub tls: Option<(Transport, ServerName<'static>)>,
}

impl Dial {
    /// Plain HTTP to `addr`.
    pub fn plain(addr: SocketAddr) -> Dial {
        Dial { addr, tls: None }
    }
}

type Wire = hyper::client::conn::http1::Connection<TokioIo<Stream>, Full<Bytes>>;

/// An open connection: hyper's request handle and the future that does its I/O.
struct Link {
    sender: SendRequest<Full<Bytes>>,
    wire: Pin<Box<Wire>>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link").finish_non_exhaustive()
    }
}

impl Link {
    async fn open(dial: &Dial) -> Result<Link, Failure> {
        let tcp = TcpStream::connect(dial.addr)
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        // Requests are small and latency is the measurement: no Nagle delay (set by `wrap`).
        let stream = match &dial.tls {
            None => {
                let _ = tcp.set_nodelay(true);
                Stream::Plain(tcp)
            }
            Some((transport, name)) => transport
                .wrap(tcp, Some(name))
                .await
                .map_err(|e| Failure::Connect(e.to_string()))?,
        };
        let (sender, wire) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Connect(e.to_string()))?;
        Ok(Link {
            sender,
            wire: Box::pin(wire),
        })
    }

    /// False when the server closed it while idle (its FIN is read by polling the wire once).
    async fn is_open(&mut self) -> bool {
        let wire = &mut self.wire;
        std::future::poll_fn(|cx| Poll::Ready(wire.as_mut().poll(cx).is_pending())).await
            && !self.sender.is_closed()
    }
}

impl Connection {
    /// Connects now, so that connection setup is not part of the first request's latency.
    pub async fn open(addr: SocketAddr) -> Result<Connection, Failure> {
        Connection::dial(Dial::plain(addr)).await
    }

    /// Connects as `dial` says (TLS included), now.
    pub async fn dial(dial: Dial) -> Result<Connection, Failure> {
        let link = Some(Link::open(&dial).await?);
        Ok(Connection { dial, link })
    }

    /// `n` connections to `addr`.
    pub async fn open_many(addr: SocketAddr, n: usize) -> Result<Vec<Connection>, Failure> {
        Connection::dial_many(&Dial::plain(addr), n).await
    }

    /// `n` connections as `dial` says.
    pub async fn dial_many(dial: &Dial, n: usize) -> Result<Vec<Connection>, Failure> {
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            all.push(Connection::dial(dial.clone()).await?);
        }
        Ok(all)
    }

    /// Sends one request and reads the whole response. Dropping the future abandons the
    /// request and, with it, the connection (HTTP/1 cannot cancel one request).
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Reply, Failure> {
        let mut link = match self.link.take() {
            Some(link) => link,
            None => Link::open(&self.dial).await?,
        };
        if !link.is_open().await {
            link = Link::open(&self.dial).await?;
        }
        let (outcome, ended) = link.exchange(request).await;
        let (reply, close) = outcome.map_err(|e| Failure::Io(e.to_string()))?;
        if !(close || ended) {
            self.link = Some(link);
        }
        Ok(reply)
    }
}

impl Link {
    /// The request and its whole response, and whether the server closed the connection.
    async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> (Result<(Reply, bool), hyper::Error>, bool) {
        let Link { sender, wire } = self;
        let exchange = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let close = response
                .headers()
                .get(CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((Reply { status, body }, close))
        };
        let mut exchange = std::pin::pin!(exchange);
        tokio::select! {
            biased;
            outcome = &mut exchange => (outcome, false),
            // The server closed the connection: what it sent before is still delivered.
            _ = wire.as_mut() => (exchange.await, true),
        }
    }
}

/// When a run stops, and how its requests are paced.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// At most this many requests are sent.
    pub max_requests: u64,
    /// Nothing is sent after this; requests still in flight then are abandoned, not counted.
    pub deadline: Option<Instant>,
    /// Open model: request `i` is due at `start + i / rate`. `None`: closed model, each
    /// connection sends its next request as soon as the previous one is answered.
    pub rate: Option<f64>,
    /// Longest wait for one response.
    pub request_timeout: Duration,
}

/// Counters the progress line reads while the loop runs.
#[derive(Debug, Default)]
pub struct Live {
    /// Requests finished (answered or failed).
    pub done: AtomicU64,
    /// Requests that got no response.
    pub failed: AtomicU64,
}

/// Highest latency recorded: one hour, in nanoseconds (longer is recorded as one hour).
const HIGHEST_NS: u64 = 3_600_000_000_000;

/// An empty latency histogram: nanoseconds, three significant digits.
pub fn histogram() -> Result<Histogram<u64>, String> {
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).map_err(|e| format!("histogram: {e}"))
}

/// What the request loop saw.
#[derive(Debug, Clone)]
pub struct Tally {
    /// From sending a request to having its whole response, in nanoseconds.
    pub raw: Histogram<u64>,
    /// Open model only: from the time the request was due to having its whole response.
    pub from_due: Option<Histogram<u64>>,
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests without a response, by [`Failure::kind`].
    pub failures: BTreeMap<&'static str, u64>,
    /// From the start of the loop to the end of its last request.
    pub elapsed: Duration,
    /// Connections used.
    pub connections: usize,
    /// Responses (any status) completed in each second of the run, from its start: one
    /// count per second up to a second past the deadline (at most [`MAX_SECONDS`] + 2), none
    /// without a deadline.
    pub per_second: Vec<u64>,
}

impl Tally {
    /// Responses of any status.
    pub fn responses(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// 2xx responses.
    pub fn successes(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(status, _)| (200..300).contains(*status))
            .map(|(_, n)| n)
            .sum()
    }

    /// The coordinated-omission-corrected histogram, and how it was corrected. Open model:
    /// latency from each request's due time (the schedule does not wait for a slow server).
    /// Closed model: wrk's correction, every latency above the mean interval between requests
    /// on one connection also stands for the requests a waiting client did not send.
    pub fn corrected(&self) -> (Histogram<u64>, String) {
        if let Some(from_due) = &self.from_due {
            return (
                from_due.clone(),
                "open model: measured from each request's due time".into(),
            );
        }
        let per_connection = self.raw.len() / self.connections.max(1) as u64;
        if per_connection == 0 {
            return (
                self.raw.clone(),
                "closed model: too few requests to correct".into(),
            );
        }
        let interval = self.elapsed.as_nanos() as u64 / per_connection;
        (
            self.raw.clone_correct(interval),
            format!(
                "closed model: wrk's correction, expected interval {:.3} ms per connection",
                interval as f64 / 1e6
            ),
        )
    }
}

/// Most seconds counted by [`Tally::per_second`]: the longest run `--duration` allows.
pub const MAX_SECONDS: usize = 3600;

/// One response: its latency, its latency from its due time (open model), and the second of
/// the run it completed in.
type Sample = (u64, Option<u64>, u32);

/// Latencies waiting to be added to the shared histograms (one lock per batch, not per request).
struct Batch {
    samples: Vec<Sample>,
}

const BATCH: usize = 256;

/// The shared histograms, filled in batches.
struct Recorder {
    raw: Histogram<u64>,
    from_due: Option<Histogram<u64>>,
    /// Responses per second of the run: bounded by the deadline, filled with each batch.
    per_second: Vec<u64>,
}

impl Batch {
    fn flush(&mut self, recorder: &Mutex<Recorder>) {
        let mut recorder = recorder.lock().unwrap_or_else(PoisonError::into_inner);
        for (raw, due, second) in self.samples.drain(..) {
            recorder.raw.saturating_record(raw.max(1));
            if let (Some(due), Some(h)) = (due, recorder.from_due.as_mut()) {
                h.saturating_record(due.max(1));
            }
            if let Some(count) = recorder.per_second.get_mut(second as usize) {
                *count += 1;
            }
        }
    }
}

/// Sends the workload over `connections` (one task each) until the budget is spent; gives
/// the connections back for the next call, and what it saw.
pub async fn drive(
    connections: Vec<Connection>,
    workload: &Workload,
    budget: Budget,
    live: Arc<Live>,
) -> Result<(Vec<Connection>, Tally), String> {
    let start = Instant::now();
    // Requests in flight at the deadline are cut off there, so a response completes at most a
    // moment after it (the time to notice): one second more than the deadline's covers it.
    let seconds = budget.deadline.map_or(0, |deadline| {
        (deadline.saturating_duration_since(start).as_secs() as usize + 2).min(MAX_SECONDS + 2)
    });
    let recorder = Arc::new(Mutex::new(Recorder {
        raw: histogram()?,
        from_due: budget.rate.map(|_| histogram()).transpose()?,
        per_second: vec![0; seconds],
    }));
    let next = Arc::new(AtomicU64::new(0));
    let n = connections.len();
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|conn| {
            tokio::spawn(connection_loop(
                conn,
                workload.clone(),
                budget,
                start,
                next.clone(),
                recorder.clone(),
                live.clone(),
            ))
        })
        .collect();
    let mut connections = Vec::with_capacity(n);
    let mut statuses = BTreeMap::new();
    let mut failures = BTreeMap::new();
    for task in tasks {
        if let Ok((conn, own_statuses, own_failures)) = task.await {
            connections.push(conn);
            for (status, count) in own_statuses {
                *statuses.entry(status).or_insert(0) += count;
            }
            for (kind, count) in own_failures {
                *failures.entry(kind).or_insert(0) += count;
            }
        }
    }
    let elapsed = start.elapsed();
    let recorder = Arc::try_unwrap(recorder)
        .map_err(|_| "a connection task outlived the run".to_string())?
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    Ok((
        connections,
        Tally {
            raw: recorder.raw,
            from_due: recorder.from_due,
            statuses,
            failures,
            elapsed,
            connections: n,
            per_second: recorder.per_second,
        },
    ))
}

type Counts = (Connection, BTreeMap<u16, u64>, BTreeMap<&'static str, u64>);

async fn connection_loop(
    mut conn: Connection,
    workload: Workload,
    budget: Budget,
    start: Instant,
    next: Arc<AtomicU64>,
    recorder: Arc<Mutex<Recorder>>,
    live: Arc<Live>,
) -> Counts {
    let mut statuses = BTreeMap::new();
    let mut failures = BTreeMap::new();
    let mut batch = Batch {
        samples: Vec::with_capacity(BATCH),
    };
    loop {
        let slot = next.fetch_add(1, Ordering::Relaxed);
        if slot >= budget.max_requests {
            break;
        }
        let due = match budget.rate {
            Some(rate) => {
                let due = start + Duration::from_secs_f64(slot as f64 / rate);
                if budget.deadline.is_some_and(|deadline| due >= deadline) {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                Some(due)
            }
            None => None,
        };
        let sent = Instant::now();
        if budget.deadline.is_some_and(|deadline| sent >= deadline) {
            break;
        }
        let timeout = sent + budget.request_timeout;
        let stop = budget.deadline.map_or(timeout, |d| d.min(timeout));
        let outcome = tokio::time::timeout_at(stop.into(), conn.send(workload.request(slot))).await;
        let done = Instant::now();
        match outcome {
            Ok(Ok(reply)) => {
                *statuses.entry(reply.status.as_u16()).or_insert(0) += 1;
                let due = due.map(|due| (done - due).as_nanos() as u64);
                let second = u32::try_from((done - start).as_secs()).unwrap_or(u32::MAX);
                batch
                    .samples
                    .push(((done - sent).as_nanos() as u64, due, second));
                if batch.samples.len() == BATCH {
                    batch.flush(&recorder);
                }
            }
            // Cut off by the end of the run, not by the server: not counted.
            Err(_) if stop < timeout => break,
            Err(_) => {
                *failures.entry(Failure::Timeout.kind()).or_insert(0) += 1;
                live.failed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(failure)) => {
                *failures.entry(failure.kind()).or_insert(0) += 1;
                live.failed.fetch_add(1, Ordering::Relaxed);
                if matches!(failure, Failure::Connect(_)) {
                    // A refused connection fails at once: do not spin through the budget.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
        live.done.fetch_add(1, Ordering::Relaxed);
    }
    batch.flush(&recorder);
    (conn, statuses, failures)
}
