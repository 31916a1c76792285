//! The routing table: one match on the path. Paths are matched exactly (trailing slash
//! included); the method is dispatched inside each handler so that 401 comes before 405.

use std::future::Future;
use std::pin::Pin;

use warp::Filter;
use warp::http::StatusCode;
use warp::http::header::{CONNECTION, HeaderValue, LOCATION, WWW_AUTHENTICATE};
use warp::path::FullPath;
use warp::reply::Response;

use crate::cors::{self, RequestOrigin};
use crate::dialect::Dialect;
use crate::error::{self, ApiError};
use crate::handlers::{health, resources, tokens, users};
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

/// Every route: the request is read once, then [`dispatch`] looks its path up in one match
/// (rather than trying a filter per route in turn). The access log is written around this
/// filter, by the connection's guard (`server.rs`), which sees every request.
pub fn routes(
    state: AppState,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone {
    warp::path::full()
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(incoming(with_state(&state)))
        .then(|path: FullPath, query: String, request: Incoming| {
            // Boxed at once: the filter chain's futures stay a few pointers in size, so
            // moving them from state to state copies little (the handlers' futures are large).
            let answer: Pin<Box<dyn Future<Output = Response> + Send>> =
                Box::pin(async move { dispatch(path.as_str(), &query, request).await });
            answer
        })
        .recover(error::recover)
        .unify()
}

/// The routing table: each path, the DRF view behind it, and the methods its `Allow` lists.
/// A body declared over the limit gets its 413 before the view looks at anything. With
/// `--cors-origin`, a preflight from a listed origin is answered before that, and the
/// response to any request with an `Origin` is marked for CORS ([`cors::mark`]).
pub async fn dispatch(path: &str, query: &str, request: Incoming) -> Response {
    let origin = request.state.cors().origin_of(&request.headers);
    if let (RequestOrigin::Listed(origin), Some(allow)) = (&origin, allow_of(path))
        && cors::is_preflight(&request.method, &request.headers)
    {
        return cors::preflight(request.state.cors(), origin.clone(), allow);
    }
    let ends_connection = request.ends_connection();
    let state = request.state.clone();
    let mut response = match (allow_of(path), request.declared_too_large()) {
        (Some(allow), Some(too_large)) => respond(Err(too_large), allow),
        _ => route(path, query, request).await,
    };
    // Every 401 challenges with the first accepted scheme (simplejwt's
    // `AUTH_HEADER_TYPES[0]`); the error replies are written with the default one.
    if response.status() == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, state.challenge().clone());
    }
    cors::mark(&mut response, origin);
    if ends_connection {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The `Allow` of the view at `path`, if there is one.
fn allow_of(path: &str) -> Option<&'static str> {
    match path {
        "/gettoken/"
        | "/tokenrefresh/"
        | "/verifytoken/"
        | "/api/v1/token/"
        | "/api/v1/token/refresh/"
        | "/api/v1/token/verify/" => Some(tokens::ALLOW),
        "/api/resource/" => Some(resources::COLLECTION_ALLOW),
        "/api/v1/users/" => Some(users::ALLOW),
        health::PATH => Some(health::ALLOW),
        _ if item_segment(path, "/api/resource/").is_some() => Some(resources::ITEM_ALLOW),
        _ if item_segment(path, "/api/v1/users/").is_some() => Some(users::ALLOW),
        _ => None,
    }
}

async fn route(path: &str, query: &str, request: Incoming) -> Response {
    use Dialect::{Classic, SimpleJwt};
    let (allow, result) = match path {
        // POST /gettoken/
        "/gettoken/" => (tokens::ALLOW, tokens::obtain_pair(request, Classic).await),
        // POST /tokenrefresh/
        "/tokenrefresh/" => (
            tokens::ALLOW,
            tokens::refresh_access(request, Classic).await,
        ),
        // POST /verifytoken/
        "/verifytoken/" => (tokens::ALLOW, tokens::verify_token(request, Classic).await),
        // GET, POST /api/resource/
        "/api/resource/" => (
            resources::COLLECTION_ALLOW,
            resources::collection(request).await,
        ),
        // POST /api/v1/token/
        "/api/v1/token/" => (tokens::ALLOW, tokens::obtain_pair(request, SimpleJwt).await),
        // POST /api/v1/token/refresh/
        "/api/v1/token/refresh/" => (
            tokens::ALLOW,
            tokens::refresh_access(request, SimpleJwt).await,
        ),
        // POST /api/v1/token/verify/
        "/api/v1/token/verify/" => (
            tokens::ALLOW,
            tokens::verify_token(request, SimpleJwt).await,
        ),
        // GET /api/v1/users/
        "/api/v1/users/" => (users::ALLOW, users::list(request).await),
        // GET /healthz
        health::PATH => (health::ALLOW, health::check(request).await),
        _ => {
            // GET, PUT, PATCH, DELETE /api/resource/{id}/
            if let Some(id) = item_segment(path, "/api/resource/") {
                (
                    resources::ITEM_ALLOW,
                    resources::item(request, id.to_owned()).await,
                )
            // GET /api/v1/users/{id}/
            } else if let Some(id) = item_segment(path, "/api/v1/users/") {
                (users::ALLOW, users::show(request, id.to_owned()).await)
            } else {
                return append_slash(path, query)
                    .unwrap_or_else(|| ApiError::NotFound.into_response());
            }
        }
    };
    respond(result, allow)
}

/// Django's APPEND_SLASH: a known path without its trailing slash gets a 301 to the path with
/// it, query kept.
fn append_slash(path: &str, query: &str) -> Option<Response> {
    let target = format!("{path}/");
    if path.ends_with('/') || !is_known(&target) {
        return None;
    }
    let location = if query.is_empty() {
        target
    } else {
        format!("{target}?{query}")
    };
    let mut response = reply::empty(StatusCode::MOVED_PERMANENTLY);
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_str(&location).ok()?);
    Some(response)
}

/// The state, made available to a filter chain.
pub fn with_state(
    state: &AppState,
) -> impl Filter<Extract = (AppState,), Error = std::convert::Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
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

/// A DRF view's reply: its errors rendered, `Allow` and `Vary` on every reply.
fn respond(result: Result<Response, ApiError>, allow: &'static str) -> Response {
    let response = result.unwrap_or_else(ApiError::into_response);
    reply::with_view_headers(response, allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_path_has_an_allow() {
        for path in EXACT_PATHS {
            assert!(allow_of(path).is_some(), "{path}");
        }
        assert_eq!(allow_of("/api/resource/7/"), Some(resources::ITEM_ALLOW));
        assert_eq!(allow_of("/api/v1/users/7/"), Some(users::ALLOW));
        assert_eq!(allow_of("/nowhere/"), None);
    }

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
