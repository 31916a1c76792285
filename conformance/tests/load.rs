//! `jwt-conformance load`: short, bounded runs (about a second each) against the bundled or a
//! spawned reference server. They check counts, the JSON report's shape and the exit codes;
//! never performance, which a shared test machine cannot promise.

mod support;

use std::{path::PathBuf, time::Duration};

use serde_json::Value;
use support::Invocation;

async fn server() -> reference_server::RunningServer {
    support::spawn(|c| {
        c.access_lifetime = Duration::from_secs(600);
        c.refresh_lifetime = Duration::from_secs(1200);
        c.users = vec![support::user("lena", "lena-pw-1", true)];
    })
    .await
}

/// `jwt-conformance load` with `args`, quiet, without the load's variables of this shell.
fn invocation<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Invocation {
    Invocation::new(["load"])
        .args(args)
        .quiet()
        .env_remove(&[
            "BASE_URL",
            "PROFILE",
            "LOGIN",
            "PASSWORD",
            "REQUEST_TIMEOUT",
        ])
        .env_remove_prefixed("LOAD_")
}

fn run(args: &[String]) -> (i32, String, String) {
    invocation(args).output().triple()
}

async fn run_async(args: &[&str]) -> (i32, String, String) {
    invocation(args).output_async().await.triple()
}

fn json_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "load-{name}-{}.json",
        uuid::Uuid::new_v4().simple()
    ))
}

fn read_json(path: &PathBuf) -> Value {
    let text = std::fs::read_to_string(path).expect("the JSON report was written");
    let _ = std::fs::remove_file(path);
    serde_json::from_str(&text).expect("the JSON report parses")
}

fn total_of(counts: &Value) -> u64 {
    counts
        .as_object()
        .expect("an object of counts")
        .values()
        .map(|n| n.as_u64().expect("a count"))
        .sum()
}

