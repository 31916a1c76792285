//! The request as handlers see it (method, headers, body already read under the limit), the
//! filter that extracts it, and content negotiation on `Accept`.

use warp::Filter;
use warp::http::header::ACCEPT;
use warp::http::{HeaderMap, Method};

use crate::body::{self, FormData, RawBody};
use crate::error::ApiError;
use crate::state::AppState;

/// One request, with its body fully read so that the connection stays usable whatever the
/// handler decides to answer.
#[derive(Debug)]
pub struct Incoming {
    pub state: AppState,
    pub method: Method,
    pub headers: HeaderMap,
    pub body: RawBody,
}

impl Incoming {
    /// The request data (JSON, form or multipart), or the 413/415/400 that the body earns.
    pub async fn data(&self) -> Result<FormData, ApiError> {
        body::decode(&self.headers, &self.body).await
    }

    /// DRF answers 406 when no renderer fits `Accept`; ours renders only JSON.
    pub fn negotiate(&self) -> Result<(), ApiError> {
        if accepts_json(&self.headers) {
            Ok(())
        } else {
            Err(ApiError::NotAcceptable)
        }
    }

    /// The 413 a body declared over the limit by its `Content-Length` gets, before any other
    /// check of the route, authentication included (CONTRACT.md HTTP-11).
    pub fn declared_too_large(&self) -> Option<ApiError> {
        let limit = self.state.max_body_bytes();
        body::declared_length(&self.headers)
            .filter(|length| *length > limit)
            .map(|_| ApiError::PayloadTooLarge { limit })
    }

    /// Whether the connection cannot carry another request after this one: its body was
    /// left unread (refused before `100 Continue`, or not arriving in time).
    pub fn ends_connection(&self) -> bool {
        match self.body {
            RawBody::TimedOut => true,
            RawBody::TooLarge { limit } => {
                body::expects_continue(&self.headers)
                    && body::declared_length(&self.headers).is_some_and(|length| length > limit)
            }
            RawBody::Complete(_) | RawBody::Broken => false,
        }
    }

    /// `Method "X" not allowed.`, with the method as Django spells it (upper case).
    pub fn method_not_allowed(&self) -> ApiError {
        ApiError::MethodNotAllowed(self.method.as_str().to_ascii_uppercase())
    }
}

/// Extracts an [`Incoming`], the state coming from `state` (see `routes::with_state`).
pub fn incoming<S>(state: S) -> impl Filter<Extract = (Incoming,), Error = warp::Rejection> + Clone
where
    S: Filter<Extract = (AppState,), Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
{
    state
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .then(
            |state: AppState, method: Method, headers: HeaderMap, stream| async move {
                let body = body::read(
                    &headers,
                    stream,
                    state.max_body_bytes(),
                    state.body_read_timeout(),
                )
                .await;
                Incoming {
                    state,
                    method,
                    headers,
                    body,
                }
            },
        )
}

/// True unless `Accept` lists only media ranges that exclude `application/json`
/// (q-values are not weighed; a missing or empty header accepts anything).
fn accepts_json(headers: &HeaderMap) -> bool {
    let mut ranges = headers
        .get_all(ACCEPT)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(|range| {
            range
                .split(|&b| b == b';')
                .next()
                .unwrap_or_default()
                .trim_ascii()
        })
        .filter(|range| !range.is_empty())
        .peekable();
    ranges.peek().is_none()
        || ranges.any(|range| {
            ["application/json", "application/*", "*/*", "*"]
                .iter()
                .any(|ok| range.eq_ignore_ascii_case(ok.as_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn accepts(value: Option<&'static str>) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(ACCEPT, HeaderValue::from_static(value));
        }
        accepts_json(&headers)
    }

    #[test]
    fn json_wildcards_and_absence_are_acceptable() {
        assert!(accepts(None));
        assert!(accepts(Some("")));
        assert!(accepts(Some("application/json")));
        assert!(accepts(Some("Application/JSON; charset=utf-8")));
        assert!(accepts(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(accepts(Some("application/*")));
        assert!(!accepts(Some("application/xml")));
        assert!(!accepts(Some("text/html")));
        assert!(!accepts(Some("text/*, image/png")));
    }
}
