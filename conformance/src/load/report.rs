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

/// A latency percentile curve: points `(nines, ms)`, where `nines` is `log10(1 / (1 - q))` for
/// the quantile `q` (0 is the median's left end, 1 is p90, 2 is p99, 3 is p99.9), so that the
/// tail gets as much room as the body. Latency never decreases along it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curve {
    pub points: Vec<(f64, f64)>,
}

/// Samples per curve.
const CURVE_POINTS: u32 = 120;
/// The curve stops at p99.999 whatever the count.
const MAX_NINES: f64 = 5.0;

impl Curve {
    /// The curve of a histogram of nanoseconds, up to the quantile its count can tell apart
    /// (`log10(count)` nines, at least 1, at most 5), ending at the maximum.
    pub fn of(h: &Histogram<u64>) -> Curve {
        if h.is_empty() {
            return Curve::default();
        }
        let top = (h.len() as f64).log10().clamp(1.0, MAX_NINES);
        let mut points: Vec<(f64, f64)> = (0..=CURVE_POINTS)
            .map(|i| {
                let nines = top * f64::from(i) / f64::from(CURVE_POINTS);
                let q = 1.0 - 10f64.powf(-nines);
                (nines, h.value_at_quantile(q) as f64 / 1e6)
            })
            .collect();
        let max = h.max() as f64 / 1e6;
        if let Some(last) = points.last_mut() {
            last.1 = last.1.max(max);
        }
        Curve { points }
    }
}

/// The latency curves of the HTML report.
#[derive(Debug, Clone, Default)]
pub struct Curves {
    pub raw: Curve,
    pub corrected: Curve,
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
    /// Responses (any status) completed in each second of the run; the last one may be a
    /// part of a second (`elapsed_s` says how much).
    pub responses_per_second: Vec<u64>,
    /// For the HTML report's chart (not in the JSON: the percentiles above summarise it).
    #[serde(skip)]
    pub curves: Curves,
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
        let curves = Curves {
            raw: Curve::of(&tally.raw),
            corrected: Curve::of(&corrected),
        };
        // Seconds the run did not reach are not part of it; every response completed within
        // `elapsed`, so in one of the seconds kept.
        let reached = seconds.floor() as usize + 1;
        let mut responses_per_second = tally.per_second.clone();
        responses_per_second.truncate(reached);
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
            responses_per_second,
            curves,
        }
    }

    /// The report as JSON (what `--json FILE` writes).
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a load report always serializes") + "\n"
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
            per_second: vec![3, 2, 0, 0],
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
    fn curves_rise_to_the_maximum_and_seconds_stop_at_the_end_of_the_run() {
        let t = tally(&[1, 1, 1, 2, 3, 5, 8, 13, 50, 200], &[(200, 10)], false);
        let report = LoadReport::new(&Options::new(Endpoint::Verify), &origin(), &workload(), &t);
        for curve in [&report.curves.raw, &report.curves.corrected] {
            let points = &curve.points;
            assert!(points.len() > 10);
            assert!(
                points
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
            );
            let (_, last) = points[points.len() - 1];
            assert!((last - 200.0).abs() < 1.0, "{last}");
            assert!((points[0].1 - 1.0).abs() < 0.01, "{points:?}");
        }
        assert!(report.curves.corrected.points[60].1 >= report.curves.raw.points[60].1);
        assert_eq!(
            report.responses_per_second,
            [3, 2, 0],
            "a run of exactly 2 s: its seconds 0, 1, and the instant of 2"
        );
        let empty = tally(&[], &[], false);
        let none = LoadReport::new(
            &Options::new(Endpoint::Verify),
            &origin(),
            &workload(),
            &empty,
        );
        assert!(none.curves.raw.points.is_empty());
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
