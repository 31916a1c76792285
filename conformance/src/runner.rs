//! Runs the features against one target with cucumber and turns what happened into a
//! `Report`: the dialect filter, the user's tag/name filters, cleanup after each scenario,
//! and progress on stderr while it runs.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use cucumber::{World as _, WriterExt as _, cli, gherkin, tag::Ext as _};
use futures_util::FutureExt as _;
use regex::Regex;

use crate::{
    collector::{self, Collector},
    features::Preparsed,
    world::{ApiWorld, TARGET},
};
use conformance::{
    known::KnownFailures,
    profile::Dialect,
    report::{Outcome, Report},
    target::Target,
};

/// What selects and paces scenarios.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The user's tag expression.
    pub tags: Option<cucumber::gherkin::tagexpr::TagOperation>,
    /// The user's name filter.
    pub name: Option<Regex>,
    /// Scenarios in flight at once.
    pub concurrency: usize,
    /// Progress lines on stderr.
    pub progress: bool,
}

const DIALECT_TAGS: [&str; 2] = ["classic", "simplejwt"];

fn selected(
    sel: &Selection,
    dialect: Dialect,
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    sc: &gherkin::Scenario,
) -> bool {
    // Untagged scenarios hold for both dialects; tagged ones (or their Examples) for theirs.
    let dialect_ok = sc
        .tags
        .iter()
        .filter(|t| DIALECT_TAGS.contains(&t.as_str()))
        .all(|t| t == dialect.tag());
    let tags_ok = sel.tags.as_ref().is_none_or(|op| {
        op.eval(
            feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| &r.tags))
                .chain(&sc.tags),
        )
    });
    let name_ok = sel.name.as_ref().is_none_or(|re| re.is_match(&sc.name));
    dialect_ok && tags_ok && name_ok
}

/// How many scenarios a run will have.
pub fn count(features: &[gherkin::Feature], sel: &Selection, dialect: Dialect) -> usize {
    features
        .iter()
        .map(|f| {
            f.scenarios
                .iter()
                .filter(|s| selected(sel, dialect, f, None, s))
                .count()
                + f.rules
                    .iter()
                    .flat_map(|r| r.scenarios.iter().map(move |s| (r, s)))
                    .filter(|(r, s)| selected(sel, dialect, f, Some(r), s))
                    .count()
        })
        .sum()
}

/// Runs the selected scenarios against `target` and judges them.
pub async fn run(
    target: Arc<Target>,
    features: Vec<gherkin::Feature>,
    sel: &Selection,
    known: &KnownFailures,
    strict: bool,
) -> anyhow::Result<Report> {
    let dialect = target.profile.dialect;
    let total = count(&features, sel, dialect);
    if total == 0 {
        anyhow::bail!("no scenario matches the selection (--tags / --name)");
    }
    let (collector, results) = Collector::new();
    let started = Instant::now();
    let started_at = std::time::SystemTime::now();
    let ticker = sel.progress.then(|| {
        let results = results.clone();
        eprintln!(
            "  running {total} scenarios ({} at a time)…",
            sel.concurrency
        );
        tokio::spawn(async move {
            let mut last = usize::MAX;
            loop {
                tokio::time::sleep(Duration::from_secs(3)).await;
                let done = results.lock().map(|r| r.finished).unwrap_or(0);
                if done != last {
                    eprintln!(
                        "  {:>4.0} s  {done}/{total} scenarios finished",
                        started.elapsed().as_secs_f64()
                    );
                    last = done;
                }
            }
        })
    });
    let filter_sel = sel.clone();
    let notes = results.clone();
    let cucumber = ApiWorld::cucumber::<&str>()
        .with_parser(Preparsed)
        .with_writer(collector.normalized())
        .max_concurrent_scenarios(sel.concurrency)
        .after(move |feature, _rule, scenario, _ev, world| {
            let notes = notes.clone();
            async move {
                if let Some(w) = world {
                    w.clean_up().await;
                    if !w.notes.is_empty() {
                        let key = collector::notes_key(feature, scenario);
                        let taken = std::mem::take(&mut w.notes);
                        collector::lock(&notes).notes.insert(key, taken);
                    }
                }
            }
            .boxed_local()
        })
        .with_cli(cli::Opts::<_, _, _, cli::Empty>::default())
        .filter_run(features, move |f, r, s| {
            selected(&filter_sel, dialect, f, r, s)
        });
    // Every world of this run starts out with this target (`ApiWorld::new`).
    TARGET.scope(target.clone(), cucumber).await;
    if let Some(t) = ticker {
        t.abort();
    }
    let duration = started.elapsed();
    let collected = std::mem::take(
        &mut *results
            .lock()
            .map_err(|_| anyhow::anyhow!("internal error: results lock poisoned"))?,
    );
    if let Some(e) = collected.parse_errors.first() {
        anyhow::bail!("cannot run the features: {e}");
    }
    let mut scenarios = collected.scenarios;
    // Feature order, then line: the order of the files, not of completion.
    scenarios.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    let order: Vec<&str> = crate::features::EMBEDDED.iter().map(|(n, _)| *n).collect();
    scenarios.sort_by_key(|s| {
        order
            .iter()
            .position(|n| *n == s.file)
            .unwrap_or(usize::MAX)
    });
    for s in &mut scenarios {
        if let Outcome::Failed { message } = &mut s.outcome {
            *message = target.redactor.apply(message);
        }
    }
    let mut report = Report::new(
        target.base_url.clone(),
        target.profile.name.clone(),
        dialect.to_string(),
        strict,
        duration,
        scenarios,
        known,
    );
    report.insecure = target.client.transport().insecure();
    report.started_at = humantime::format_rfc3339_seconds(started_at).to_string();
    report.profile_settings = profile_settings(&target.profile);
    report.finished_at =
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    Ok(report)
}

/// The profile as the JSON report records it: what the run assumed, nothing secret.
fn profile_settings(p: &conformance::profile::Profile) -> serde_json::Value {
    let e = &p.endpoints;
    let secs = |d: Option<std::time::Duration>| d.map(|d| d.as_secs());
    serde_json::json!({
        "name": p.name,
        "dialect": p.dialect.to_string(),
        "login_field": p.login_field,
        "endpoints": {
            "obtain": e.obtain, "refresh": e.refresh, "verify": e.verify,
            "protected": e.protected, "resources": e.resources, "users": e.users,
        },
        "access_lifetime_s": secs(p.access_lifetime),
        "refresh_lifetime_s": secs(p.refresh_lifetime),
        "leeway_s": p.leeway.as_secs(),
        "rotate_refresh_tokens": p.rotate_refresh_tokens,
        "blacklist_after_rotation": p.blacklist_after_rotation,
    })
}
