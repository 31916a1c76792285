//! Every way a request can fail, and the one place that turns a failure into the spec's reply.

use std::convert::Infallible;

use serde::Serialize;
use warp::Rejection;
use warp::http::StatusCode;
use warp::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use warp::reply::Response;

use crate::fields::FieldErrors;
use crate::reply;
use crate::store::StoreError;
use crate::tokens::TokenError;

/// A failed request. Rendered only by [`ApiError::into_response`]; library error text is
/// logged where it occurs and never carried here.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// 406: the Accept header excludes JSON.
    #[error("Could not satisfy the request Accept header.")]
    NotAcceptable,
    /// 404 `{"detail":"Not found."}`.
    #[error("Not found.")]
    NotFound,
    /// 405, with the route's `Allow` header.
    #[error("Method \"{0}\" not allowed.")]
    MethodNotAllowed(String),
    /// 415, naming the media type without parameters.
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    /// 413.
    #[error("Request body exceeds the limit of {limit} bytes.")]
    PayloadTooLarge { limit: u64 },
    /// 400 `{"detail": ...}` for a body that cannot be parsed (JSON or multipart).
    #[error("{0}")]
    ParseError(String),
    /// 400 for a body whose transfer broke off.
    #[error("Malformed request body.")]
    MalformedBody,
    /// 400 for a request target that is not a path (`CONNECT host:port`, `OPTIONS *`).
    #[error("The request target must be a path on this server.")]
    BadRequestTarget,
    /// 400 for an HTTP/1.1 request without exactly one `Host` header.
    #[error("An HTTP/1.1 request must have exactly one Host header.")]
    MissingHost,
    /// 408 for a request body that did not arrive within the body read timeout.
    #[error("The request body did not arrive in time.")]
    BodyTimeout,
    /// 400 for a request warp itself refused (no route of ours does that).
    #[error("Bad request.")]
    BadRequest,
    /// 400 `{"non_field_errors":["Invalid data. Expected a dictionary, but got <type>."]}`.
    #[error("Invalid data. Expected a dictionary, but got {0}.")]
    NotADictionary(&'static str),
    /// 400 `{"non_field_errors":["No data provided"]}`: a JSON `null` body. DRF's serializer
    /// refuses `None` as a null field, then words that error for a whole body (its `errors`).
    #[error("No data provided")]
    NoData,
    /// 400 with per-field messages.
    #[error("invalid fields")]
    Invalid(FieldErrors),
    /// 401 `{"detail": ..., "code": ...}` (`code` omitted when `None`).
    #[error("{detail}")]
    Unauthorized {
        detail: &'static str,
        code: Option<&'static str>,
    },
    /// 401 from the Bearer authentication of a protected route, with simplejwt's `messages`.
    #[error("Given token not valid for any token type")]
    InvalidAccessToken(TokenError),
    /// 503 with `Retry-After`: every password check slot and queue place is taken.
    #[error("Too many logins in progress, try again shortly.")]
    LoginsBusy,
    /// A failure of the server itself (a store that cannot store). Not reachable from any
    /// input with the in-memory store.
    #[error("A server error occurred.")]
    Internal,
}

impl warp::reject::Reject for ApiError {}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        tracing::error!(%error, "resource store failed");
        ApiError::Internal
    }
}

#[derive(Serialize)]
struct Detail<'a> {
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
}

#[derive(Serialize)]
struct TokenMessage {
    token_class: &'static str,
    token_type: &'static str,
    message: &'static str,
}

#[derive(Serialize)]
struct InvalidTokenBody {
    detail: &'static str,
    code: &'static str,
    messages: [TokenMessage; 1],
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::ParseError(_)
            | ApiError::MalformedBody
            | ApiError::BadRequest
            | ApiError::BadRequestTarget
            | ApiError::MissingHost
            | ApiError::NotADictionary(_)
            | ApiError::NoData
            | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } | ApiError::InvalidAccessToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::LoginsBusy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The reply: JSON body, status, and `WWW-Authenticate: Bearer realm="api"` on every 401.
    pub fn into_response(self) -> Response {
        let status = self.status();
        let mut response = match &self {
            ApiError::Invalid(errors) => reply::json(status, errors),
            ApiError::NotADictionary(_) | ApiError::NoData => reply::json(
                status,
                &FieldErrors::single("non_field_errors", &self.to_string()),
            ),
            ApiError::Unauthorized { detail, code } => reply::json(
                status,
                &Detail {
                    detail,
                    code: *code,
                },
            ),
            ApiError::InvalidAccessToken(error) => reply::json(
                status,
                &InvalidTokenBody {
                    detail: "Given token not valid for any token type",
                    code: "token_not_valid",
                    messages: [TokenMessage {
                        token_class: "AccessToken",
                        token_type: "access",
                        message: error.message(),
                    }],
                },
            ),
            _ => reply::json(
                status,
                &Detail {
                    detail: &self.to_string(),
                    code: None,
                },
            ),
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        response
    }
}

/// The one recover: our own errors, and warp's rejections (only "no route matched" is
/// expected), become the spec's JSON replies. Nothing here produces a 5xx.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if let Some(error) = rejection.find::<ApiError>() {
        error.clone()
    } else if rejection.is_not_found() {
        ApiError::NotFound
    } else {
        tracing::warn!(rejection = ?rejection, "unexpected rejection");
        ApiError::BadRequest
    };
    Ok(error.into_response())
}
