//! JUnit XML for CI: one `<testsuite>` per profile and feature; a failure that fails the run
//! is a `<failure>`, a skip is `<skipped>`, a SHOULD warning or a known failure passes with
//! its reason in `<system-out>`. Written by hand: the XML is small, and these semantics are
//! ours (quick-junit would add a dependency for no gain).

use std::fmt::Write as _;

use crate::contract;

use super::{Outcome, Report, Tally, Verdict};

/// JUnit XML for several runs: one `<testsuite>` per profile and feature.
pub fn junit(reports: &[Report]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total: Tally = reports.iter().fold(Tally::default(), |mut acc, r| {
        r.verdicts.iter().for_each(|v| acc.add(v));
        acc
    });
    let _ = writeln!(
        out,
        "<testsuites name=\"jwt-conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        reports.iter().map(|r| r.scenarios.len()).sum::<usize>(),
        total.failed,
        total.skipped
    );
    for r in reports {
        for (feature, t) in r.per_feature() {
            let cases: Vec<_> = r
                .scenarios
                .iter()
                .zip(&r.verdicts)
                .filter(|(s, _)| s.feature == feature)
                .collect();
            let secs: f64 = cases.iter().map(|(s, _)| s.duration.as_secs_f64()).sum();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{secs:.3}\">",
                xml(&format!("{} › {}", r.profile, feature)),
                cases.len(),
                t.failed,
                t.skipped
            );
            let mut properties = vec![
                ("suite_version", env!("CARGO_PKG_VERSION").to_string()),
                ("contract_version", contract::contract().version.clone()),
                ("target", r.target.clone()),
                ("profile", r.profile.clone()),
                ("dialect", r.dialect.clone()),
                ("started_at", r.started_at.clone()),
                ("finished_at", r.finished_at.clone()),
            ];
            if r.insecure {
                properties.push((
                    "insecure",
                    "--insecure: TLS certificates not verified".to_string(),
                ));
            }
            out.push_str("    <properties>");
            for (name, value) in properties {
                let _ = write!(out, "<property name=\"{name}\" value=\"{}\"/>", xml(&value));
            }
            out.push_str("</properties>\n");
            for (s, v) in cases {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                    xml(&format!("{}.{}", r.profile, feature)),
                    xml(&s.scenario),
                    xml(&s.file),
                    s.line,
                    s.duration.as_secs_f64()
                );
                let message = match &s.outcome {
                    Outcome::Failed { message } => message.as_str(),
                    Outcome::Skipped { reason } => reason.as_str(),
                    Outcome::Passed => "",
                };
                let first = message.lines().next().unwrap_or("");
                match v {
                    Verdict::Failed => {
                        let cited: String = s
                            .rules()
                            .iter()
                            .map(|id| format!("rule: {}\n", contract::cite(id)))
                            .collect();
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                            xml(first),
                            xml(&s.rules().join(", ")),
                            xml(&format!("{cited}{message}"))
                        );
                    }
                    Verdict::Skipped => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(first)
                        );
                    }
                    Verdict::Warning | Verdict::Known(_) => {
                        let label = match v {
                            Verdict::Known(reason) => format!("known failure: {reason}"),
                            _ => "warning (SHOULD)".to_string(),
                        };
                        let _ = writeln!(
                            out,
                            ">\n      <system-out>{}</system-out>\n    </testcase>",
                            xml(&format!("{label}\n{message}"))
                        );
                    }
                    Verdict::Info if !s.notes.is_empty() => {
                        let _ = writeln!(
                            out,
                            ">\n      <system-out>{}</system-out>\n    </testcase>",
                            xml(&s.notes.join("\n"))
                        );
                    }
                    _ => {
                        let _ = writeln!(out, "/>");
                    }
                }
            }
            let _ = writeln!(out, "  </testsuite>");
        }
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text escaped for XML and HTML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters, even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::{
        known::KnownFailures,
        report::{Level, Outcome, json, testing::*},
    };

    #[test]
    fn junit_escapes_and_counts() {
        let r = Report::new(
            "http://t".into(),
            "v1".into(),
            "simplejwt".into(),
            false,
            Duration::ZERO,
            vec![
                result("a \"quoted\" <name>", Level::Must, failed()),
                result(
                    "b",
                    Level::Must,
                    Outcome::Skipped {
                        reason: "why".into(),
                    },
                ),
            ],
            &KnownFailures::default(),
        );
        let x = junit(std::slice::from_ref(&r));
        assert!(
            x.contains("tests=\"2\" failures=\"1\" skipped=\"1\""),
            "{x}"
        );
        assert!(x.contains("a &quot;quoted&quot; &lt;name&gt;"), "{x}");
        assert!(x.contains("500 &lt;&amp;&gt;"), "{x}");
        let j: serde_json::Value = serde_json::from_str(&json(&[r])).expect("valid JSON");
        assert_eq!(j["conforms"], false);
        assert_eq!(j["runs"][0]["totals"]["failed"], 1);
        assert_eq!(j["runs"][0]["scenarios"][1]["outcome"], "skipped");
        assert_eq!(j["runs"][0]["scenarios"][0]["rules"][0]["id"], "OBT-2");
        assert_eq!(
            j["runs"][0]["scenarios"][0]["rules"][0]["link"],
            "CONTRACT.md#obt-2"
        );
        assert!(j["contract_version"].is_string());
        assert!(x.contains("type=\"OBT-2\""), "{x}");
        assert!(x.contains("rule: OBT-2 — "), "{x}");
        assert!(
            x.contains("<property name=\"contract_version\" value=\""),
            "{x}"
        );
        assert!(
            x.contains("<property name=\"suite_version\" value=\""),
            "{x}"
        );
        assert!(x.contains("CONTRACT.md#obt-2"), "{x}");
    }
}
