//! Over HTTP, in one process: `POST /verifytoken/`, `POST /api/v1/token/verify/` and `GET /api/resource/{id}/`
//! on the reference server (started in-process on port 0, or `BASE_URL` with `LOGIN` and
//! `PASSWORD`), and the very same requests against a bare hyper server answering a fixed 200
//! (`benches::baseline`), started in the same process, measured in the same run.
//!
//! Each benchmark keeps N keep-alive connections open (N in 1, 16, 64) and sends its requests
//! over all of them, taking turns through a pool of pre-issued tokens; one criterion iteration
//! is one request, so criterion's throughput is requests per second. The request loop is the
//! load command's (`conformance::load::drive`). Latency percentiles come from an HDR histogram
//! of the measured samples (warm-up excluded) and are printed beside each result; the table of
//! all of them, with the reference / baseline ratios, is written to
//! `target/criterion/http-summary.md`.
//!
//! What it does not show: how the reference server compares with bare hyper as a user runs
//! it. Both servers and the load generator share this process, its two tokio runtimes and its
//! allocator, and on two cores the generator is the bottleneck, so most of the server's own
//! cost is hidden and the ratios come out near 1 (0.86x-0.99x at 64 connections, where
//! separate processes measured 0.46x before issue 12). It is good for telling whether a change
//! made the request path slower at all, and for latency percentiles of the same loop. The
//! README's HTTP table comes from `benches/compare.sh http` (separate processes, wrk).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use benches::{baseline, or_exit, summary};
use conformance::load::{
    self, Budget, Connection, Endpoint, Live, Origin, Percentiles, Tally, histogram,
};
use conformance::profile::Profile;
use conformance::target::Account;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use hdrhistogram::Histogram;

const CONNECTIONS: [usize; 3] = [1, 16, 64];
const ENDPOINTS: [Endpoint; 3] = [Endpoint::Verify, Endpoint::VerifyV1, Endpoint::Resource];
/// Logins made per endpoint; requests take turns with their tokens.
const POOL: usize = 16;
const TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    // The servers and the load generator get a runtime each, as two processes would: on a
    // shared runtime a single connection's client and server tasks sometimes run on one
    // worker and sometimes not, and the 1-connection figures jump by 3x between runs.
    let servers = runtime("bench-server");
    let runtime = runtime("bench-client");
    let (origin, account, _server) = or_exit(servers.block_on(target()), "no target");
    let baseline = or_exit(
        servers.block_on(baseline::spawn()),
        "cannot start the baseline",
    );
    let targets = [
        ("reference", origin.clone()),
        ("hyper-baseline", origin.at(baseline.addr())),
    ];
    println!(
        "reference server: {}; baseline: http://{}",
        origin.base_url,
        baseline.addr()
    );

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let mut rows = Vec::new();
    for endpoint in ENDPOINTS {
        let prepared = or_exit(
            runtime.block_on(load::prepare(
                &origin,
                &Profile::classic(),
                &account,
                endpoint,
                POOL,
                TIMEOUT,
            )),
            "cannot prepare the requests",
        );
        let workload = &prepared.workload;
        let mut group = c.benchmark_group(format!("http/{}", endpoint.name()));
        group
            .throughput(Throughput::Elements(1))
            .sampling_mode(SamplingMode::Flat);
        for (server, at) in &targets {
            for n in CONNECTIONS {
                let connections = or_exit(
                    runtime.block_on(Connection::open_many(at.addr, n)),
                    "cannot connect",
                );
                let state = Mutex::new(Measured::new(connections));
                group.bench_function(BenchmarkId::new(*server, n), |b| {
                    b.to_async(&runtime).iter_custom(|iters| {
                        let state = &state;
                        async move {
                            let connections = std::mem::take(&mut lock(state).connections);
                            let budget = Budget {
                                max_requests: iters,
                                deadline: None,
                                rate: None,
                                request_timeout: TIMEOUT,
                            };
                            let live = Arc::new(Live::default());
                            let (connections, tally) = or_exit(
                                load::drive(connections, workload, budget, live).await,
                                "request loop",
                            );
                            let mut state = lock(state);
                            state.connections = connections;
                            state.absorb(iters, &tally);
                            tally.elapsed
                        }
                    })
                });
                let state = state.into_inner().unwrap_or_else(PoisonError::into_inner);
                if state.requests == 0 {
                    continue; // filtered out on the command line
                }
                let row = state.row(endpoint, server, n);
                println!("{}", row.line());
                rows.push(row);
            }
        }
        group.finish();
        runtime.block_on(prepared.cleanup(&origin, TIMEOUT));
    }
    c.final_summary();
    summary::publish_unless_testing("http-summary.md", &table(&rows));
}

/// A multi-threaded runtime with one worker per core, its threads named `name`.
fn runtime(name: &str) -> tokio::runtime::Runtime {
    or_exit(
        tokio::runtime::Builder::new_multi_thread()
            .thread_name(name)
            .enable_all()
            .build(),
        "cannot start a runtime",
    )
}

