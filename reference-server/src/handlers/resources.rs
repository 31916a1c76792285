//! `/api/resource/` and `/api/resource/{id}/`: CRUD behind Bearer authentication.

use warp::http::{Method, StatusCode};
use warp::reply::Response;

use crate::auth::authenticate;
use crate::error::ApiError;
use crate::fields::{CharField, FieldErrors};
use crate::handlers::metadata;
use crate::reply;
use crate::request::Incoming;
use crate::store::{Fields, FieldsPatch};

/// `Allow` of the collection.
pub const COLLECTION_ALLOW: &str = "GET, POST, HEAD, OPTIONS";
/// `Allow` of an item.
pub const ITEM_ALLOW: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";

const FIELDS: [CharField; 2] = [
    CharField::new("field1").max_length(255),
    CharField::new("field2").max_length(255),
];

/// GET (list) and POST (create) on the collection.
pub async fn collection(request: Incoming) -> Result<Response, ApiError> {
    request.negotiate()?;
    authenticate(&request.headers, &request.state)?;
    let store = request.state.resources();
    match request.method {
        Method::GET | Method::HEAD => Ok(reply::json(StatusCode::OK, &store.list()?)),
        Method::POST => {
            let fields = required_fields(&request).await?;
            Ok(reply::json(StatusCode::CREATED, &store.create(fields)?))
        }
        Method::OPTIONS => Ok(metadata::describe(
            "Resource List",
            "",
            &[("POST", &FIELDS)],
        )),
        _ => Err(request.method_not_allowed()),
    }
}

/// GET, PUT, PATCH and DELETE on one resource. Existence is checked before the body.
pub async fn item(request: Incoming, id: String) -> Result<Response, ApiError> {
    request.negotiate()?;
    authenticate(&request.headers, &request.state)?;
    match request.method {
        Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::DELETE => {}
        Method::OPTIONS => {
            return Ok(metadata::describe(
                "Resource Instance",
                "",
                &[("PUT", &FIELDS)],
            ));
        }
        _ => return Err(request.method_not_allowed()),
    }
    let id: u64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let store = request.state.resources();
    let existing = store.get(id)?.ok_or(ApiError::NotFound)?;
    match request.method {
        Method::PUT => {
            let fields = required_fields(&request).await?;
            let updated = store.update(id, fields)?.ok_or(ApiError::NotFound)?;
            Ok(reply::json(StatusCode::OK, &updated))
        }
        Method::PATCH => {
            let data = request.data().await?;
            let mut values = FieldErrors::check(&data, &FIELDS, true)
                .map_err(ApiError::Invalid)?
                .into_iter();
            let patch = FieldsPatch {
                field1: values.next().flatten(),
                field2: values.next().flatten(),
            };
            let patched = store.patch(id, patch)?.ok_or(ApiError::NotFound)?;
            Ok(reply::json(StatusCode::OK, &patched))
        }
        Method::DELETE => {
            if store.delete(id)? {
                Ok(reply::empty(StatusCode::NO_CONTENT))
            } else {
                Err(ApiError::NotFound)
            }
        }
        _ => Ok(reply::json(StatusCode::OK, &existing)),
    }
}

async fn required_fields(request: &Incoming) -> Result<Fields, ApiError> {
    let data = request.data().await?;
    let mut values = FieldErrors::check(&data, &FIELDS, false)
        .map_err(ApiError::Invalid)?
        .into_iter();
    Ok(Fields {
        field1: values.next().flatten().unwrap_or_default(),
        field2: values.next().flatten().unwrap_or_default(),
    })
}
