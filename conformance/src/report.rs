//! Results of a run and what becomes of them: verdicts (MUST / SHOULD / info, known failures),
//! the console summary, JUnit XML, JSON, and the exit code.

use std::{collections::BTreeMap, fmt::Write as _, time::Duration};

use serde::Serialize;

use crate::{contract, known::KnownFailures};

/// How much a scenario's failure weighs, from its `@must` / `@should` / `@info` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A failure fails the run.
    Must,
    /// A failure is a warning, unless `--strict`.
    Should,
    /// Implementation-defined: the observation is reported, never failed.
    Info,
}

impl Level {
    /// The level named by a scenario's tags (MUST when none is given).
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a String>) -> Self {
        let mut level = Level::Must;
        for t in tags {
            match t.as_str() {
                "should" => level = Level::Should,
                "info" => level = Level::Info,
                _ => {}
            }
        }
        level
    }
}

/// What happened when a scenario ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Every step passed.
    Passed,
    /// A step failed; the message says what was expected and what came back.
    Failed {
        /// The failure, with the exchange that showed it (redacted).
        message: String,
    },
    /// The scenario could not run here; never counted as passed.
    Skipped {
        /// Why (a missing input, a wait longer than --max-wait, an absent endpoint).
        reason: String,
    },
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The feature's name.
    pub feature: String,
    /// The feature file, relative to the features directory.
    pub file: String,
    /// The scenario's name (outline placeholders filled in).
    pub scenario: String,
    /// Its line in the feature file.
    pub line: usize,
    /// Its tags, Examples tags included, without the `@`.
    pub tags: Vec<String>,
    /// MUST, SHOULD or info.
    pub level: Level,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Observations noted by `@info` scenarios.
    pub notes: Vec<String>,
    /// Wall time.
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// The contract rules the scenario checks (its `@rule:` tags), cited.
    pub rules: Vec<CitedRule>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis().try_into().unwrap_or(u64::MAX))
}

impl ScenarioResult {
    /// The IDs of the contract rules the scenario checks.
    pub fn rules(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.id.clone()).collect()
    }
}

/// A rule as a report cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitedRule {
    /// `TOK-7`.
    pub id: String,
    /// Its one-line statement.
    pub statement: String,
    /// `CONTRACT.md#tok-7`.
    pub link: String,
}

impl CitedRule {
    /// The rules named by a scenario's tags (`rule:TOK-7`), cited from the contract.
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<CitedRule> {
        contract::rule_ids(tags)
            .into_iter()
            .map(|id| CitedRule {
                link: contract::link(&id),
                statement: contract::contract()
                    .rule(&id)
                    .map(|r| r.statement.clone())
                    .unwrap_or_default(),
                id,
            })
            .collect()
    }
}

/// The judgement on one scenario, once level, strictness and known failures are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Conforms.
    Passed,
    /// Does not conform; fails the run.
    Failed,
    /// A SHOULD that failed (not under --strict).
    Warning,
    /// Failed, and listed in --known-failures with this reason.
    Known(String),
    /// Listed in --known-failures, yet passed: the list can shrink.
    FixedKnown(String),
    /// Could not run.
    Skipped,
    /// An implementation-defined observation.
    Info,
}

/// A whole run against one target with one profile.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Base URL of the target.
    pub target: String,
    /// Profile name.
    pub profile: String,
    /// Dialect of the profile.
    pub dialect: String,
    /// TLS certificates were not verified (`--insecure`).
    pub insecure: bool,
    /// Whether SHOULD failures count as failures.
    pub strict: bool,
    /// Wall time of the run.
    #[serde(serialize_with = "as_millis")]
    pub duration: Duration,
    /// The profile as the run used it: paths, login field, lifetimes, rotation (no secrets).
    pub profile_settings: serde_json::Value,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
    /// When the run ended (RFC 3339, UTC).
    pub finished_at: String,
    /// Every scenario, in feature order.
    pub scenarios: Vec<ScenarioResult>,
    /// Verdicts, parallel to `scenarios`.
    pub verdicts: Vec<Verdict>,
    /// Known-failure entries that matched no scenario of this run.
    pub unused_known_failures: Vec<String>,
}

/// Counts per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Conforming scenarios.
    pub passed: usize,
    /// Failed MUSTs (and SHOULDs under --strict).
    pub failed: usize,
    /// Skipped scenarios.
    pub skipped: usize,
    /// Failed SHOULDs.
    pub warnings: usize,
    /// Failures listed as known.
    pub known: usize,
    /// Known failures that passed.
    pub fixed: usize,
    /// Implementation-defined observations.
    pub info: usize,
}

impl Tally {
    fn add(&mut self, v: &Verdict) {
        match v {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed => self.failed += 1,
            Verdict::Warning => self.warnings += 1,
            Verdict::Known(_) => self.known += 1,
            Verdict::FixedKnown(_) => self.fixed += 1,
            Verdict::Skipped => self.skipped += 1,
            Verdict::Info => self.info += 1,
        }
    }
}

