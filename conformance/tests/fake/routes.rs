//! Routing: from a request to its handler, and the handler's `Reply` back to hyper. Handlers
//! (`token_endpoints`, `resources`) return `Result<Reply, Reply>`: `Err` is an early answer (a
//! refusal), so `?` reads as "or else answer this".

use std::sync::Arc;

use super::{
    App, Defect,
    http::{BodyError, Reply},
};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{HeaderMap, Method, Request, Response, body::Incoming, header};

/// Which expectations apply: the classic paths speak classic, the v1 paths simplejwt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Classic,
    Simplejwt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    Obtain,
    Refresh,
    Verify,
}

#[derive(Debug)]
enum Route<'a> {
    Token(TokenEndpoint, Dialect),
    Users,
    User(&'a str),
    Collection,
    Item(&'a str),
    Unknown,
}

fn route(path: &str) -> Route<'_> {
    use {Dialect::*, TokenEndpoint::*};
    match path {
        "/gettoken/" => Route::Token(Obtain, Classic),
        "/tokenrefresh/" => Route::Token(Refresh, Classic),
        "/verifytoken/" => Route::Token(Verify, Classic),
        "/api/v1/token/" => Route::Token(Obtain, Simplejwt),
        "/api/v1/token/refresh/" => Route::Token(Refresh, Simplejwt),
        "/api/v1/token/verify/" => Route::Token(Verify, Simplejwt),
        "/api/v1/users/" => Route::Users,
        "/api/resource/" => Route::Collection,
        _ => {
            let item = |prefix: &str| {
                path.strip_prefix(prefix)
                    .and_then(|rest| rest.strip_suffix('/'))
                    .filter(|id| !id.is_empty() && !id.contains('/'))
            };
            match (item("/api/resource/"), item("/api/v1/users/")) {
                (Some(id), _) => Route::Item(id),
                (None, Some(id)) => Route::User(id),
                (None, None) => Route::Unknown,
            }
        }
    }
}

/// The connection was dropped on purpose (`Defect::BadChunkDropsConnection`).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// One request, start to finish.
pub async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (head, body) = req.into_parts();
    // A body announced over the limit is refused before it is asked for (HTTP-11): reading it
    // would make hyper send `100 Continue`.
    let continues = head
        .headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let declared = head
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if continues && declared.is_some_and(|n| n > super::http::BODY_LIMIT as u64) {
        let reply = Reply::detail(413, "Request body too large.").with("connection", "close");
        return Ok(app.respond(reply));
    }
    // Read first, whatever the route, so that every answer leaves the connection usable.
    let body = app.read_body(body).await;
    if matches!(body, Err(BodyError::Malformed)) {
        if app.has(Defect::BadChunkDropsConnection) {
            return Err(Dropped);
        }
        return Ok(app.respond(Reply::detail(400, "Malformed request body.")));
    }
    let request = Req {
        method: &head.method,
        headers: &head.headers,
        query: head.uri.query(),
        body,
    };
    let reply = match route(head.uri.path()) {
        Route::Token(endpoint, dialect) => app.token_endpoint(endpoint, dialect, &request),
        Route::Users => app.users(&request),
        Route::User(id) => app.user(id, &request),
        Route::Collection => app.collection(&request).await,
        Route::Item(id) => app.item(id, &request),
        Route::Unknown => Err(Reply::detail(404, "Not found.")),
    };
    Ok(app.respond(reply.unwrap_or_else(|r| r)))
}

/// What the handlers see of a request.
pub struct Req<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub body: Result<Bytes, BodyError>,
}

impl Req<'_> {
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }
}

impl App {
    /// 405, with the `Allow` header (HTTP-8).
    pub fn method_not_allowed(&self, method: &Method, allow: &str) -> Reply {
        let reply = Reply::detail(405, &format!("Method \"{method}\" not allowed."));
        if self.has(Defect::MethodNotAllowedWithoutAllow) {
            reply
        } else {
            reply.with("allow", allow)
        }
    }
}
