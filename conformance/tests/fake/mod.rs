//! Broken targets for the suite's self-tests: a small stateful fake of the API of CONTRACT.md that
//! carries at most one deliberate `Defect`, and a few stateless wiremock mocks (`mocks`).
//!
//! The fake is written directly on hyper and shares nothing with the reference server: it is a
//! second, deliberately simple reading of CONTRACT.md. Without a defect it conforms; with one, it
//! breaks exactly one rule, at the place where that rule lives (look for `self.has(...)`).
//! It serves the classic layout (`/gettoken/`, `/api/resource/`, ...) with classic behaviour and
//! the v1 layout (`/api/v1/token/`, `/api/v1/users/`, ...) with simplejwt behaviour, over one user
//! store and one key, with short token lifetimes so that expiry can be waited for.

/// Declares an enum whose variants each carry a one-line doc saying the bug, and `bug()`, which
/// returns that line: each defect is described once, for the code and the README table alike.
macro_rules! bugs {
    (
        $(#[doc = $enum_doc:literal])*
        pub enum $enum:ident { $(#[doc = $doc:literal] $name:ident,)* }
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $enum {
            $(#[doc = $doc] $name,)*
        }

        impl $enum {
            /// What is wrong with a target that has this defect.
            pub fn bug(self) -> &'static str {
                match self {
                    $($enum::$name => $doc.trim(),)*
                }
            }
        }
    };
}

mod asymmetric;
mod defects;
mod http;
pub mod mocks;
mod resources;
mod routes;
mod store;
mod token_endpoints;
mod tokens;
mod wire;

use std::sync::Arc;

use hyper::{server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, task::JoinHandle};

pub use defects::Defect;
pub use http::BODY_LIMIT;

/// The HS256 key of the fake (and of the mocks' canned tokens).
pub const KEY: &str = "fake-api-signing-key-3b9e61d04c7a2f58";
/// Access token lifetime, seconds.
pub const ACCESS_LIFETIME: i64 = 4;
/// Refresh token lifetime, seconds.
pub const REFRESH_LIFETIME: i64 = 7;

/// An account of the fake.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// `user_id` claim and resource id.
    pub id: u64,
    /// The classic login.
    pub username: &'static str,
    /// The v1 login.
    pub email: &'static str,
    /// Its password.
    pub password: &'static str,
    /// Whether it may log in.
    pub active: bool,
}

/// The active account.
pub const ALICE: Account = Account {
    id: 1,
    username: "alice",
    email: "alice@example.com",
    password: "alice-pass-1",
    active: true,
};

/// The inactive account.
pub const BOB: Account = Account {
    id: 2,
    username: "bob",
    email: "bob@example.com",
    password: "bob-pass-1",
    active: false,
};

/// How the fake treats refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// Refresh returns only an access token; a refresh token can be used again.
    Off,
    /// Refresh also returns a new refresh token, and the one traded in is blacklisted.
    WithBlacklist,
}

/// What the fake signs its tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// HS256 with `KEY`.
    Hs256,
    /// RS256 with the RSA test key pair of `tests/data` (`asymmetric::PRIVATE_PEM`).
    Rs256,
}

pub use asymmetric::{PRIVATE_PEM, PUBLIC_PEM};

/// The fake's state, shared by every connection.
#[derive(Debug)]
pub struct App {
    defect: Option<Defect>,
    rotation: Rotation,
    store: store::Store,
    /// The RSA key pair in RS256 mode; HS256 with `KEY` without it.
    rsa: Option<asymmetric::RsaKeys>,
}

impl App {
    /// Whether the fake carries this defect.
    fn has(&self, defect: Defect) -> bool {
        self.defect == Some(defect)
    }
}

/// A fake listening on 127.0.0.1; it stops accepting connections when dropped.
#[derive(Debug)]
pub struct Running {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    accept_loop: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Starts a fake with this defect (none: the correct fake) on a free port.
pub async fn spawn(
    defect: Option<Defect>,
    rotation: Rotation,
    signing: Signing,
) -> std::io::Result<Running> {
    let rsa = match signing {
        Signing::Hs256 => None,
        Signing::Rs256 => Some(asymmetric::RsaKeys::load().map_err(std::io::Error::other)?),
    };
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let app = Arc::new(App {
        defect,
        rotation,
        store: store::Store::new(&[ALICE, BOB]),
        rsa,
    });
    let accept_loop = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let app = app.clone();
            tokio::spawn(async move {
                let io = TokioIo::new(wire::Wire::new(
                    stream,
                    app.has(Defect::BodyOn204),
                    app.has(Defect::MalformedRequestsDropped),
                ));
                let service = service_fn(move |req| routes::handle(app.clone(), req));
                // Connection errors are the client's doing (the raw probes make plenty).
                let _ = http1::Builder::new().serve_connection(io, service).await;
            });
        }
    });
    Ok(Running {
        base_url,
        accept_loop,
    })
}