impl Report {
    /// Judges every result.
    pub fn new(
        target: String,
        profile: String,
        dialect: String,
        strict: bool,
        duration: Duration,
        scenarios: Vec<ScenarioResult>,
        known: &KnownFailures,
    ) -> Self {
        let verdicts = scenarios
            .iter()
            .map(|s| {
                let listed = known.reason_for(&profile, &s.feature, &s.scenario);
                match (&s.outcome, s.level, listed) {
                    (Outcome::Skipped { .. }, _, _) => Verdict::Skipped,
                    (_, Level::Info, _) => Verdict::Info,
                    (Outcome::Passed, _, Some(reason)) => Verdict::FixedKnown(reason.to_string()),
                    (Outcome::Passed, _, None) => Verdict::Passed,
                    (Outcome::Failed { .. }, _, Some(reason)) => Verdict::Known(reason.to_string()),
                    (Outcome::Failed { .. }, Level::Should, None) if !strict => Verdict::Warning,
                    (Outcome::Failed { .. }, _, None) => Verdict::Failed,
                }
            })
            .collect();
        let unused_known_failures = known.unused(
            &profile,
            scenarios
                .iter()
                .map(|s| (s.feature.as_str(), s.scenario.as_str())),
        );
        Report {
            target,
            profile,
            dialect,
            insecure: false,
            strict,
            duration,
            profile_settings: serde_json::Value::Null,
            started_at: String::new(),
            finished_at: String::new(),
            scenarios,
            verdicts,
            unused_known_failures,
        }
    }

    /// Totals over the run.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        self.verdicts.iter().for_each(|v| t.add(v));
        t
    }

    /// Whether the target conforms (no failed MUST, no failed SHOULD under --strict).
    pub fn conforms(&self) -> bool {
        self.tally().failed == 0
    }

    /// Totals per feature, in file order.
    pub fn per_feature(&self) -> Vec<(String, Tally)> {
        let mut order: Vec<String> = Vec::new();
        let mut map: BTreeMap<String, Tally> = BTreeMap::new();
        for (s, v) in self.scenarios.iter().zip(&self.verdicts) {
            if !map.contains_key(&s.feature) {
                order.push(s.feature.clone());
            }
            map.entry(s.feature.clone()).or_default().add(v);
        }
        order
            .into_iter()
            .map(|f| {
                let t = map[&f];
                (f, t)
            })
            .collect()
    }

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
            let _ = writeln!(
                out,
                "{:<52} {:>6} {:>6} {:>7} {:>8} {:>5} {:>4}",
                truncate(name, 52),
                t.passed + t.fixed,
                t.failed,
                t.skipped,
                t.warnings,
                t.known,
                t.info
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
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, level: Level, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            feature: "Obtaining a token pair".into(),
            file: "obtaining_tokens.feature".into(),
            scenario: name.into(),
            line: 3,
            tags: vec!["obtaining".into(), "rule:OBT-2".into()],
            rules: CitedRule::from_tags(&["rule:OBT-2".to_string()]),
            level,
            outcome,
            notes: vec![],
            duration: Duration::from_millis(5),
        }
    }

    fn failed() -> Outcome {
        Outcome::Failed {
            message: "expected status 400, got 500 <&>".into(),
        }
    }

    #[test]
    fn verdicts_follow_level_strictness_and_known_failures() {
        let known = KnownFailures::parse("[[failure]]\nscenario = \"k\"\nreason = \"upstream bug\"\n[[failure]]\nscenario = \"fixed\"\nreason = \"was broken\"\n").expect("valid");
        let scenarios = vec![
            result("m", Level::Must, failed()),
            result("s", Level::Should, failed()),
            result("k", Level::Must, failed()),
            result("fixed", Level::Must, Outcome::Passed),
            result("i", Level::Info, failed()),
            result(
                "skip",
                Level::Must,
                Outcome::Skipped {
                    reason: "no key".into(),
                },
            ),
            result("ok", Level::Must, Outcome::Passed),
        ];
        let r = Report::new(
            "http://t".into(),
            "classic".into(),
            "classic".into(),
            false,
            Duration::ZERO,
            scenarios.clone(),
            &known,
        );
        assert_eq!(
            r.verdicts,
            vec![
                Verdict::Failed,
                Verdict::Warning,
                Verdict::Known("upstream bug".into()),
                Verdict::FixedKnown("was broken".into()),
                Verdict::Info,
                Verdict::Skipped,
                Verdict::Passed
            ]
        );
        assert!(!r.conforms());
        let strict = Report::new(
            "http://t".into(),
            "classic".into(),
            "classic".into(),
            true,
            Duration::ZERO,
            scenarios,
            &known,
        );
        assert_eq!(strict.verdicts[1], Verdict::Failed);
        let t = r.tally();
        assert_eq!(
            (
                t.passed, t.failed, t.warnings, t.known, t.fixed, t.skipped, t.info
            ),
            (1, 1, 1, 1, 1, 1, 1)
        );
        let console = r.console(false);
        assert!(console.contains("DOES NOT CONFORM"), "{console}");
        assert!(console.contains("1 × no key"), "{console}");
        assert!(console.contains("rule: OBT-2 — "), "{console}");
        assert!(console.contains("(CONTRACT.md#obt-2)"), "{console}");
    }

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
