//! CORS for a browser frontend in development (`--cors-origin`): a preflight from a listed
//! origin is answered, and the responses to that origin are marked readable by it. A
//! reference-server feature, not a rule of the contract: off by default, and while it is off
//! nothing here touches a response.

use warp::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD,
    AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, ORIGIN, VARY,
};
use warp::http::{Method, StatusCode};
use warp::reply::Response;

use crate::reply;

/// Request headers a frontend may send: the token, and the body's type (and the token's own
/// header when `--auth-header-name` renames it, see [`Cors::new`]).
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept";
/// Response headers a frontend may read besides the safelisted ones: the challenge of a 401,
/// the methods of a 405, the wait of a 503, the target of a 301.
const EXPOSE_HEADERS: &str = "WWW-Authenticate, Allow, Retry-After, Location";
/// How long a browser may reuse a preflight's answer, in seconds.
const MAX_AGE: &str = "600";

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone)]
pub struct Cors {
    /// Lower case, as `config::normalize_origin` leaves them; empty: CORS is off.
    origins: Vec<String>,
    /// `Access-Control-Allow-Headers` of a preflight.
    allow_headers: HeaderValue,
}

impl Default for Cors {
    fn default() -> Cors {
        Cors::new(Vec::new(), &AUTHORIZATION)
    }
}

impl Cors {
    /// CORS for `origins`, allowing the header that carries the token (`auth_header`) besides
    /// the usual ones.
    pub fn new(origins: Vec<String>, auth_header: &HeaderName) -> Cors {
        let allow_headers = if auth_header == AUTHORIZATION {
            HeaderValue::from_static(ALLOW_HEADERS)
        } else {
            HeaderValue::from_str(&format!("{ALLOW_HEADERS}, {auth_header}"))
                .unwrap_or(HeaderValue::from_static(ALLOW_HEADERS))
        };
        Cors {
            origins,
            allow_headers,
        }
    }

    pub fn is_on(&self) -> bool {
        !self.origins.is_empty()
    }

    /// Where a request comes from, as CORS sees it: no `Origin` (or CORS off), a listed
    /// origin (compared exactly, as browsers serialise it; one `Origin` field only), or
    /// another one.
    pub fn origin_of(&self, headers: &HeaderMap) -> RequestOrigin {
        if !self.is_on() || !headers.contains_key(ORIGIN) {
            return RequestOrigin::None;
        }
        let mut fields = headers.get_all(ORIGIN).iter();
        match (fields.next(), fields.next()) {
            (Some(origin), None)
                if origin
                    .to_str()
                    .is_ok_and(|text| self.origins.iter().any(|listed| listed == text)) =>
            {
                RequestOrigin::Listed(origin.clone())
            }
            _ => RequestOrigin::Unlisted,
        }
    }
}

/// A request's origin, as [`Cors::origin_of`] classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOrigin {
    /// No `Origin` field, or CORS is off: the response is left exactly as it is.
    None,
    /// An origin that is not listed: no CORS header, only `Vary: Origin`.
    Unlisted,
    /// A listed origin, its value as sent.
    Listed(HeaderValue),
}

/// A CORS preflight: `OPTIONS` naming the method to come. A plain `OPTIONS` (DRF's metadata)
/// is not one.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from `origin` at a path whose view allows `allow`: 204, the
/// methods, the headers, and how long to keep it. The browser checks the method and headers
/// it asked for against these lists.
pub fn preflight(cors: &Cors, origin: HeaderValue, allow: &'static str) -> Response {
    let mut response = reply::empty(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(allow),
    );
    headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, cors.allow_headers.clone());
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
    headers.insert(
        VARY,
        HeaderValue::from_static(
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        ),
    );
    response
}

/// Marks the response to a request that carried an `Origin`: `Vary: Origin` (a cache must not
/// hand the answer for one origin to another), and, for a listed origin, the origin it may be
/// read by and the headers it may read. A request without `Origin` gets its response as it is.
pub fn mark(response: &mut Response, origin: RequestOrigin) {
    if origin == RequestOrigin::None {
        return;
    }
    let headers = response.headers_mut();
    let vary = match headers.get(VARY).and_then(|value| value.to_str().ok()) {
        Some(existing) if !existing.is_empty() => {
            HeaderValue::from_str(&format!("{existing}, Origin")).ok()
        }
        _ => Some(HeaderValue::from_static("Origin")),
    };
    if let Some(vary) = vary {
        headers.insert(VARY, vary);
    }
    if let RequestOrigin::Listed(origin) = origin {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origin(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ORIGIN, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn only_a_listed_origin_sent_once_is_listed() {
        let cors = Cors::new(vec!["http://127.0.0.1:5500".to_owned()], &AUTHORIZATION);
        assert_eq!(
            cors.origin_of(&with_origin(&["http://127.0.0.1:5500"])),
            RequestOrigin::Listed(HeaderValue::from_static("http://127.0.0.1:5500"))
        );
        for unlisted in [
            &["http://127.0.0.1:5501"][..],
            &["http://127.0.0.1:5500/"],
            &["null"],
            &["http://127.0.0.1:5500", "http://127.0.0.1:5500"],
        ] {
            assert_eq!(
                cors.origin_of(&with_origin(unlisted)),
                RequestOrigin::Unlisted,
                "{unlisted:?}"
            );
        }
        assert_eq!(cors.origin_of(&with_origin(&[])), RequestOrigin::None);
        assert_eq!(
            Cors::default().origin_of(&with_origin(&["http://127.0.0.1:5500"])),
            RequestOrigin::None
        );
    }

    #[test]
    fn a_preflight_allows_the_header_that_carries_the_token() {
        let origin = HeaderValue::from_static("http://a.test");
        let plain = Cors::new(vec!["http://a.test".to_owned()], &AUTHORIZATION);
        let answer = preflight(&plain, origin.clone(), "POST, OPTIONS");
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
        assert_eq!(
            answer.headers()[ACCESS_CONTROL_ALLOW_HEADERS],
            "Authorization, Content-Type, Accept"
        );
        let renamed = Cors::new(
            vec!["http://a.test".to_owned()],
            &HeaderName::from_static("x-access-token"),
        );
        assert_eq!(
            preflight(&renamed, origin, "POST, OPTIONS").headers()[ACCESS_CONTROL_ALLOW_HEADERS],
            "Authorization, Content-Type, Accept, x-access-token"
        );
    }

    #[test]
    fn vary_keeps_what_the_view_set() {
        let mut response = reply::with_view_headers(reply::empty(StatusCode::OK), "GET");
        mark(&mut response, RequestOrigin::Unlisted);
        assert_eq!(response.headers()[VARY], "Accept, Origin");
        assert!(!response.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        let mut bare = reply::empty(StatusCode::OK);
        mark(
            &mut bare,
            RequestOrigin::Listed(HeaderValue::from_static("http://a.test")),
        );
        assert_eq!(bare.headers()[VARY], "Origin");
        assert_eq!(bare.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "http://a.test");
        let mut untouched = reply::with_view_headers(reply::empty(StatusCode::OK), "GET");
        mark(&mut untouched, RequestOrigin::None);
        assert_eq!(untouched.headers()[VARY], "Accept");
    }
}
