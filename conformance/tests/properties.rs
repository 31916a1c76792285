//! The property tests (`jwt-conformance properties`) hold against the reference server: the
//! bundled one (both built-in profiles), or the target named by `BASE_URL` and friends.

use std::process::Command;

#[test]
fn properties_hold_against_the_reference_server() {
    let out = Command::new(env!("CARGO_BIN_EXE_jwt-conformance"))
        .args(["properties", "--cases", "128", "--budget", "60s", "--quiet"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let out = Command::new(env!("CARGO_BIN_EXE_jwt-conformance"))
        .args([
            "properties",
            "--base-url",
            "http://127.0.0.1:9",
            "--login",
            "x",
            "--password",
            "y",
        ])
        .env_remove("BASE_URL")
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot reach http://127.0.0.1:9"),
        "{stderr}"
    );
}
