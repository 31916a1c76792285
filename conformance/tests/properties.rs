//! The property tests (`jwt-conformance properties`) hold against the reference server: the
//! bundled one (both built-in profiles), or the target named by `BASE_URL` and friends.

mod support;

use support::Invocation;

#[test]
fn properties_hold_against_the_reference_server() {
    let out =
        Invocation::new(["properties", "--cases", "128", "--budget", "60s", "--quiet"]).output();
    let stdout = out.stdout;
    assert_eq!(out.code, 0, "{stdout}\n{}", out.stderr);
    assert!(stdout.contains("ALL PROPERTIES HOLD"), "{stdout}");
    for name in ["tokens", "bodies", "resources"] {
        assert!(
            stdout.contains(&format!("✓ {name}")),
            "{name} did not hold or did not run:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("budget reached"),
        "a run cut short proves less:\n{stdout}"
    );
}

#[test]
fn a_bad_argument_exits_2_with_a_message() {
    let out = Invocation::new([
        "properties",
        "--base-url",
        "http://127.0.0.1:9",
        "--login",
        "x",
        "--password",
        "y",
    ])
    .env_remove(&["BASE_URL"])
    .output();
    assert_eq!(out.code, 2);
    let stderr = out.stderr;
    assert!(
        stderr.contains("cannot reach http://127.0.0.1:9"),
        "{stderr}"
    );
}