/// `BASE_URL` (with `LOGIN` and `PASSWORD`), or a reference server started here.
async fn target() -> Result<(Origin, Account, Option<reference_server::RunningServer>), String> {
    if let Ok(url) = std::env::var("BASE_URL") {
        let (Ok(login), Ok(password)) = (std::env::var("LOGIN"), std::env::var("PASSWORD")) else {
            return Err(
                "BASE_URL needs LOGIN and PASSWORD (classic layout, username login)".into(),
            );
        };
        return Ok((
            Origin::parse(&url).await.map_err(|e| e.to_string())?,
            Account { login, password },
            None,
        ));
    }
    let (server, account) = conformance::bundled::start_for_load(&Profile::classic())
        .await
        .map_err(|e| e.to_string())?;
    let origin = Origin::parse(&server.base_url())
        .await
        .map_err(|e| e.to_string())?;
    Ok((origin, account, Some(server)))
}

fn lock(state: &Mutex<Measured>) -> std::sync::MutexGuard<'_, Measured> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the measured iterations of one benchmark saw.
struct Measured {
    connections: Vec<Connection>,
    latency: Option<Histogram<u64>>,
    requests: u64,
    elapsed: Duration,
    not_2xx: u64,
    failures: u64,
    /// criterion warms up with growing iteration counts, then measures with one count
    /// (flat sampling): a change of count starts the measured part afresh.
    last_iters: u64,
}

impl Measured {
    fn new(connections: Vec<Connection>) -> Measured {
        Measured {
            connections,
            latency: None,
            requests: 0,
            elapsed: Duration::ZERO,
            not_2xx: 0,
            failures: 0,
            last_iters: 0,
        }
    }

    fn absorb(&mut self, iters: u64, tally: &Tally) {
        if iters != self.last_iters {
            self.latency = None;
            self.requests = 0;
            self.elapsed = Duration::ZERO;
            self.not_2xx = 0;
            self.failures = 0;
            self.last_iters = iters;
        }
        let latency = self
            .latency
            .get_or_insert_with(|| histogram().unwrap_or_else(|_| tally.raw.clone()));
        let _ = latency.add(&tally.raw);
        self.requests += tally.responses();
        self.elapsed += tally.elapsed;
        self.not_2xx += tally.responses() - tally.successes();
        self.failures += tally.failures.values().sum::<u64>();
    }

    fn row(&self, endpoint: Endpoint, server: &'static str, connections: usize) -> Row {
        Row {
            endpoint,
            server,
            connections,
            rps: self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9),
            requests: self.requests,
            latency: self.latency.as_ref().map(Percentiles::of),
            not_2xx: self.not_2xx,
            failures: self.failures,
        }
    }
}

/// One benchmark's figures.
struct Row {
    endpoint: Endpoint,
    server: &'static str,
    connections: usize,
    rps: f64,
    requests: u64,
    latency: Option<Percentiles>,
    not_2xx: u64,
    failures: u64,
}

impl Row {
    fn line(&self) -> String {
        let latency = self.latency.map_or("no samples".to_string(), |p| {
            format!(
                "p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
                p.p50, p.p90, p.p99, p.p99_9, p.max
            )
        });
        let mut line = format!(
            "  latency {}/{}/{}: {latency}  ({} requests, {:.0} req/s)",
            self.endpoint.name(),
            self.server,
            self.connections,
            self.requests,
            self.rps
        );
        if self.not_2xx + self.failures > 0 {
            line += &format!(
                "  WARNING: {} non-2xx, {} failed: these figures are not of the intended path",
                self.not_2xx, self.failures
            );
        }
        line
    }
}

/// Per endpoint and connection count: the reference server, the baseline, and the ratio.
fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "HTTP in one process (servers and generator share it: generator-bound, see benches/compare.sh http for separate processes), requests per second and latency (ms) of the measured samples\n\n\
         | endpoint | connections | reference req/s | p50 | p99 | baseline req/s | p50 | p99 | reference / baseline |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for endpoint in ENDPOINTS {
        for n in CONNECTIONS {
            let find = |server: &str| {
                rows.iter()
                    .find(|r| r.endpoint == endpoint && r.connections == n && r.server == server)
            };
            let (Some(reference), Some(base)) = (find("reference"), find("hyper-baseline")) else {
                continue;
            };
            let lat = |r: &Row| {
                r.latency.map_or(("–".into(), "–".into()), |p| {
                    (format!("{:.3}", p.p50), format!("{:.3}", p.p99))
                })
            };
            let (rp50, rp99) = lat(reference);
            let (bp50, bp99) = lat(base);
            let ratio = if base.rps > 0.0 {
                format!("{:.2}x", reference.rps / base.rps)
            } else {
                "–".into()
            };
            out += &format!(
                "| {} | {n} | {:.0} | {rp50} | {rp99} | {:.0} | {bp50} | {bp99} | {ratio} |\n",
                endpoint.name(),
                reference.rps,
                base.rps,
            );
        }
    }
    out
}
