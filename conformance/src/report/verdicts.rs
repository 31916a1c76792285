//! Verdicts: what each scenario's outcome weighs (MUST / SHOULD / info), known failures, the
//! tallies and whether the target conforms (the exit code).

use std::{collections::BTreeMap, time::Duration};

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
    pub(crate) fn add(&mut self, v: &Verdict) {
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

    /// The columns of a summary row, in the order every report shows them: passed (fixed known
    /// failures included), failed, skipped, warnings, known, info.
    pub fn columns(&self) -> [usize; 6] {
        [
            self.passed + self.fixed,
            self.failed,
            self.skipped,
            self.warnings,
            self.known,
            self.info,
        ]
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
}

/// What the tests of every output build their reports from.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub fn result(name: &str, level: Level, outcome: Outcome) -> ScenarioResult {
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

    pub fn failed() -> Outcome {
        Outcome::Failed {
            message: "expected status 400, got 500 <&>".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{testing::*, *};

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
}
