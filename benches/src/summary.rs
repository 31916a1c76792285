//! Summary tables written next to criterion's report, so the figures of one run can be read
//! (and pasted into the README) without opening the HTML.

use std::path::PathBuf;
use std::time::SystemTime;

/// Where criterion writes: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
/// `criterion` directory of the target directory the bench executable was built in.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    // target/release/deps/<bench>-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// As [`publish`], but not in criterion's `--test` / `--list` modes (one iteration each:
/// their figures mean nothing and must not replace a real run's table).
pub fn publish_unless_testing(name: &str, text: &str) {
    if !std::env::args().any(|a| a == "--test" || a == "--list") {
        publish(name, text);
    }
}

/// Prints `text` and writes it to `<criterion dir>/<name>`.
pub fn publish(name: &str, text: &str) {
    println!("\n{text}");
    let dir = criterion_dir();
    let path = dir.join(name);
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text)) {
        Ok(()) => println!("(written to {})", path.display()),
        Err(e) => eprintln!("benches: cannot write {}: {e}", path.display()),
    }
}

/// criterion's estimate for one benchmark, in nanoseconds per iteration: the slope when it
/// sampled linearly, the mean otherwise (what its console shows as `time`). Only an estimate
/// written at or after `since` counts: a benchmark filtered out of this run has none.
pub fn estimate_ns(group: &str, function: &str, since: SystemTime) -> Option<f64> {
    let path = criterion_dir()
        .join(criterion_name(group))
        .join(criterion_name(function))
        .join("new")
        .join("estimates.json");
    let written = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
    if written < since {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["slope", "mean"]
        .iter()
        .find_map(|k| json[k]["point_estimate"].as_f64())
}

/// criterion's directory name for a group or function id.
fn criterion_name(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect()
}
