//! `GET /healthz`: the liveness answer for an orchestrator or a frontend's dev proxy. Outside
//! both dialects' paths (`/gettoken/`-style and `/api/…`), without a trailing slash so that no
//! API path can ever be its APPEND_SLASH form, and not a rule of the contract.

use warp::http::{Method, StatusCode};
use warp::reply::Response;

use crate::error::ApiError;
use crate::reply;
use crate::request::Incoming;

/// The path of the health check.
pub const PATH: &str = "/healthz";

/// `Allow` of the health check.
pub const ALLOW: &str = "GET, HEAD";

/// GET /healthz → 200 `{"status":"ok"}`: the server accepts connections and runs handlers.
pub async fn check(request: Incoming) -> Result<Response, ApiError> {
    match request.method {
        Method::GET | Method::HEAD => Ok(reply::json(StatusCode::OK, &Status { status: "ok" })),
        _ => Err(request.method_not_allowed()),
    }
}

#[derive(serde::Serialize)]
struct Status {
    status: &'static str,
}
