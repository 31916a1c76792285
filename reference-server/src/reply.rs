//! Building replies: compact JSON bodies, empty bodies, and the headers a route adds to all.

use serde::Serialize;
use warp::http::StatusCode;
use warp::http::header::{ALLOW, CONTENT_TYPE, HeaderValue, VARY};
use warp::reply::Response;

/// `status` with `value` as compact JSON, `Content-Type: application/json`.
pub fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    // Our bodies are plain structs, strings and maps: serialising them cannot fail.
    let body = serde_json::to_vec(value).unwrap_or_else(|err| {
        tracing::error!(error = %err, "response body could not be serialised");
        b"{}".to_vec()
    });
    with_json_type(status, Response::new(body.into()))
}

/// `status` with `body`, JSON written beforehand, `Content-Type: application/json`.
pub fn json_text(status: StatusCode, body: &'static str) -> Response {
    let body = bytes::Bytes::from_static(body.as_bytes());
    with_json_type(status, Response::new(body.into()))
}

fn with_json_type(status: StatusCode, mut response: Response) -> Response {
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `status` with no body and no Content-Type (204, 301).
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(bytes::Bytes::new().into());
    *response.status_mut() = status;
    response
}

/// What DRF sends on every response of a view: `Allow` with the view's methods, `Vary: Accept`.
pub fn with_view_headers(mut response: Response, allow: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(ALLOW, HeaderValue::from_static(allow));
    headers.insert(VARY, HeaderValue::from_static("Accept"));
    response
}
