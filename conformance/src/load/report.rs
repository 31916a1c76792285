//! The results of a load run: counts, requests per second, latency percentiles raw and
//! corrected for coordinated omission, thresholds; as console text and as JSON.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Options, Origin, Tally, Workload};

/// Latency percentiles of one histogram, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    #[serde(rename = "p99.9")]
    pub p99_9: f64,
    pub max: f64,
    pub mean: f64,
}

impl Percentiles {
    /// From a histogram of nanoseconds.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        let ms = |ns: u64| ns as f64 / 1e6;
        Percentiles {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
            mean: h.mean() / 1e6,
        }
    }

    fn row(&self, label: &str) -> String {
        format!(
            "  {label:<22}{:>9.3}{:>9.3}{:>9.3}{:>9.3}{:>9.3}{:>9.3}\n",
            self.p50, self.p90, self.p99, self.p99_9, self.max, self.mean
        )
    }
}

/// Counts of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    /// Responses plus failures.
    pub total: u64,
    pub responses: u64,
    /// 2xx responses.
    pub ok: u64,
    /// Responses by status code.
    pub by_status: BTreeMap<String, u64>,
    /// Requests without a response: `connect`, `timeout`, `io`.
    pub failures: BTreeMap<String, u64>,
}

/// Both histograms, labelled.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// From sending each request to its whole response.
    pub raw: Percentiles,
    /// Corrected for coordinated omission; `correction` says how.
    pub corrected: Percentiles,
    pub correction: String,
}

/// One `--max-p99` / `--min-rps` check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub limit: f64,
    pub actual: f64,
    pub passed: bool,
}

/// The result of a load run: what the console shows and `--json` writes.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub base_url: String,
    /// TLS certificates were not verified (`--insecure`).
    pub insecure: bool,
    pub endpoint: &'static str,
    pub method: String,
    pub path: String,
    pub connections: usize,
    /// `closed` or `open` (with `rate`).
    pub model: &'static str,
    pub rate: Option<f64>,
    pub duration_s: f64,
    pub max_requests: u64,
    pub elapsed_s: f64,
    pub requests: Requests,
    /// Responses (any status) per second.
    pub rps: f64,
    /// 2xx responses per second.
    pub ok_rps: f64,
    pub latency_ms: Latency,
    /// `max_p99_ms` applies to the corrected p99, `min_rps` to 2xx per second.
    pub thresholds: Vec<Check>,
    /// Every threshold held.
    pub passed: bool,
}

impl LoadReport {
    /// The report of a finished run.
    pub fn new(options: &Options, origin: &Origin, workload: &Workload, tally: &Tally) -> Self {
        let seconds = tally.elapsed.as_secs_f64().max(1e-9);
        let (corrected, correction) = tally.corrected();
        let latency = Latency {
            raw: Percentiles::of(&tally.raw),
            corrected: Percentiles::of(&corrected),
            correction,
        };
        let responses = tally.responses();
        let ok = tally.successes();
        let failed: u64 = tally.failures.values().sum();
        let ok_rps = ok as f64 / seconds;
        let mut thresholds = Vec::new();
        if let Some(max) = options.max_p99 {
            let limit = max.as_secs_f64() * 1e3;
            thresholds.push(Check {
                name: "max_p99_ms",
                limit,
                actual: latency.corrected.p99,
                passed: responses > 0 && latency.corrected.p99 <= limit,
            });
        }
        if let Some(min) = options.min_rps {
            thresholds.push(Check {
                name: "min_rps",
                limit: min,
                actual: ok_rps,
                passed: ok_rps >= min,
            });
        }
        LoadReport {
            base_url: origin.base_url.clone(),
            insecure: options.transport.as_ref().is_some_and(|t| t.insecure()),
            endpoint: options.endpoint.name(),
            method: workload.method().to_string(),
            path: workload.path(),
            connections: tally.connections,
            model: if options.rate.is_some() {
                "open"
            } else {
                "closed"
            },
            rate: options.rate,
            duration_s: options.duration.as_secs_f64(),
            max_requests: options.max_requests,
            elapsed_s: seconds,
            requests: Requests {
                total: responses + failed,
                responses,
                ok,
                by_status: tally
                    .statuses
                    .iter()
                    .map(|(s, n)| (s.to_string(), *n))
                    .collect(),
                failures: tally
                    .failures
                    .iter()
                    .map(|(k, n)| (k.to_string(), *n))
                    .collect(),
            },
            rps: responses as f64 / seconds,
            ok_rps,
            latency_ms: latency,
            passed: thresholds.iter().all(|c| c.passed),
            thresholds,
        }
    }

