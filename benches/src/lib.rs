//! Shared pieces of the criterion benches: the tokens to verify, the floor verifier, the bare
//! hyper baseline server, and the summary tables written beside criterion's report.
//!
//! `cargo bench -p benches` runs both benches; criterion's HTML report (with plots) is then at
//! `target/criterion/report/index.html`, and the summaries at `target/criterion/*-summary.md`.

pub mod baseline;
pub mod fixture;
pub mod floor;
pub mod summary;

/// The value, or a one-line reason on stderr and exit code 2: a bench that cannot set up
/// must not report numbers.
pub fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            eprintln!("benches: {what}: {e}");
            std::process::exit(2)
        }
    }
}
