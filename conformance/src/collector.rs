//! A cucumber `Writer` that prints nothing and collects one result per scenario, for the
//! suite's own report (levels, known failures, skip reasons, JUnit, JSON, exit code).

use std::{
    collections::HashMap,
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use cucumber::{
    Event, World, Writer, cli,
    event::{self, Source},
    gherkin, parser,
};

use crate::world::Skip;
use conformance::report::{CitedRule, Level, Outcome, ScenarioResult};

/// Collected results, shared with the runner (wrapping writers hide the collector itself).
pub type Results = Arc<Mutex<Collected>>;

/// What a run produced.
#[derive(Debug, Default)]
pub struct Collected {
    /// One entry per finished scenario.
    pub scenarios: Vec<ScenarioResult>,
    /// Features that could not be parsed.
    pub parse_errors: Vec<String>,
    /// A line per finished scenario, for the progress display.
    pub finished: usize,
    /// Notes of `@info` scenarios by (feature file, line), handed over by the after-scenario
    /// hook, which runs before the scenario's `Finished` event reaches the collector.
    pub notes: HashMap<(String, usize), Vec<String>>,
}

/// The writer.
#[derive(Debug, Default)]
pub struct Collector {
    /// Shared handle to the results.
    pub results: Results,
    in_flight: HashMap<Source<gherkin::Scenario>, (ScenarioResult, SystemTime)>,
}

impl Collector {
    /// A collector, and the handle to what it collects.
    pub fn new() -> (Self, Results) {
        let c = Collector::default();
        let results = c.results.clone();
        (c, results)
    }
}

/// The key of a scenario's notes: its feature file as cucumber names it, and its line.
pub fn notes_key(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> (String, usize) {
    let file = feature
        .path
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    (file, scenario.position.line)
}

pub fn lock(r: &Results) -> std::sync::MutexGuard<'_, Collected> {
    r.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A panic payload as text.
fn panic_message(info: &event::Info) -> String {
    if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "(the step panicked with a payload that is not text)".into()
    }
}

impl<W: World> Writer<W> for Collector {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        ev: parser::Result<Event<event::Cucumber<W>>>,
        _cli: &Self::Cli,
    ) {
        use event::{Cucumber, Feature, Rule};
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                lock(&self.results).parse_errors.push(e.to_string());
                return;
            }
        };
        let at = ev.at;
        match ev.value {
            Cucumber::Feature(f, Feature::Scenario(sc, ev)) => {
                self.on_scenario(&f, &sc, ev.event, at)
            }
            Cucumber::Feature(f, Feature::Rule(_, Rule::Scenario(sc, ev))) => {
                self.on_scenario(&f, &sc, ev.event, at)
            }
            _ => {}
        }
    }
}

impl Collector {
    fn on_scenario<W>(
        &mut self,
        f: &Source<gherkin::Feature>,
        sc: &Source<gherkin::Scenario>,
        ev: event::Scenario<W>,
        at: SystemTime,
    ) {
        use event::{Hook, Scenario as S, Step, StepError};
        match ev {
            S::Started => {
                let mut tags: Vec<String> = f.tags.clone();
                tags.extend(sc.tags.iter().filter(|t| !f.tags.contains(t)).cloned());
                let file = f
                    .path
                    .as_deref()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let res = ScenarioResult {
                    feature: f.name.clone(),
                    file,
                    scenario: sc.name.clone(),
                    line: sc.position.line,
                    level: Level::from_tags(&tags),
                    rules: CitedRule::from_tags(&tags),
                    tags,
                    outcome: Outcome::Passed,
                    notes: Vec::new(),
                    duration: Duration::ZERO,
                };
                self.in_flight.insert(sc.clone(), (res, at));
            }
            S::Finished => {
                if let Some((mut res, started)) = self.in_flight.remove(sc) {
                    res.duration = at.duration_since(started).unwrap_or_default();
                    let mut r = lock(&self.results);
                    if let Some(notes) = r.notes.remove(&notes_key(f, sc)) {
                        res.notes = notes;
                    }
                    r.scenarios.push(res);
                    r.finished += 1;
                }
            }
            S::Hook(kind, Hook::Failed(_, info)) => {
                if let Some((res, _)) = self
                    .in_flight
                    .get_mut(sc)
                    .filter(|(r, _)| r.outcome == Outcome::Passed)
                {
                    res.outcome = Outcome::Failed {
                        message: format!("{kind:?} hook failed: {}", panic_message(&info)),
                    };
                }
            }
            S::Background(st, step) | S::Step(st, step) => {
                let Some((res, _)) = self.in_flight.get_mut(sc) else {
                    return;
                };
                let text = format!("{}{}", st.keyword, st.value);
                match step {
                    Step::Skipped => {
                        res.outcome = Outcome::Failed {
                            message: format!(
                                "suite error: no step definition matches `{}` (line {})",
                                text.trim(),
                                st.position.line
                            ),
                        };
                    }
                    Step::Failed(_, _, _, err) => {
                        res.outcome = match err {
                            StepError::Panic(info) => match info.downcast_ref::<Skip>() {
                                Some(Skip(reason)) => Outcome::Skipped {
                                    reason: reason.clone(),
                                },
                                None => Outcome::Failed {
                                    message: format!(
                                        "step `{}` failed: {}",
                                        text.trim(),
                                        panic_message(&info)
                                    ),
                                },
                            },
                            StepError::NotFound => Outcome::Failed {
                                message: format!(
                                    "suite error: no step definition matches `{}`",
                                    text.trim()
                                ),
                            },
                            StepError::AmbiguousMatch(e) => Outcome::Failed {
                                message: format!("suite error: {e}"),
                            },
                        };
                    }
                    _ => {}
                }
            }
            S::Hook(..) | S::Log(_) => {}
        }
    }
}