#[test]
fn a_run_against_the_bundled_server_reports_counts_and_both_histograms() {
    let json = json_path("bundled");
    let (code, out, err) = run(&[
        "--duration".into(),
        "1s".into(),
        "--connections".into(),
        "4".into(),
        "--json".into(),
        json.to_string_lossy().into_owned(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("POST http://127.0.0.1:"), "{out}");
    assert!(out.contains("/verifytoken/ (verify)"), "{out}");
    assert!(
        out.contains("raw") && out.contains("corrected (CO)"),
        "{out}"
    );
    assert!(!out.contains("eyJ"), "no token may be printed: {out}");
    let report = read_json(&json);
    let requests = &report["requests"];
    let total = requests["total"].as_u64().expect("total");
    assert!(total > 0, "{report}");
    assert_eq!(
        total,
        total_of(&requests["by_status"]) + total_of(&requests["failures"]),
        "{report}"
    );
    assert_eq!(requests["ok"], requests["by_status"]["200"], "{report}");
    assert_eq!(report["model"], "closed");
    assert_eq!(report["connections"], 4);
    assert_eq!(report["passed"], true);
    for histogram in ["raw", "corrected"] {
        for key in ["p50", "p90", "p99", "p99.9", "max", "mean"] {
            assert!(
                report["latency_ms"][histogram][key].is_number(),
                "{histogram}.{key}: {report}"
            );
        }
    }
    assert!(
        report["latency_ms"]["correction"]
            .as_str()
            .is_some_and(|c| c.starts_with("closed model")),
        "{report}"
    );
    assert!(report["rps"].as_f64().is_some_and(|r| r > 0.0), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_requests_bounds_a_run_against_a_given_url() {
    let srv = server().await;
    let url = srv.base_url();
    let json = json_path("bounded");
    let path = json.to_string_lossy().into_owned();
    let (code, out, err) = run_async(&[
        "--base-url",
        &url,
        "--login",
        "lena",
        "--password",
        "lena-pw-1",
        "--endpoint",
        "resource",
        "--connections",
        "3",
        "--max-requests",
        "50",
        "--duration",
        "60s",
        "--json",
        &path,
    ])
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("lena-pw-1") && !err.contains("lena-pw-1"));
    let report = read_json(&json);
    assert_eq!(report["requests"]["total"], 50, "{report}");
    assert_eq!(report["requests"]["by_status"]["200"], 50, "{report}");
    assert_eq!(report["method"], "GET");
    assert!(
        report["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/api/resource/") && p.ends_with('/')),
        "{report}"
    );
    assert!(
        report["elapsed_s"].as_f64().is_some_and(|s| s < 60.0),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fixed_rate_is_an_open_model_run() {
    let srv = server().await;
    let url = srv.base_url();
    let json = json_path("rate");
    let path = json.to_string_lossy().into_owned();
    let (code, out, err) = run_async(&[
        "--base-url",
        &url,
        "--login",
        "lena",
        "--password",
        "lena-pw-1",
        "--endpoint",
        "verify-v1",
        "--rate",
        "100",
        "--duration",
        "1s",
        "--connections",
        "2",
        "--json",
        &path,
    ])
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let report = read_json(&json);
    assert_eq!(report["model"], "open");
    assert_eq!(report["path"], "/api/v1/token/verify/");
    // Due times lie inside the run: at most rate × duration requests.
    let total = report["requests"]["total"].as_u64().expect("total");
    assert!((1..=100).contains(&total), "{report}");
    assert!(
        report["latency_ms"]["correction"]
            .as_str()
            .is_some_and(|c| c.starts_with("open model")),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missed_thresholds_exit_1() {
    let srv = server().await;
    let url = srv.base_url();
    let json = json_path("thresholds");
    let path = json.to_string_lossy().into_owned();
    let (code, out, err) = run_async(&[
        "--base-url",
        &url,
        "--login",
        "lena",
        "--password",
        "lena-pw-1",
        "--max-requests",
        "20",
        "--connections",
        "2",
        "--min-rps",
        "1e15",
        "--max-p99",
        "1h",
        "--json",
        &path,
    ])
    .await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("MISSED"), "{out}");
    let report = read_json(&json);
    assert_eq!(report["passed"], false);
    let checks = report["thresholds"].as_array().expect("thresholds");
    let passed = |name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["passed"].clone())
    };
    assert_eq!(passed("max_p99_ms"), Some(Value::Bool(true)), "{report}");
    assert_eq!(passed("min_rps"), Some(Value::Bool(false)), "{report}");
}

#[test]
fn a_run_that_cannot_happen_exits_2() {
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let (code, _, err) = run(&args(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--login",
        "a",
        "--password",
        "b",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot reach http://127.0.0.1:9"), "{err}");
    let (code, _, err) = run(&args(&["--endpoint", "everything"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&args(&["--rate", "0"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&args(&["--connections", "0"]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&args(&["--login", "a", "--password", "b"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give its --base-url too"), "{err}");
    let (code, _, err) = run(&args(&["--base-url", "ftp://127.0.0.1:9"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("must be http:// or https://"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_html_report_is_one_page_with_both_charts() {
    let srv = server().await;
    let url = srv.base_url();
    let html = std::env::temp_dir().join(format!("load-{}.html", uuid::Uuid::new_v4().simple()));
    let json = json_path("html");
    let (code, out, err) = run_async(&[
        "--base-url",
        &url,
        "--login",
        "lena",
        "--password",
        "lena-pw-1",
        "--connections",
        "2",
        "--duration",
        "2s",
        "--html",
        &html.to_string_lossy(),
        "--json",
        &json.to_string_lossy(),
    ])
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let page = std::fs::read_to_string(&html).expect("the HTML report was written");
    let _ = std::fs::remove_file(&html);
    let report = read_json(&json);
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.trim_end().ends_with("</html>"));
    // Self-contained: nothing to fetch, nothing to run.
    for outside in ["<script", "<link", "<img", "src=", "@import", "url("] {
        assert!(!page.contains(outside), "{outside} in the page");
    }
    assert!(!page.contains("lena-pw-1") && !page.contains("eyJ"));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 2, "{page}");
    for class in ["series raw", "series corrected", "series throughput"] {
        assert!(
            page.contains(&format!("<polyline class=\"{class}\"")),
            "{class}"
        );
    }
    assert!(
        page.contains(&format!("POST {url}/verifytoken/ (verify)")),
        "{page}"
    );
    // The seconds of the JSON report add up to its responses, and the chart has a point for
    // each second of the 2 s run.
    let per_second: Vec<u64> = report["responses_per_second"]
        .as_array()
        .expect("responses_per_second")
        .iter()
        .map(|n| n.as_u64().expect("a count"))
        .collect();
    assert!((2..=3).contains(&per_second.len()), "{per_second:?}");
    assert_eq!(
        per_second.iter().sum::<u64>(),
        report["requests"]["responses"].as_u64().expect("responses"),
        "{report}"
    );
    let throughput = page
        .split("<polyline class=\"series throughput\"")
        .nth(1)
        .and_then(|rest| rest.split("points=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("throughput points");
    assert!(
        (2..=3).contains(&throughput.split_whitespace().count()),
        "{throughput}"
    );
}
