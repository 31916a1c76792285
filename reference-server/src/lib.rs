//! Reference server for the JWT login API of CONTRACT.md: the classic paths with the classic
//! dialect and the v1 paths with the simplejwt dialect, over one user store and one key.
//!
//! Tests and tools start it with [`spawn`]; the binary runs [`serve`].

pub mod auth;
pub mod blacklist;
pub mod body;
pub mod config;
pub mod cors;
pub mod dialect;
pub mod error;
pub mod fields;
pub mod handlers;
pub mod keys;
pub mod log_format;
pub mod log_writer;
pub mod reply;
pub mod request;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod tokens;
pub mod users;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Config, ConfigError, UserSpec};
pub use routes::routes;
pub use state::AppState;
pub use tokens::{Claims, Expect, TokenError, Tokens};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    State(#[from] state::StateError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server running in the background of the current tokio runtime. Dropping it starts a
/// graceful shutdown; [`RunningServer::shutdown`] also waits for it to finish.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The address actually bound (the real port when the config asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's state (its `Tokens`, users and resource store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets open requests finish (for up to the configured shutdown
    /// timeout, then closes what is left), and waits until the server is done.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a server on `config.bind` and returns once it is listening.
pub async fn spawn(config: Config) -> Result<RunningServer, ServerError> {
    let state = AppState::build(&config).await?;
    let listener = bind(config.bind).await?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: config.bind,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server::run(
        listener,
        state.clone(),
        limits(&config),
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(RunningServer {
        addr,
        state,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Runs a server on `config.bind` until `shutdown` completes, then drains open requests.
pub async fn serve<F>(config: Config, shutdown: F) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let state = AppState::build(&config).await?;
    let listener = bind(config.bind).await?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening on http://{addr}");
        // The one line on stdout, for scripts to wait for (the log goes to stderr).
        println!("listening on http://{addr}");
    }
    server::run(listener, state, limits(&config), shutdown).await;
    tracing::info!("shut down");
    Ok(())
}

fn limits(config: &Config) -> server::Limits {
    server::Limits {
        header_read_timeout: config.header_read_timeout,
        idle_timeout: config.idle_timeout,
        write_timeout: config.write_timeout,
        shutdown_timeout: config.shutdown_timeout,
        max_connections: config.max_connections,
        http2: config.http2,
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })
}
