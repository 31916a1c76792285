//! The human report on the console: failures in full, then warnings, known failures, skips,
//! notes, totals.

use std::{collections::BTreeMap, fmt::Write as _};

use crate::contract;

use super::{Level, Outcome, Report, Tally, Verdict};

impl Report {
    /// The human report: failures in full, then warnings, known failures, skips, notes, totals.
    pub fn console(&self, verbose: bool) -> String {
        let mut out = String::new();
        let pairs: Vec<_> = self.scenarios.iter().zip(&self.verdicts).collect();
        let mut section = |title: &str, pick: &dyn Fn(&Verdict) -> bool, full: bool| {
            let hits: Vec<_> = pairs.iter().filter(|(_, v)| pick(v)).collect();
            if hits.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n{title} ({})", hits.len());
            for (s, v) in hits {
                let _ = writeln!(
                    out,
                    "  ✗ {} › {}  [{}:{}]",
                    s.feature, s.scenario, s.file, s.line
                );
                if full {
                    for id in s.rules() {
                        let _ = writeln!(
                            out,
                            "    rule: {} ({})",
                            contract::cite(&id),
                            level_word(s.level)
                        );
                    }
                }
                if let Verdict::Known(reason) | Verdict::FixedKnown(reason) = v {
                    let _ = writeln!(out, "    known failure: {reason}");
                }
                if let Outcome::Failed { message } = &s.outcome {
                    if full {
                        for line in message.lines() {
                            let _ = writeln!(out, "    {line}");
                        }
                    } else if let Some(first) = message.lines().next() {
                        let _ = writeln!(out, "    {first}");
                    }
                }
            }
        };
        section("FAILED", &|v| *v == Verdict::Failed, true);
        section(
            "WARNINGS (SHOULD; --strict makes them failures)",
            &|v| *v == Verdict::Warning,
            true,
        );
        section(
            "KNOWN FAILURES (listed in --known-failures)",
            &|v| matches!(v, Verdict::Known(_)),
            verbose,
        );
        section(
            "KNOWN FAILURES THAT NOW PASS (remove them from the list)",
            &|v| matches!(v, Verdict::FixedKnown(_)),
            false,
        );

        let mut skip_reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for (s, _) in pairs.iter().filter(|(_, v)| **v == Verdict::Skipped) {
            if let Outcome::Skipped { reason } = &s.outcome {
                *skip_reasons.entry(reason.as_str()).or_default() += 1;
            }
        }
        if !skip_reasons.is_empty() {
            let _ = writeln!(
                out,
                "\nSKIPPED ({}), never counted as passed:",
                skip_reasons.values().sum::<usize>()
            );
            for (reason, n) in skip_reasons {
                let _ = writeln!(out, "  {n:>3} × {reason}");
            }
        }
        let infos: Vec<_> = pairs.iter().filter(|(s, _)| !s.notes.is_empty()).collect();
        if !infos.is_empty() {
            let _ = writeln!(out, "\nIMPLEMENTATION-DEFINED (information only)");
            for (s, _) in infos {
                let _ = writeln!(out, "  • {}", s.scenario);
                for n in &s.notes {
                    let _ = writeln!(out, "      {n}");
                }
            }
        }
        if !self.unused_known_failures.is_empty() {
            let _ = writeln!(out, "\nKNOWN-FAILURE ENTRIES THAT MATCHED NO SCENARIO:");
            for u in &self.unused_known_failures {
                let _ = writeln!(out, "  ? {u}");
            }
        }

        let row = |out: &mut String, name: &str, t: Tally| {
            let [passed, failed, skipped, warnings, known, info] = t.columns();
            let _ = writeln!(
                out,
                "{:<52} {passed:>6} {failed:>6} {skipped:>7} {warnings:>8} {known:>5} {info:>4}",
                truncate(name, 52),
            );
        };
        let _ = writeln!(
            out,
            "\n{:<52} {:>6} {:>6} {:>7} {:>8} {:>5} {:>4}",
            "feature", "passed", "failed", "skipped", "warnings", "known", "info"
        );
        for (feature, t) in self.per_feature() {
            row(&mut out, &feature, t);
        }
        row(&mut out, "total", self.tally());
        let verdict = if self.conforms() {
            "CONFORMS"
        } else {
            "DOES NOT CONFORM"
        };
        let _ = writeln!(
            out,
            "\n{verdict}: {} with profile {} ({} dialect), {} scenarios in {:.1} s{}",
            self.target,
            self.profile,
            self.dialect,
            self.scenarios.len(),
            self.duration.as_secs_f64(),
            if self.insecure {
                " (--insecure: TLS certificates not verified)"
            } else {
                ""
            }
        );
        out
    }
}

fn level_word(l: Level) -> &'static str {
    match l {
        Level::Must => "MUST",
        Level::Should => "SHOULD",
        Level::Info => "implementation-defined",
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
