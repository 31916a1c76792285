//! The routing table: one filter per path. Paths are matched exactly (trailing slash
//! included); the method is dispatched inside each handler so that 401 comes before 405.

use std::future::Future;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::http::header::{HeaderValue, LOCATION};
use warp::reply::Response;

use crate::dialect::Dialect;
use crate::error::{self, ApiError};
use crate::handlers::{resources, tokens, users};
use crate::reply;
use crate::request::{Incoming, incoming};
use crate::state::AppState;

/// Paths served as they are.
const EXACT_PATHS: [&str; 8] = [
    "/gettoken/",
    "/tokenrefresh/",
    "/verifytoken/",
    "/api/resource/",
    "/api/v1/token/",
    "/api/v1/token/refresh/",
    "/api/v1/token/verify/",
    "/api/v1/users/",
];

/// Prefixes of `<prefix>{id}/` paths.
const ITEM_PREFIXES: [&str; 2] = ["/api/resource/", "/api/v1/users/"];

/// Every route, then Django's APPEND_SLASH redirect, then a JSON 404; logged one line each.
pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    gettoken(&state)
        .or(tokenrefresh(&state))
        .unify()
        .or(verifytoken(&state))
        .unify()
        .or(resource_collection(&state))
        .unify()
        .or(resource_item(&state))
        .unify()
        .or(v1_token(&state))
        .unify()
        .or(v1_token_refresh(&state))
        .unify()
        .or(v1_token_verify(&state))
        .unify()
        .or(v1_users(&state))
        .unify()
        .or(v1_user(&state))
        .unify()
        .or(append_slash())
        .unify()
        .recover(error::recover)
        .unify()
        .with(warp::log::custom(|info| {
            tracing::info!(
                method = %info.method(),
                path = info.path(),
                status = info.status().as_u16(),
                latency = ?info.elapsed(),
                "request"
            );
        }))
}

/// POST /gettoken/
pub fn gettoken(state: &AppState) -> BoxedFilter<(Response,)> {
    view(at("/gettoken/"), state, tokens::ALLOW, |request| {
        tokens::obtain_pair(request, Dialect::Classic)
    })
}

/// POST /tokenrefresh/
pub fn tokenrefresh(state: &AppState) -> BoxedFilter<(Response,)> {
    view(at("/tokenrefresh/"), state, tokens::ALLOW, |request| {
        tokens::refresh_access(request, Dialect::Classic)
    })
}

/// POST /verifytoken/
pub fn verifytoken(state: &AppState) -> BoxedFilter<(Response,)> {
    view(at("/verifytoken/"), state, tokens::ALLOW, |request| {
        tokens::verify_token(request, Dialect::Classic)
    })
}

/// GET, POST /api/resource/
pub fn resource_collection(state: &AppState) -> BoxedFilter<(Response,)> {
    view(
        at("/api/resource/"),
        state,
        resources::COLLECTION_ALLOW,
        resources::collection,
    )
}

/// GET, PUT, PATCH, DELETE /api/resource/{id}/
pub fn resource_item(state: &AppState) -> BoxedFilter<(Response,)> {
    item_view(
        "/api/resource/",
        state,
        resources::ITEM_ALLOW,
        resources::item,
    )
}

/// POST /api/v1/token/
pub fn v1_token(state: &AppState) -> BoxedFilter<(Response,)> {
    view(at("/api/v1/token/"), state, tokens::ALLOW, |request| {
        tokens::obtain_pair(request, Dialect::SimpleJwt)
    })
}

/// POST /api/v1/token/refresh/
pub fn v1_token_refresh(state: &AppState) -> BoxedFilter<(Response,)> {
    view(
        at("/api/v1/token/refresh/"),
        state,
        tokens::ALLOW,
        |request| tokens::refresh_access(request, Dialect::SimpleJwt),
    )
}

/// POST /api/v1/token/verify/
pub fn v1_token_verify(state: &AppState) -> BoxedFilter<(Response,)> {
    view(
        at("/api/v1/token/verify/"),
        state,
        tokens::ALLOW,
        |request| tokens::verify_token(request, Dialect::SimpleJwt),
    )
}

