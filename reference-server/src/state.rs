//! The shared state of a running server: one signing key, one user store, one resource store.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, ConfigError};
use crate::cors::Cors;
use crate::store::{InMemoryStore, ResourceStore};
use crate::tokens::{TokenSettings, Tokens};
use crate::users::{HashError, LoginGate, UserStore};

/// Cheap to clone; every route gets a copy.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tokens: Tokens,
    /// Lower-cased header name the token is read from, and the schemes accepted in it.
    auth_header: warp::http::HeaderName,
    auth_header_types: Vec<String>,
    /// `<first scheme> realm="api"`, the challenge of every 401.
    challenge: warp::http::HeaderValue,
    users: UserStore,
    resources: Box<dyn ResourceStore>,
    max_body_bytes: u64,
    body_read_timeout: Duration,
    cors: Cors,
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl AppState {
    /// Validates `config`, hashes the passwords (on a blocking thread) and sets up an empty
    /// in-memory resource store.
    pub async fn build(config: &Config) -> Result<AppState, StateError> {
        AppState::with_store(config, Box::new(InMemoryStore::default())).await
    }

    /// As [`AppState::build`], with the given resource store.
    pub async fn with_store(
        config: &Config,
        resources: Box<dyn ResourceStore>,
    ) -> Result<AppState, StateError> {
        config.validate()?;
        let specs = config.users.clone();
        let users = tokio::task::spawn_blocking(move || UserStore::build(&specs))
            .await??
            .with_gate(LoginGate::new(
                config.max_concurrent_logins,
                config.login_queue,
            ));
        let tokens = Tokens::with_signer(
            config.algorithm,
            config.signer().map_err(ConfigError::from)?,
            TokenSettings {
                access_lifetime: config.access_lifetime,
                refresh_lifetime: config.refresh_lifetime,
                leeway: config.leeway,
                rotate_refresh_tokens: config.rotate_refresh_tokens,
                blacklist_after_rotation: config.blacklist_after_rotation,
            },
        )
        .with_claim_names(config.claim_names.clone());
        // validate() has checked both.
        let auth_header = warp::http::HeaderName::from_bytes(config.auth_header_name.as_bytes())
            .unwrap_or(warp::http::header::AUTHORIZATION);
        let scheme = config
            .auth_header_types
            .first()
            .map_or("Bearer", String::as_str);
        let challenge = warp::http::HeaderValue::from_str(&format!("{scheme} realm=\"api\""))
            .unwrap_or_else(|_| warp::http::HeaderValue::from_static("Bearer realm=\"api\""));
        Ok(AppState {
            inner: Arc::new(Inner {
                cors: Cors::new(config.cors_origins.clone(), &auth_header),
                tokens,
                auth_header,
                auth_header_types: config.auth_header_types.clone(),
                challenge,
                users,
                resources,
                max_body_bytes: config.max_body_bytes,
                body_read_timeout: config.body_read_timeout,
            }),
        })
    }

    pub fn tokens(&self) -> &Tokens {
        &self.inner.tokens
    }

    /// The header a token is read from.
    pub fn auth_header(&self) -> &warp::http::HeaderName {
        &self.inner.auth_header
    }

    /// The schemes accepted in it.
    pub fn auth_header_types(&self) -> &[String] {
        &self.inner.auth_header_types
    }

    /// The `WWW-Authenticate` value of every 401.
    pub fn challenge(&self) -> &warp::http::HeaderValue {
        &self.inner.challenge
    }

    pub fn users(&self) -> &UserStore {
        &self.inner.users
    }

    pub fn resources(&self) -> &dyn ResourceStore {
        self.inner.resources.as_ref()
    }

    pub fn max_body_bytes(&self) -> u64 {
        self.inner.max_body_bytes
    }

    pub fn body_read_timeout(&self) -> Duration {
        self.inner.body_read_timeout
    }

    /// The origins allowed to call from a browser (`--cors-origin`).
    pub fn cors(&self) -> &Cors {
        &self.inner.cors
    }
}
