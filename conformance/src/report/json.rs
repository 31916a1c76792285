//! The JSON report: every run with its scenarios, verdicts and totals, and whether all conform.

use serde::Serialize;

use crate::contract;

use super::{Report, Tally};

/// The JSON report for several runs.
pub fn json(reports: &[Report]) -> String {
    #[derive(Serialize)]
    struct Run<'a> {
        #[serde(flatten)]
        report: &'a Report,
        totals: Tally,
    }
    let runs: Vec<_> = reports
        .iter()
        .map(|r| Run {
            report: r,
            totals: r.tally(),
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "tool": "jwt-conformance",
        "version": env!("CARGO_PKG_VERSION"),
        "contract_version": contract::contract().version,
        "conforms": reports.iter().all(Report::conforms),
        "runs": runs,
    }))
    .expect("a JSON value always serializes")
}
