//! The HTML report (`--html FILE`): one self-contained page for a person to open, with no
//! network fetches — the verdict, the totals per feature, every scenario with its verdict
//! (failures in full: the rules they broke, the request, the response, the decoded claims and
//! the curl replay), skips grouped by reason, and buttons that filter by outcome.

use std::{collections::BTreeMap, fmt::Write as _};

use crate::{
    contract,
    report::{Outcome, Report, Verdict, xml as esc},
};

/// The outcomes the page can filter on, with their labels.
const FILTERS: &[(&str, &str)] = &[
    ("all", "All"),
    ("failed", "Failed"),
    ("warning", "Warnings"),
    ("known", "Known failures"),
    ("skipped", "Skipped"),
    ("passed", "Passed"),
    ("info", "Implementation-defined"),
];

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1b1f24}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.5rem 0 .3rem}h3{font-size:1rem}
.ok{color:#116329}.bad{color:#b3261e}.meta{color:#57606a}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}
nav button{margin:.15rem;padding:.3rem .7rem;border:1px solid #8c959f;border-radius:1rem;background:#fff;cursor:pointer}
nav button[aria-pressed=true]{background:#1b1f24;color:#fff}
details{border-left:4px solid #d0d7de;margin:.3rem 0;padding:.1rem .6rem}
details.failed{border-color:#b3261e}details.warning{border-color:#bf8700}details.known{border-color:#8250df}
details.skipped{border-color:#8c959f}details.passed{border-color:#116329}details.info{border-color:#0969da}
summary{cursor:pointer}.rule{margin:.3rem 0}.rule code{font-weight:600}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
body[data-filter] details{display:none}
body[data-filter=all] details{display:block}
";

// A filter is a button, or the page's `#fragment` (`report.html#failed`), so a link can open
// the page filtered.
const SCRIPT: &str = "
function show(f){document.body.dataset.filter=f;
 document.querySelectorAll('nav button').forEach(function(x){x.setAttribute('aria-pressed',x.dataset.filter===f)});
 document.querySelectorAll('details').forEach(function(d){d.style.display=(f==='all'||d.classList.contains(f))?'block':'none'});}
document.querySelectorAll('nav button').forEach(function(b){b.addEventListener('click',function(){show(b.dataset.filter)})});
if(location.hash.length>1){show(location.hash.slice(1))}
";

/// The CSS class and label of a verdict.
fn class_of(v: &Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Passed => ("passed", "✓ passed"),
        Verdict::Failed => ("failed", "✗ failed"),
        Verdict::Warning => ("warning", "! warning (SHOULD)"),
        Verdict::Known(_) => ("known", "✗ known failure"),
        Verdict::FixedKnown(_) => ("passed", "✓ passed (listed as known)"),
        Verdict::Skipped => ("skipped", "– skipped"),
        Verdict::Info => ("info", "• implementation-defined"),
    }
}

/// The page for several runs.
pub fn html(reports: &[Report]) -> String {
    let conforms = reports.iter().all(Report::conforms);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>jwt-conformance: {}</title><style>{STYLE}</style></head>\n<body data-filter=\"all\">\n",
        if conforms {
            "conforms"
        } else {
            "does not conform"
        }
    );
    let _ = writeln!(
        out,
        "<header><h1 class=\"{}\">{}</h1><p class=\"meta\">jwt-conformance {} · contract {} (CONTRACT.md)</p></header>",
        if conforms { "ok" } else { "bad" },
        if conforms {
            "CONFORMS"
        } else {
            "DOES NOT CONFORM"
        },
        esc(env!("CARGO_PKG_VERSION")),
        esc(&contract::contract().version)
    );
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reports {
        for v in &r.verdicts {
            *counts.entry(class_of(v).0).or_default() += 1;
            *counts.entry("all").or_default() += 1;
        }
    }
    out.push_str("<nav id=\"filters\">");
    for (key, label) in FILTERS {
        let _ = write!(
            out,
            "<button type=\"button\" data-filter=\"{key}\" aria-pressed=\"{}\">{label} ({})</button>",
            *key == "all",
            counts.get(key).copied().unwrap_or(0)
        );
    }
    out.push_str("</nav>\n");
    for r in reports {
        run(&mut out, r);
    }
    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

fn run(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "<section class=\"run\"><h2 class=\"{}\">{} — {} ({} dialect): {}</h2>",
        if r.conforms() { "ok" } else { "bad" },
        esc(&r.target),
        esc(&r.profile),
        esc(&r.dialect),
        if r.conforms() {
            "conforms"
        } else {
            "does not conform"
        }
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} scenarios in {:.1} s · started {} · finished {}{}{}</p>",
        r.scenarios.len(),
        r.duration.as_secs_f64(),
        esc(&r.started_at),
        esc(&r.finished_at),
        if r.strict { " · --strict" } else { "" },
        if r.insecure {
            " · --insecure: TLS certificates not verified"
        } else {
            ""
        }
    );
    out.push_str("<table class=\"summary\"><tr><th>feature</th><th>passed</th><th>failed</th><th>skipped</th><th>warnings</th><th>known</th><th>info</th></tr>\n");
    let mut rows = r.per_feature();
    rows.push(("total".to_string(), r.tally()));
    for (feature, t) in rows {
        let cells: String = t
            .columns()
            .iter()
            .map(|n| format!("<td>{n}</td>"))
            .collect();
        let _ = writeln!(out, "<tr><td>{}</td>{cells}</tr>", esc(&feature));
    }
    out.push_str("</table>\n<h3>Scenarios</h3>\n");
    // Failures first, then the rest in feature order.
    let rank = |v: &Verdict| match v {
        Verdict::Failed => 0,
        Verdict::Warning => 1,
        Verdict::Known(_) => 2,
        _ => 3,
    };
    let mut pairs: Vec<_> = r.scenarios.iter().zip(&r.verdicts).collect();
    pairs.sort_by_key(|(_, v)| rank(v));
    for (s, v) in pairs {
        let (class, label) = class_of(v);
        let open = if matches!(v, Verdict::Failed) {
            " open"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<details class=\"scenario {class}\"{open}><summary><b>{label}</b> {} › {} <span class=\"meta\">[{}:{}]</span></summary>",
            esc(&s.feature),
            esc(&s.scenario),
            esc(&s.file),
            s.line
        );
        for rule in &s.rules {
            let _ = write!(
                out,
                "<div class=\"rule\"><code>{}</code> — {} <span class=\"meta\">({})</span></div>",
                esc(&rule.id),
                esc(&rule.statement),
                esc(&rule.link)
            );
        }
        if let Verdict::Known(reason) | Verdict::FixedKnown(reason) = v {
            let _ = write!(out, "<p>known failure: {}</p>", esc(reason));
        }
        match &s.outcome {
            Outcome::Failed { message } => {
                let _ = write!(out, "<pre>{}</pre>", esc(message));
            }
            Outcome::Skipped { reason } => {
                let _ = write!(out, "<p>skipped: {}</p>", esc(reason));
            }
            Outcome::Passed => {}
        }
        for n in &s.notes {
            let _ = write!(out, "<pre>{}</pre>", esc(n));
        }
        out.push_str("</details>\n");
    }
    let mut skips: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &r.scenarios {
        if let Outcome::Skipped { reason } = &s.outcome {
            skips.entry(reason).or_default().push(&s.scenario);
        }
    }
    if !skips.is_empty() {
        out.push_str("<h3>Skipped, by reason (never counted as passed)</h3>\n<ul class=\"skips\">");
        for (reason, names) in skips {
            let _ = write!(out, "<li>{} × {}<ul>", names.len(), esc(reason));
            for n in names {
                let _ = write!(out, "<li>{}</li>", esc(n));
            }
            out.push_str("</ul></li>");
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        known::KnownFailures,
        report::{CitedRule, Level, ScenarioResult},
    };

    fn scenario(name: &str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult {
            feature: "Obtaining <tokens>".into(),
            file: "obtaining_tokens.feature".into(),
            scenario: name.into(),
            line: 7,
            tags: vec!["rule:OBT-2".into()],
            rules: CitedRule::from_tags(&["rule:OBT-2".to_string()]),
            level: Level::Must,
            outcome,
            notes: vec![],
            duration: Duration::from_millis(3),
        }
    }

    #[test]
    fn a_failing_run_shows_its_failures_rules_filters_and_skips_without_fetching_anything() {
        let r = Report::new(
            "http://127.0.0.1:1".into(),
            "classic".into(),
            "classic".into(),
            false,
            Duration::from_secs(1),
            vec![
                scenario(
                    "A wrong password is refused",
                    Outcome::Failed {
                        message: "expected 400, got 200 <script>alert(1)</script>".into(),
                    },
                ),
                scenario(
                    "Needs a key",
                    Outcome::Skipped {
                        reason: "no key".into(),
                    },
                ),
                scenario("Fine", Outcome::Passed),
            ],
            &KnownFailures::default(),
        );
        let page = html(&[r]);
        assert!(page.contains("DOES NOT CONFORM"), "{page}");
        assert!(page.contains("<code>OBT-2</code>"), "{page}");
        assert!(page.contains("CONTRACT.md#obt-2"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(page.contains("data-filter=\"failed\""), "{page}");
        assert!(page.contains("1 × no key"), "{page}");
        assert!(page.contains("Obtaining &lt;tokens&gt;"), "{page}");
        assert_eq!(page.matches("<script").count(), 1, "one inline script");
        for fetch in ["src=", "href=", "@import", "url("] {
            assert!(!page.contains(fetch), "{fetch} in {page}");
        }
    }
}
