//! The two dialects: what differs between the classic paths and the simplejwt paths is only
//! how a login or token failure is written, and which field names the account.

use crate::error::ApiError;
use crate::fields::FieldErrors;
use crate::tokens::TokenError;
use crate::users::LoginField;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Source document 000: `/gettoken/`, `/tokenrefresh/`, `/verifytoken/`.
    Classic,
    /// Stock simplejwt 5.5.1 as interop/simplejwt/OBSERVED.md records it: `/api/v1/token/...`.
    SimpleJwt,
}

impl Dialect {
    /// The field that names the account at login.
    pub fn login_field(self) -> LoginField {
        match self {
            Dialect::Classic => LoginField::Username,
            Dialect::SimpleJwt => LoginField::Email,
        }
    }

    /// Wrong password, unknown account or inactive account: one answer for all three.
    pub fn login_failed(self) -> ApiError {
        match self {
            Dialect::Classic => ApiError::Invalid(FieldErrors::single(
                "non_field_errors",
                "Unable to log in with provided credentials.",
            )),
            Dialect::SimpleJwt => ApiError::Unauthorized {
                detail: "No active account found with the given credentials",
                code: None,
            },
        }
    }

    /// A refresh token that failed verification.
    pub fn refresh_failed(self, error: TokenError) -> ApiError {
        match self {
            Dialect::Classic if error == TokenError::Expired => ApiError::Invalid(
                FieldErrors::single("refresh", "The given token is expired."),
            ),
            Dialect::Classic => ApiError::Invalid(FieldErrors::single(
                "refresh",
                "The given token is invalid.",
            )),
            Dialect::SimpleJwt => token_not_valid(error),
        }
    }

    /// A valid refresh token whose user no longer exists or is inactive. (Stock simplejwt
    /// answers 500 for a missing user; CONTRACT.md TOK-11 requires this 401 instead.)
    pub fn refresh_user_refused(self) -> ApiError {
        match self {
            Dialect::Classic => ApiError::Invalid(FieldErrors::single(
                "refresh",
                "The given token is invalid.",
            )),
            Dialect::SimpleJwt => ApiError::Unauthorized {
                detail: "No active account found for the given token.",
                code: None,
            },
        }
    }

    /// A token refused by the verify endpoint.
    pub fn verify_failed(self, error: TokenError) -> ApiError {
        match (self, error) {
            (Dialect::Classic, _) => {
                ApiError::Invalid(FieldErrors::single("token", "Token is invalid or expired."))
            }
            (Dialect::SimpleJwt, TokenError::Blacklisted) => ApiError::Invalid(
                FieldErrors::single("non_field_errors", "Token is blacklisted"),
            ),
            (Dialect::SimpleJwt, error) => token_not_valid(error),
        }
    }

    /// The body of a successful verify, as written: the same bytes on every request.
    pub fn verified(self) -> &'static str {
        match self {
            Dialect::Classic => r#"{"status":"valid"}"#,
            Dialect::SimpleJwt => "{}",
        }
    }
}

/// simplejwt's `InvalidToken` at the token endpoints: `{"detail": <message>, "code": "token_not_valid"}`.
fn token_not_valid(error: TokenError) -> ApiError {
    ApiError::Unauthorized {
        detail: error.message(),
        code: Some("token_not_valid"),
    }
}