    /// The report as JSON (what `--json FILE` writes).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The report for a terminal.
    pub fn console(&self) -> String {
        let mut out = format!(
            "load: {} {}{} ({}), {} connection{}, {} model{}, {:.1} s{}\n",
            self.method,
            self.base_url,
            self.path,
            self.endpoint,
            self.connections,
            if self.connections == 1 { "" } else { "s" },
            self.model,
            self.rate
                .map(|r| format!(" at {r} req/s"))
                .unwrap_or_default(),
            self.elapsed_s,
            if self.insecure {
                " (--insecure: TLS certificates not verified)"
            } else {
                ""
            },
        );
        let r = &self.requests;
        out += &format!(
            "  requests    {} in {:.2} s: {:.1} req/s ({:.1} req/s 2xx)\n",
            r.total, self.elapsed_s, self.rps, self.ok_rps
        );
        let list = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                m.iter()
                    .map(|(k, n)| format!("{k}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out += &format!("  statuses    {}\n", list(&r.by_status));
        out += &format!("  failures    {}\n", list(&r.failures));
        out += &format!(
            "  latency (ms)          {:>9}{:>9}{:>9}{:>9}{:>9}{:>9}\n",
            "p50", "p90", "p99", "p99.9", "max", "mean"
        );
        out += &self.latency_ms.raw.row("raw");
        out += &self.latency_ms.corrected.row("corrected (CO)");
        out += &format!("  CO correction: {}\n", self.latency_ms.correction);
        for check in &self.thresholds {
            let (what, cmp) = match check.name {
                "max_p99_ms" => ("corrected p99 (ms)", "<="),
                _ => ("2xx req/s", ">="),
            };
            out += &format!(
                "  threshold   {what} {:.3} {cmp} {}: {}\n",
                check.actual,
                check.limit,
                if check.passed { "ok" } else { "MISSED" }
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Value;

    use super::*;
    use crate::load::workload::tests::{origin, workload};
    use crate::load::{Endpoint, histogram};

    fn tally(latencies_ms: &[u64], statuses: &[(u16, u64)], due: bool) -> Tally {
        let mut raw = histogram().unwrap();
        for ms in latencies_ms {
            raw.record(ms * 1_000_000).unwrap();
        }
        Tally {
            from_due: due.then(|| raw.clone()),
            raw,
            statuses: statuses.iter().copied().collect(),
            failures: [("timeout", 2)].into_iter().collect(),
            elapsed: Duration::from_secs(2),
            connections: 2,
        }
    }

    #[test]
    fn the_report_counts_statuses_and_labels_both_histograms() {
        let t = tally(&[1, 1, 1, 2, 50], &[(200, 4), (401, 1)], false);
        let mut o = Options::new(Endpoint::Verify);
        o.max_p99 = Some(Duration::from_millis(10));
        o.min_rps = Some(1.0);
        let report = LoadReport::new(&o, &origin(), &workload(), &t);
        assert_eq!(report.requests.total, 7);
        assert_eq!(report.requests.ok, 4);
        assert_eq!(report.requests.by_status["401"], 1);
        assert!((report.ok_rps - 2.0).abs() < 1e-9);
        assert!(report.latency_ms.corrected.p99 >= report.latency_ms.raw.p99);
        assert!(report.latency_ms.correction.starts_with("closed model"));
        assert!(!report.passed, "p99 50 ms is over 10 ms");
        assert_eq!(
            report
                .thresholds
                .iter()
                .map(|c| (c.name, c.passed))
                .collect::<Vec<_>>(),
            [("max_p99_ms", false), ("min_rps", true)]
        );
        let json: Value = serde_json::from_str(&report.json()).unwrap();
        for key in ["p50", "p90", "p99", "p99.9", "max"] {
            assert!(json["latency_ms"]["raw"][key].is_number(), "{key}");
            assert!(json["latency_ms"]["corrected"][key].is_number(), "{key}");
        }
        assert_eq!(json["requests"]["failures"]["timeout"], 2);
        let console = report.console();
        assert!(console.contains("raw"), "{console}");
        assert!(console.contains("corrected (CO)"), "{console}");
        assert!(console.contains("MISSED"), "{console}");
    }

    #[test]
    fn the_open_model_reports_latency_from_the_due_time() {
        let t = tally(&[1, 2, 3], &[(200, 3)], true);
        let mut o = Options::new(Endpoint::Verify);
        o.rate = Some(100.0);
        let report = LoadReport::new(&o, &origin(), &workload(), &t);
        assert_eq!(report.model, "open");
        assert!(report.latency_ms.correction.starts_with("open model"));
        assert!(report.passed);
    }
}
