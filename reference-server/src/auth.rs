//! Bearer authentication of protected routes, as simplejwt's `JWTAuthentication` does it.

use std::borrow::Cow;

use serde_json::Value;
use warp::http::{HeaderMap, HeaderName};

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::Expect;
use crate::users::User;

const NOT_PROVIDED: ApiError = ApiError::Unauthorized {
    detail: "Authentication credentials were not provided.",
    code: None,
};

/// The active user named by a valid `Authorization: Bearer <access token>`, or the 401 that
/// simplejwt gives. Runs before the method check, existence and body validation.
pub fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<User, ApiError> {
    let token = bearer_token(headers, state.auth_header(), state.auth_header_types())?;
    let claims = state
        .tokens()
        .verify(&token, Expect::Access)
        .map_err(ApiError::InvalidAccessToken)?;
    let user_id = claims.user_id.ok_or(ApiError::Unauthorized {
        detail: "Token contained no recognizable user identification",
        code: Some("token_not_valid"),
    })?;
    let user = user_id_of(&user_id)
        .and_then(|id| state.users().by_id(id))
        .ok_or(ApiError::Unauthorized {
            detail: "User not found",
            code: Some("user_not_found"),
        })?;
    if !user.active {
        return Err(ApiError::Unauthorized {
            detail: "User is inactive",
            code: Some("user_inactive"),
        });
    }
    Ok(user.clone())
}

/// The token of `Bearer <token>` (or another configured scheme, in the configured header): the
/// scheme is case-sensitive and the header is split on whitespace as Python's `bytes.split()`
/// does. Any other scheme counts as no credentials. Several fields of the header are joined
/// with ", " first, as Django's WSGI environ does, so two of them never authenticate
/// (CONTRACT.md AUTH-9).
fn bearer_token(
    headers: &HeaderMap,
    name: &HeaderName,
    schemes: &[String],
) -> Result<String, ApiError> {
    let mut fields = headers.get_all(name).iter();
    let first = fields.next().ok_or(NOT_PROVIDED)?;
    let mut header = Cow::Borrowed(first.as_bytes());
    for field in fields {
        let joined = header.to_mut();
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(field.as_bytes());
    }
    let parts: Vec<&[u8]> = header
        .split(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
        .filter(|part| !part.is_empty())
        .collect();
    match parts.as_slice() {
        [] => Err(NOT_PROVIDED),
        [scheme, ..] if !schemes.iter().any(|s| s.as_bytes() == *scheme) => Err(NOT_PROVIDED),
        [_, token] => std::str::from_utf8(token)
            .map(str::to_owned)
            .map_err(|_| ApiError::InvalidAccessToken(crate::tokens::TokenError::Invalid)),
        _ => Err(ApiError::Unauthorized {
            detail: "Authorization header must contain two space-delimited values",
            code: Some("bad_authorization_header"),
        }),
    }
}

/// A `user_id` claim as a user id: `"1"` (simplejwt 5.5) or `1`. Anything else names nobody.
pub fn user_id_of(claim: &Value) -> Option<u64> {
    match claim {
        Value::String(text) => text.trim().parse().ok(),
        Value::Number(number) => number.as_u64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;
    use warp::http::header::AUTHORIZATION;

    fn token_of(value: &'static [u8]) -> Result<String, String> {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(AUTHORIZATION, value);
        }
        bearer_token(&headers, &AUTHORIZATION, &bearer()).map_err(|err| err.to_string())
    }

    fn bearer() -> Vec<String> {
        vec!["Bearer".to_owned()]
    }

    #[test]
    fn configured_header_and_schemes_are_the_ones_read() {
        let mut headers = HeaderMap::new();
        let name = HeaderName::from_static("x-access-token");
        headers.insert(&name, HeaderValue::from_static("JWT abc"));
        let schemes = vec!["JWT".to_owned(), "Token".to_owned()];
        assert_eq!(
            bearer_token(&headers, &name, &schemes).map_err(|e| e.to_string()),
            Ok("abc".to_owned())
        );
        headers.insert(&name, HeaderValue::from_static("Token abc"));
        assert!(bearer_token(&headers, &name, &schemes).is_ok());
        headers.insert(&name, HeaderValue::from_static("Bearer abc"));
        assert!(bearer_token(&headers, &name, &schemes).is_err());
        // The default header is not read any more.
        headers.insert(AUTHORIZATION, HeaderValue::from_static("JWT abc"));
        headers.remove(&name);
        assert!(bearer_token(&headers, &name, &schemes).is_err());
    }

    #[test]
    fn two_authorization_fields_never_authenticate() {
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(
            bearer_token(&headers, &AUTHORIZATION, &bearer()).map_err(|err| err.to_string()),
            Err("Authorization header must contain two space-delimited values".to_owned())
        );
        let mut headers = HeaderMap::new();
        headers.append(AUTHORIZATION, HeaderValue::from_static("Token x"));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(
            bearer_token(&headers, &AUTHORIZATION, &bearer()).map_err(|err| err.to_string()),
            Err("Authentication credentials were not provided.".to_owned())
        );
    }

    #[test]
    fn only_bearer_with_exactly_one_token_is_read() {
        let not_provided = Err("Authentication credentials were not provided.".to_owned());
        let two_values =
            Err("Authorization header must contain two space-delimited values".to_owned());
        assert_eq!(token_of(b"Bearer abc"), Ok("abc".to_owned()));
        assert_eq!(token_of(b"Bearer   abc "), Ok("abc".to_owned()));
        assert_eq!(token_of(b""), not_provided);
        assert_eq!(token_of(b"bearer abc"), not_provided);
        assert_eq!(token_of(b"Token abc"), not_provided);
        assert_eq!(token_of(b"abc.def.ghi"), not_provided);
        assert_eq!(token_of(b"Bearer"), two_values);
        assert_eq!(token_of(b"Bearer a b"), two_values);
    }

    #[test]
    fn user_ids_may_be_strings_or_numbers() {
        assert_eq!(user_id_of(&Value::from("1")), Some(1));
        assert_eq!(user_id_of(&Value::from(2)), Some(2));
        assert_eq!(user_id_of(&Value::from("x")), None);
        assert_eq!(user_id_of(&Value::Null), None);
        assert_eq!(user_id_of(&Value::from(-1)), None);
    }
}
