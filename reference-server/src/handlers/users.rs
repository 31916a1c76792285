//! `/api/v1/users/` and `/api/v1/users/{id}/`: the read-only user list behind Bearer
//! authentication (inactive users included, as simplejwt's peer lists them).

use warp::http::{Method, StatusCode};
use warp::reply::Response;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::handlers::metadata;
use crate::reply;
use crate::request::Incoming;
use crate::users::PublicUser;

/// `Allow` of both user routes.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// GET the list of users.
pub async fn list(request: Incoming) -> Result<Response, ApiError> {
    read_only(&request)?;
    if request.method == Method::OPTIONS {
        return Ok(metadata::describe("User List", "", &[]));
    }
    let users: Vec<PublicUser<'_>> = request
        .state
        .users()
        .all()
        .iter()
        .map(|user| user.public())
        .collect();
    Ok(reply::json(StatusCode::OK, &users))
}

/// GET one user.
pub async fn show(request: Incoming, id: String) -> Result<Response, ApiError> {
    read_only(&request)?;
    if request.method == Method::OPTIONS {
        return Ok(metadata::describe("User Instance", "", &[]));
    }
    let user = id
        .parse::<u64>()
        .ok()
        .and_then(|id| request.state.users().by_id(id))
        .ok_or(ApiError::NotFound)?;
    Ok(reply::json(StatusCode::OK, &user.public()))
}

/// Accept, authentication, then only GET, HEAD and OPTIONS.
fn read_only(request: &Incoming) -> Result<(), ApiError> {
    request.negotiate()?;
    authenticate(&request.headers, &request.state)?;
    match request.method {
        Method::GET | Method::HEAD | Method::OPTIONS => Ok(()),
        _ => Err(request.method_not_allowed()),
    }
}
