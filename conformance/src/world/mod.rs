//! The per-scenario state (`ApiWorld`), split along its seams: `failing` (failing or skipping
//! with a full account of why, and the notes of `@info` scenarios), `placeholders` (`${...}`
//! and the tokens a scenario holds), `requests` (every request a scenario makes, its steps' and
//! its setup's (token pairs, resources), sent and checked against the rules every response
//! keeps).

mod failing;
mod placeholders;
mod requests;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime},
};

use conformance::{
    http::{Exchange, RawConnection, RawResponse, TransportError},
    target::Target,
};
use serde_json::{Map, Value, json};

#[cfg(test)]
pub use requests::EVERY_RESPONSE;
pub use requests::{Body, Dest, challenge, is_bearer_challenge};

/// Panic payload that ends a scenario as skipped, with a reason.
#[derive(Debug)]
pub struct Skip(pub String);

/// Ends the scenario as skipped: it cannot run against this target or with these inputs.
pub fn skip(reason: impl Into<String>) -> ! {
    std::panic::panic_any(Skip(reason.into()))
}

tokio::task_local! {
    /// The target of the run in progress, for the worlds it creates: cucumber builds a world
    /// with no argument, so the runner sets it around the run (`TARGET.scope(...)`).
    pub static TARGET: Arc<Target>;
}

/// A token the scenario holds, and when it arrived (to estimate the server's clock).
#[derive(Debug, Clone)]
pub struct Token {
    /// The compact JWS.
    pub value: String,
    /// Local time of receipt.
    pub received: SystemTime,
}

/// The `Authorization` header a scenario sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// No header.
    None,
    /// This header value (possibly empty).
    Header(String),
}

/// The resource a scenario created, as the client last acknowledged it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The id the server assigned (a number or a string).
    pub id: Value,
    /// Absolute URL of the item.
    pub url: String,
    /// Field values other than `id`, as last written and acknowledged.
    pub fields: Map<String, Value>,
}

/// One scenario's state.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct ApiWorld {
    /// The run's target.
    pub t: Arc<Target>,
    /// Tokens by name (`access`, `refresh`, `new_access`, ...).
    pub tokens: BTreeMap<String, Token>,
    /// The Authorization header to send.
    pub auth: Auth,
    /// Every exchange so far, oldest first.
    pub history: Vec<Exchange>,
    /// The resource this scenario works on.
    pub mine: Option<Resource>,
    /// URL of a resource this scenario created and deleted.
    pub deleted: Option<String>,
    /// Item URLs to delete when the scenario ends.
    pub cleanup: Vec<String>,
    /// Resources of the concurrency scenarios: what each create made (if anything), and the
    /// status of the last write to it.
    pub batch: Vec<(Option<Resource>, u16)>,
    /// The raw connection of the last raw probe, still open.
    pub raw: Option<RawConnection>,
    /// The last raw probe's answer.
    pub raw_answer: Option<Result<RawResponse, TransportError>>,
    /// Observations for the report (`@info`).
    pub notes: Vec<String>,
    /// Tokens whose expiry the scenario waited for on purpose.
    pub awaited: Vec<String>,
    /// Header fields sent with every request besides Authorization (`${...}` expanded).
    pub extra_headers: Vec<(String, String)>,
}
impl ApiWorld {
    fn new() -> Self {
        ApiWorld {
            t: TARGET.with(Arc::clone),
            tokens: BTreeMap::new(),
            auth: Auth::None,
            history: Vec::new(),
            mine: None,
            deleted: None,
            cleanup: Vec::new(),
            batch: Vec::new(),
            raw: None,
            raw_answer: None,
            notes: Vec::new(),
            awaited: Vec::new(),
            extra_headers: Vec::new(),
        }
    }
}

/// A JSON object of string fields.
pub fn fields(pairs: &[(&str, &str)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// Reason for skipping when no inactive account was given.
pub const NO_INACTIVE: &str =
    "no inactive account was given (--inactive-login / --inactive-password)";
/// Reason for skipping when the profile has no resource collection.
pub const NO_RESOURCES: &str = "the profile has no resource collection (endpoints.resources)";

/// How long after a token's own expiry the suite waits before using it, to be just past `exp`.
pub const EXPIRY_MARGIN: Duration = Duration::from_millis(400);
