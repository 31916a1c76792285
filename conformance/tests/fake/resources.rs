//! The protected endpoints: authentication, `/api/v1/users/`, and the resource collection
//! `/api/resource/` with its items.

use std::time::Duration;

use hyper::{HeaderMap, Method, header};
use serde_json::{Value, json};

use super::{
    App, Defect,
    http::{Body, Data, Field, Reply},
    routes::{Dialect, Req},
    store::{self, Fields, shown},
    tokens::Use,
};

/// When a resource request's token is checked (see `App::guard`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checkpoint {
    /// Before anything else.
    First,
    /// After the lookup of the resource and the validation of the body.
    Late,
}

const COLLECTION_METHODS: &str = "GET, POST, HEAD, OPTIONS";
const ITEM_METHODS: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
const USERS_METHODS: &str = "GET, HEAD, OPTIONS";

impl App {
    /// The Authorization scheme of access tokens.
    fn scheme(&self) -> &'static str {
        if self.has(Defect::JwtSchemeRequired) {
            "JWT"
        } else {
            "Bearer"
        }
    }

    /// `Authorization: Bearer <access token>` of an existing, active user, or the 401.
    fn authenticate(&self, headers: &HeaderMap) -> Result<(), Reply> {
        let not_provided = || Reply::detail(401, "Authentication credentials were not provided.");
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let parts: Vec<&str> = value.split_whitespace().collect();
        let token = match parts[..] {
            [] => return Err(not_provided()),
            [_, token] if self.has(Defect::AnySchemeAccepted) => token,
            [token] if self.has(Defect::AnySchemeAccepted) => token,
            [scheme, ..] if scheme != self.scheme() => return Err(not_provided()),
            [_, token] => token,
            [_, token, ..] if self.has(Defect::ExtraAuthorizationPartsIgnored) => token,
            _ => {
                return Err(Reply::json(
                    401,
                    json!({"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"}),
                ));
            }
        };
        let refused = |why| self.refused(Use::Authenticate, Dialect::Simplejwt, why);
        let claims = self.check(token, Use::Authenticate).map_err(refused)?;
        self.user_of(&claims).map(|_| ()).map_err(refused)
    }

    /// GET /api/v1/users/
    pub fn users(&self, req: &Req<'_>) -> Result<Reply, Reply> {
        self.authenticate(req.headers)?;
        match *req.method {
            Method::GET | Method::HEAD => Ok(Reply::json(200, self.store.users())),
            ref other => Err(self.method_not_allowed(other, USERS_METHODS)),
        }
    }

    /// Authentication of resource requests: first of all, as SPEC.md §4 says; or (defects)
    /// only once the resource is found and the body validated, or never for reads.
    fn guard(&self, req: &Req<'_>, at: Checkpoint) -> Result<(), Reply> {
        if matches!(*req.method, Method::GET | Method::HEAD) && self.has(Defect::ReadsArePublic) {
            return Ok(());
        }
        let late = self.has(Defect::ExistenceBeforeAuthentication);
        if late == (at == Checkpoint::Late) {
            self.authenticate(req.headers)
        } else {
            Ok(())
        }
    }

    /// GET and POST /api/resource/
    pub async fn collection(&self, req: &Req<'_>) -> Result<Reply, Reply> {
        self.guard(req, Checkpoint::First)?;
        match *req.method {
            Method::GET | Method::HEAD => {
                self.guard(req, Checkpoint::Late)?;
                let list = self.store.list();
                if self.has(Defect::ListIsPaginated) {
                    let count = list.as_array().map_or(0, Vec::len);
                    return Ok(Reply::json(200, json!({"count": count, "results": list})));
                }
                Ok(Reply::json(200, list))
            }
            Method::POST => {
                let content_type = if self.has(Defect::CollectionIgnoresContentType) {
                    Some("application/json")
                } else {
                    req.content_type()
                };
                let data = self.parse(content_type, &req.body)?;
                let (f1, f2) = self.resource_fields(&data, true)?;
                self.guard(req, Checkpoint::Late)?;
                let fields = (f1.unwrap_or_default(), f2.unwrap_or_default());
                let id = self.create(&data, fields.clone()).await;
                let status = if self.has(Defect::CreateAnswers200) {
                    200
                } else {
                    201
                };
                Ok(Reply::json(status, shown(id, &fields)))
            }
            ref other => Err(self.method_not_allowed(other, COLLECTION_METHODS)),
        }
    }

    async fn create(&self, data: &Data, fields: Fields) -> u64 {
        let chosen = match data {
            Data::Fields(m) if self.has(Defect::ClientChosenId) => {
                m.get("id").and_then(Value::as_u64)
            }
            _ => None,
        };
        if !self.has(Defect::LostConcurrentCreates) {
            return self.store.create(chosen, fields);
        }
        let mut copy = store::lock(&self.store.resources).clone();
        // The time a real server spends elsewhere between its read and its write.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let id = copy.next_id;
        copy.next_id += 1;
        copy.items.insert(id, fields);
        *store::lock(&self.store.resources) = copy;
        id
    }

    /// `field1` and `field2`, both required or (PATCH) both optional.
    fn resource_fields(
        &self,
        data: &Data,
        required: bool,
    ) -> Result<(Option<String>, Option<String>), Reply> {
        let field = Field::Resource { required };
        let [f1, f2] = self.validate(data, [("field1", field), ("field2", field)])?;
        Ok((f1, f2))
    }

    /// GET, PUT, PATCH and DELETE /api/resource/{id}/
    pub fn item(&self, id: &str, req: &Req<'_>) -> Result<Reply, Reply> {
        self.guard(req, Checkpoint::First)?;
        let method = req.method;
        let allowed = [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        if !allowed.contains(method) {
            return Err(self.method_not_allowed(method, ITEM_METHODS));
        }
        let Ok(id) = id.parse::<u64>() else {
            return Err(if self.has(Defect::NonNumericIdCrashes) {
                Reply::detail(500, "Server error.")
            } else {
                self.not_found()
            });
        };
        let upsert = *method == Method::PUT && self.has(Defect::PutUpserts);
        let Some(current) = self.store.get(id).or_else(|| upsert.then(Fields::default)) else {
            return Err(self.not_found());
        };
        self.guard(req, Checkpoint::Late)?;
        match *method {
            Method::PUT | Method::PATCH => {
                let data = self.parse(req.content_type(), &req.body)?;
                let required = *method == Method::PUT || self.has(Defect::PatchRequiresBothFields);
                let (f1, f2) = self.resource_fields(&data, required)?;
                let updated = (f1.unwrap_or(current.0), f2.unwrap_or(current.1));
                let stores = match *method {
                    Method::PUT => !self.has(Defect::PutNotStored),
                    _ => !self.has(Defect::PatchNotStored),
                };
                if stores {
                    self.store.put(id, updated.clone());
                }
                Ok(Reply::json(200, shown(id, &updated)))
            }
            Method::DELETE => {
                if !self.has(Defect::DeleteNotStored) {
                    self.store.delete(id);
                }
                Ok(Reply::empty(204))
            }
            _ => Ok(Reply::json(200, shown(id, &current))),
        }
    }

    fn not_found(&self) -> Reply {
        if self.has(Defect::NotFoundIsHtml) {
            return Reply {
                status: 404,
                body: Body::Html("<!doctype html><title>Not Found</title><h1>Not Found</h1>"),
                headers: Vec::new(),
            };
        }
        Reply::detail(404, "Not found.")
    }
}
