//! The load run's HTML report (`load --html FILE`): one self-contained page, no script and no
//! network fetch — what was loaded, the counts, the percentiles, the latency percentile curve
//! (raw and corrected for coordinated omission) and the responses per second over the run, as
//! inline SVG.

use std::fmt::Write as _;

use super::chart::{Axis, Series, line_chart};
use super::report::{Curve, LoadReport, Percentiles};
use crate::report::xml as esc;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 1.5rem;color:#1b1f24}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .3rem}
.meta{color:#57606a}.ok{color:#116329}.bad{color:#b3261e}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}
svg.chart{max-width:100%;height:auto;background:#fff}
svg .grid{stroke:#eaeef2}svg .axis{stroke:#57606a;stroke-width:1.2}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}svg .chart-title{font-weight:600;font-size:13px}
";

/// Colours of the two latency series, and of the throughput line.
const RAW: &str = "#0969da";
const CORRECTED: &str = "#cf222e";
const THROUGHPUT: &str = "#116329";

/// The page of one run.
pub fn html(report: &LoadReport) -> String {
    let target = format!(
        "{} {}{} ({})",
        report.method, report.base_url, report.path, report.endpoint
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>jwt-conformance load: {}</title><style>{STYLE}</style></head>\n<body>\n",
        esc(&target)
    );
    let _ = writeln!(
        out,
        "<header><h1>Load: {}</h1><p class=\"meta\">{} connection{}, {} model{}, {:.1} s \
         (asked: {:.1} s, at most {} requests) · jwt-conformance {}{}</p></header>",
        esc(&target),
        report.connections,
        if report.connections == 1 { "" } else { "s" },
        report.model,
        report
            .rate
            .map(|r| format!(" at {r} req/s"))
            .unwrap_or_default(),
        report.elapsed_s,
        report.duration_s,
        report.max_requests,
        esc(env!("CARGO_PKG_VERSION")),
        if report.insecure {
            " · --insecure: TLS certificates not verified"
        } else {
            ""
        }
    );
    counts(&mut out, report);
    latency_table(&mut out, report);
    out.push_str("<h2>Latency by percentile</h2>\n");
    out.push_str(&latency_chart(&report.curves.raw, &report.curves.corrected));
    let _ = writeln!(
        out,
        "<p class=\"meta\">Coordinated-omission correction: {}.</p>",
        esc(&report.latency_ms.correction)
    );
    out.push_str("<h2>Responses per second</h2>\n");
    out.push_str(&throughput_chart(
        &report.responses_per_second,
        report.elapsed_s,
    ));
    out.push_str(
        "\n<p class=\"meta\">Responses of any status completed in each second of the run; a last \
         part of a second is scaled to a rate.</p>\n",
    );
    thresholds(&mut out, report);
    out.push_str("</body></html>\n");
    out
}

fn counts(out: &mut String, report: &LoadReport) {
    let r = &report.requests;
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        if m.is_empty() {
            "none".to_owned()
        } else {
            m.iter()
                .map(|(k, n)| format!("{}: {n}", esc(k)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = writeln!(
        out,
        "<table class=\"counts\"><tr><th>requests</th><td>{}</td></tr>\
         <tr><th>responses per second</th><td>{:.1}</td></tr>\
         <tr><th>2xx per second</th><td>{:.1}</td></tr>\
         <tr><th>statuses</th><td>{}</td></tr>\
         <tr><th>failures</th><td>{}</td></tr></table>",
        r.total,
        report.rps,
        report.ok_rps,
        list(&r.by_status),
        list(&r.failures)
    );
}

fn latency_table(out: &mut String, report: &LoadReport) {
    let row = |label: &str, p: &Percentiles| {
        format!(
            "<tr><td>{label}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            p.p50, p.p90, p.p99, p.p99_9, p.max, p.mean
        )
    };
    let _ = writeln!(
        out,
        "<table class=\"latency\"><tr><th>latency (ms)</th><th>p50</th><th>p90</th><th>p99</th>\
         <th>p99.9</th><th>max</th><th>mean</th></tr>{}{}</table>",
        row("raw", &report.latency_ms.raw),
        row("corrected (CO)", &report.latency_ms.corrected)
    );
}

fn thresholds(out: &mut String, report: &LoadReport) {
    if report.thresholds.is_empty() {
        return;
    }
    out.push_str("<h2>Thresholds</h2>\n<ul>");
    for check in &report.thresholds {
        let (what, cmp) = match check.name {
            "max_p99_ms" => ("corrected p99 (ms)", "≤"),
            _ => ("2xx per second", "≥"),
        };
        let _ = write!(
            out,
            "<li class=\"{}\">{what} {:.3} {cmp} {}: {}</li>",
            if check.passed { "ok" } else { "bad" },
            check.actual,
            check.limit,
            if check.passed { "held" } else { "MISSED" }
        );
    }
    out.push_str("</ul>\n");
}

/// `0%`, `90%`, `99%`, `99.9%`… for 0, 1, 2, 3… nines.
fn percentile_label(nines: f64) -> String {
    match nines.round() as u32 {
        0 => "0%".to_owned(),
        n => format!("{}%", 100.0 - 100.0 * 10f64.powi(-(n as i32))),
    }
}

/// The percentile curves of both histograms on one chart.
pub fn latency_chart(raw: &Curve, corrected: &Curve) -> String {
    let last_x = |c: &Curve| c.points.last().map_or(0.0, |p| p.0);
    let top = last_x(raw).max(last_x(corrected)).max(1.0);
    let highest = raw
        .points
        .iter()
        .chain(&corrected.points)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    let x = Axis {
        title: "percentile".into(),
        min: 0.0,
        max: top,
        ticks: (0..=top.floor() as u32)
            .map(|n| (f64::from(n), percentile_label(f64::from(n))))
            .collect(),
    };
    let y = Axis::from_zero("latency (ms)", highest.max(0.001), trim_number);
    let series = [
        Series {
            name: "raw".into(),
            class: "raw",
            colour: RAW,
            points: raw.points.clone(),
        },
        Series {
            name: "corrected for coordinated omission".into(),
            class: "corrected",
            colour: CORRECTED,
            points: corrected.points.clone(),
        },
    ];
    line_chart("Latency by percentile", &x, &y, &series)
}

/// Responses per second at the middle of each second of the run.
pub fn throughput_chart(per_second: &[u64], elapsed_s: f64) -> String {
    let mut points = Vec::with_capacity(per_second.len());
    for (second, count) in per_second.iter().enumerate() {
        let from = second as f64;
        let length = (elapsed_s - from).min(1.0);
        // A sliver at the end says little about a rate.
        if length < 0.2 {
            continue;
        }
        points.push((from + length / 2.0, *count as f64 / length));
    }
    let highest = points.iter().map(|p| p.1).fold(0.0, f64::max);
    // A run of 10.002 s gets an axis to 10 s, not to 15.
    let span = ((elapsed_s * 10.0).floor() / 10.0).max(1.0);
    let x = Axis::from_zero("seconds since the start", span, trim_number);
    let y = Axis::from_zero("responses per second", highest.max(1.0), trim_number);
    line_chart(
        "Responses per second",
        &x,
        &y,
        &[Series {
            name: "responses per second".into(),
            class: "throughput",
            colour: THROUGHPUT,
            points,
        }],
    )
}

/// A tick value without trailing zeros: `0.5`, `2`, `1500`.
fn trim_number(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::chart::tests::polylines;

    fn curve(points: &[(f64, f64)]) -> Curve {
        Curve {
            points: points.to_vec(),
        }
    }

    #[test]
    fn the_latency_chart_has_both_curves_rising_and_percentile_ticks() {
        let raw = curve(&[(0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (2.5, 9.0)]);
        let corrected = curve(&[(0.0, 1.0), (1.0, 3.0), (2.0, 8.0), (2.5, 20.0)]);
        let svg = latency_chart(&raw, &corrected);
        for label in [">0%<", ">90%<", ">99%<"] {
            assert!(svg.contains(label), "{label}: {svg}");
        }
        assert!(!svg.contains(">99.9%<"), "2.5 nines stop before p99.9");
        let lines = polylines(&svg);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            assert_eq!(line.len(), 4);
            assert!(
                line.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 >= w[1].1),
                "{line:?}"
            );
        }
        // The corrected curve ends above (smaller SVG y) the raw one.
        assert!(lines[1][3].1 < lines[0][3].1);
        assert!(svg.contains("class=\"series raw\"") && svg.contains("class=\"series corrected\""));
    }

    #[test]
    fn throughput_is_a_rate_per_second_and_the_last_part_is_scaled() {
        let svg = throughput_chart(&[100, 200, 50, 1], 3.55);
        let lines = polylines(&svg);
        assert_eq!(lines.len(), 1);
        // Three whole seconds and the last 0.55 s (at 1 / 0.55 per second); no sliver dropped.
        assert_eq!(lines[0].len(), 4, "{svg}");
        assert!(lines[0].windows(2).all(|w| w[0].0 < w[1].0));
        // 200/s is the highest point: the smallest SVG y.
        let top = lines[0].iter().map(|p| p.1).fold(f64::MAX, f64::min);
        assert_eq!(top, lines[0][1].1);
        let sliver = throughput_chart(&[10, 10, 1], 2.05);
        assert_eq!(
            polylines(&sliver)[0].len(),
            2,
            "0.05 s at the end is left out"
        );
    }

    #[test]
    fn percentile_labels_count_nines() {
        assert_eq!(percentile_label(0.0), "0%");
        assert_eq!(percentile_label(1.0), "90%");
        assert_eq!(percentile_label(3.0), "99.9%");
        assert_eq!(trim_number(0.5), "0.5");
        assert_eq!(trim_number(2000.0), "2000");
    }
}