/// GET /api/v1/users/
pub fn v1_users(state: &AppState) -> BoxedFilter<(Response,)> {
    view(at("/api/v1/users/"), state, users::ALLOW, users::list)
}

/// GET /api/v1/users/{id}/
pub fn v1_user(state: &AppState) -> BoxedFilter<(Response,)> {
    item_view("/api/v1/users/", state, users::ALLOW, users::show)
}

/// Any known path without its trailing slash: 301 to the path with it, query kept.
pub fn append_slash() -> BoxedFilter<(Response,)> {
    warp::path::full()
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and_then(|path: warp::path::FullPath, query: String| async move {
            let path = path.as_str();
            let target = format!("{path}/");
            if path.ends_with('/') || !is_known(&target) {
                return Err(warp::reject::not_found());
            }
            let location = if query.is_empty() {
                target
            } else {
                format!("{target}?{query}")
            };
            let mut response = reply::empty(StatusCode::MOVED_PERMANENTLY);
            let value = HeaderValue::from_str(&location).map_err(|_| warp::reject::not_found())?;
            response.headers_mut().insert(LOCATION, value);
            Ok(response)
        })
        .boxed()
}

/// The state, made available to a filter chain.
pub fn with_state(
    state: &AppState,
) -> impl Filter<Extract = (AppState,), Error = std::convert::Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
}

/// Matches exactly `path` (warp's own segment matching ignores a trailing slash).
fn at(path: &'static str) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::path::full()
        .and_then(move |full: warp::path::FullPath| async move {
            if full.as_str() == path {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
}

/// Matches `<prefix>{segment}/` and extracts the segment.
fn under(
    prefix: &'static str,
) -> impl Filter<Extract = (String,), Error = warp::Rejection> + Clone {
    warp::path::full().and_then(move |full: warp::path::FullPath| async move {
        item_segment(full.as_str(), prefix)
            .map(str::to_owned)
            .ok_or_else(warp::reject::not_found)
    })
}

fn item_segment<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix)?
        .strip_suffix('/')
        .filter(|segment| !segment.is_empty() && !segment.contains('/'))
}

fn is_known(path: &str) -> bool {
    EXACT_PATHS.contains(&path)
        || ITEM_PREFIXES
            .iter()
            .any(|prefix| item_segment(path, prefix).is_some())
}

/// A DRF view at one path: its errors rendered, `Allow` and `Vary` on every reply.
fn view<P, H, Fut>(
    path: P,
    state: &AppState,
    allow: &'static str,
    handler: H,
) -> BoxedFilter<(Response,)>
where
    P: Filter<Extract = (), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    H: Fn(Incoming) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    path.and(incoming(with_state(state)))
        .then(move |request| {
            let handler = handler.clone();
            async move { respond(handler(request).await, allow) }
        })
        .boxed()
}

/// As [`view`], for `<prefix>{id}/`.
fn item_view<H, Fut>(
    prefix: &'static str,
    state: &AppState,
    allow: &'static str,
    handler: H,
) -> BoxedFilter<(Response,)>
where
    H: Fn(Incoming, String) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<Response, ApiError>> + Send + 'static,
{
    under(prefix)
        .and(incoming(with_state(state)))
        .then(move |id, request| {
            let handler = handler.clone();
            async move { respond(handler(request, id).await, allow) }
        })
        .boxed()
}

fn respond(result: Result<Response, ApiError>, allow: &'static str) -> Response {
    let response = result.unwrap_or_else(ApiError::into_response);
    reply::with_view_headers(response, allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_include_items_with_one_segment() {
        assert!(is_known("/gettoken/"));
        assert!(is_known("/api/resource/12/"));
        assert!(is_known("/api/resource/abc/"));
        assert!(is_known("/api/v1/users/1/"));
        assert!(!is_known("/api/resource//"));
        assert!(!is_known("/api/resource/1/2/"));
        assert!(!is_known("/api/"));
    }
}
