//! The `reference-server` binary: parse the command line, set up logging, serve until
//! SIGINT or SIGTERM.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Context as _;
use reference_server::log_format::{LogFormat, Style};
use reference_server::{Config, ConfigError, log_writer};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let config = match Config::parse_from(std::env::args_os()) {
        Ok(config) => config,
        Err(ConfigError::Cli(err)) => err.exit(),
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    // Log lines are written by a thread of their own: a request never waits for stderr.
    let style = config.log_style;
    let (log, _flush_at_exit) = match log_writer::stderr(style) {
        Ok(log) => log,
        Err(err) => {
            eprintln!("error: cannot start the log writer: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_writer(log)
        .with_ansi(style == Style::Text && std::io::stderr().is_terminal())
        .event_format(LogFormat::new(style))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config) -> anyhow::Result<()> {
    if config.uses_demo_user() {
        tracing::warn!(
            "no --user given: the demo account demo / demo@example.com / demo-password is active"
        );
    }
    if config.signing_key.is_none() {
        tracing::info!(
            "no --signing-key given: using a random key, so tokens do not survive a restart"
        );
    }
    if config.blacklist_after_rotation && !config.rotate_refresh_tokens {
        tracing::warn!("--blacklist-after-rotation has no effect without --rotate-refresh-tokens");
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
    runtime
        .block_on(reference_server::serve(config, shutdown_signal()))
        .context("server failed")
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
