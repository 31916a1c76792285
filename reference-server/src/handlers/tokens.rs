//! The token endpoints of both dialects: obtain a pair, refresh, verify.

use serde_json::Value;
use warp::http::{Method, StatusCode};
use warp::reply::Response;

use crate::auth::user_id_of;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::fields::{CharField, FieldErrors};
use crate::handlers::metadata;
use crate::reply;
use crate::request::Incoming;
use crate::tokens::Expect;
use crate::users::LoginField;

/// `Allow` of every token endpoint.
pub const ALLOW: &str = "POST, OPTIONS";

const PASSWORD: CharField = CharField::new("password");
const REFRESH: CharField = CharField::new("refresh");
const TOKEN: CharField = CharField::new("token");

/// POST credentials → `{"refresh", "access"}`.
pub async fn obtain_pair(request: Incoming, dialect: Dialect) -> Result<Response, ApiError> {
    let login = CharField::new(match dialect.login_field() {
        LoginField::Username => "username",
        LoginField::Email => "email",
    });
    let fields = [login, PASSWORD];
    if let Some(reply) = post_only(&request, "Token Obtain Pair", OBTAIN_DESCRIPTION, &fields)? {
        return Ok(reply);
    }
    let mut values = clean(&request, &fields).await?.into_iter();
    let (login, password) = (
        values.next().unwrap_or_default(),
        values.next().unwrap_or_default(),
    );
    let state = &request.state;
    let user = state
        .users()
        .authenticate(dialect.login_field(), &login, password)
        .await
        .map_err(|_| ApiError::LoginsBusy)?
        .ok_or_else(|| dialect.login_failed())?;
    Ok(reply::json(
        StatusCode::OK,
        &state.tokens().obtain_pair(user.id),
    ))
}

/// POST a refresh token → a new access token (and a new refresh token when rotating).
pub async fn refresh_access(request: Incoming, dialect: Dialect) -> Result<Response, ApiError> {
    if let Some(reply) = post_only(&request, "Token Refresh", REFRESH_DESCRIPTION, &[REFRESH])? {
        return Ok(reply);
    }
    let token = clean(&request, &[REFRESH])
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let state = &request.state;
    let claims = state
        .tokens()
        .verify(&token, Expect::Refresh)
        .map_err(|error| dialect.refresh_failed(error))?;
    // simplejwt looks the user up only when the claim is truthy (`if user_id and ...`).
    if let Some(claim) = claims.user_id.as_ref().filter(|claim| is_truthy(claim)) {
        let active = user_id_of(claim)
            .and_then(|id| state.users().by_id(id))
            .is_some_and(|user| user.active);
        if !active {
            return Err(dialect.refresh_user_refused());
        }
    }
    let refreshed = state
        .tokens()
        .refresh(&claims)
        .map_err(|error| dialect.refresh_failed(error))?;
    Ok(reply::json(StatusCode::OK, &refreshed))
}

/// POST any token → valid or not (no type check, no user lookup, as simplejwt's verify).
pub async fn verify_token(request: Incoming, dialect: Dialect) -> Result<Response, ApiError> {
    if let Some(reply) = post_only(&request, "Token Verify", VERIFY_DESCRIPTION, &[TOKEN])? {
        return Ok(reply);
    }
    let token = clean(&request, &[TOKEN])
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    request
        .state
        .tokens()
        .verify(&token, Expect::Any)
        .map_err(|error| dialect.verify_failed(error))?;
    Ok(reply::json_text(StatusCode::OK, dialect.verified()))
}

/// Accept check, then: POST goes on (`None`), OPTIONS is answered, anything else is a 405.
fn post_only(
    request: &Incoming,
    name: &str,
    description: &str,
    fields: &[CharField],
) -> Result<Option<Response>, ApiError> {
    request.negotiate()?;
    match request.method {
        Method::POST => Ok(None),
        Method::OPTIONS => Ok(Some(metadata::describe(
            name,
            description,
            &[("POST", fields)],
        ))),
        _ => Err(request.method_not_allowed()),
    }
}

/// The cleaned values of required string fields, in order.
async fn clean(request: &Incoming, fields: &[CharField]) -> Result<Vec<String>, ApiError> {
    let data = request.data().await?;
    let values = FieldErrors::check(&data, fields, false).map_err(ApiError::Invalid)?;
    Ok(values.into_iter().map(Option::unwrap_or_default).collect())
}

/// Python truthiness of a JSON value.
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

const OBTAIN_DESCRIPTION: &str = "Takes a set of user credentials and returns an access and refresh JSON web\ntoken pair to prove the authentication of those credentials.";
const REFRESH_DESCRIPTION: &str = "Takes a refresh type JSON web token and returns an access type JSON web\ntoken if the refresh token is valid.";
const VERIFY_DESCRIPTION: &str = "Takes a token and indicates if it is valid.  This view provides no\ninformation about a token's fitness for a particular use.";
