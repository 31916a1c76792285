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
const ITEM_METHODS_WITHOUT_PATCH: &str = "GET, PUT, DELETE, HEAD, OPTIONS";
/// Where the defects look for a token when there is no Authorization header.
const TOKEN_NAMES: [&str; 3] = ["access_token", "token", "jwt"];
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

    /// The Authorization header as Django sees it: several fields joined into one value
    /// (or, a defect, the first field alone).
    fn authorization(&self, headers: &HeaderMap) -> String {
        let mut fields = headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .map(|v| v.to_str().unwrap_or_default());
        if self.has(Defect::FirstAuthorizationWins) {
            return fields.next().unwrap_or_default().to_string();
        }
        fields.collect::<Vec<_>>().join(",")
    }

    /// A token found elsewhere than in the Authorization header (defects only).
    fn token_elsewhere(&self, req: &Req<'_>) -> Option<String> {
        let named = |pair: &str| {
            let (k, v) = pair.trim().split_once('=')?;
            TOKEN_NAMES.contains(&k).then(|| v.to_string())
        };
        if self.has(Defect::TokenFromQueryString)
            && let Some(t) = req.query.and_then(|q| q.split('&').find_map(named))
        {
            return Some(t);
        }
        if self.has(Defect::TokenFromFormField)
            && let Ok(body) = &req.body
            && let Some(t) = form_urlencoded::parse(body)
                .find(|(k, _)| TOKEN_NAMES.contains(&k.as_ref()))
                .map(|(_, v)| v.into_owned())
        {
            return Some(t);
        }
        if self.has(Defect::TokenFromCookie) {
            return req
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(named);
        }
        None
    }

    /// `Authorization: Bearer <access token>` of an existing, active user, or the 401.
    fn authenticate(&self, req: &Req<'_>) -> Result<super::Account, Reply> {
        let not_provided = || Reply::detail(401, "Authentication credentials were not provided.");
        let value = self.authorization(req.headers);
        let elsewhere = self.token_elsewhere(req);
        let parts: Vec<&str> = value.split_whitespace().collect();
        let token = match parts[..] {
            [] => match elsewhere.as_deref() {
                Some(token) => token,
                None => return Err(not_provided()),
            },
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
        self.user_of(&claims).map_err(refused)
    }

    /// GET /api/v1/users/
    pub fn users(&self, req: &Req<'_>) -> Result<Reply, Reply> {
        self.authenticate(req)?;
        match *req.method {
            Method::GET | Method::HEAD => Ok(Reply::json(
                200,
                self.store.users(
                    self.has(Defect::UsersExposePasswordHash),
                    self.has(Defect::UsersWithoutLoginField),
                ),
            )),
            ref other => Err(self.method_not_allowed(other, USERS_METHODS)),
        }
    }

    /// GET /api/v1/users/{id}/: the object the list has for that user.
    pub fn user(&self, id: &str, req: &Req<'_>) -> Result<Reply, Reply> {
        let requester = self.authenticate(req)?;
        match *req.method {
            Method::GET | Method::HEAD => {
                let id = if self.has(Defect::UserDetailIgnoresId) {
                    Some(requester.id)
                } else {
                    id.parse::<u64>().ok()
                };
                let listed = self.store.users(
                    self.has(Defect::UserDetailExposesPasswordHash)
                        || self.has(Defect::UsersExposePasswordHash),
                    self.has(Defect::UsersWithoutLoginField),
                );
                let shown = listed
                    .as_array()
                    .and_then(|all| all.iter().find(|u| u["id"].as_u64() == id))
                    .cloned();
                match shown {
                    Some(user) => Ok(Reply::json(200, user)),
                    None => Err(Reply::detail(404, "No User matches the given query.")),
                }
            }
            ref other => Err(self.method_not_allowed(other, USERS_METHODS)),
        }
    }

    /// Authentication of resource requests: first of all, as AUTH-6 says; or (defects)
    /// only once the resource is found and the body validated, or never for reads.
    fn guard(&self, req: &Req<'_>, at: Checkpoint) -> Result<(), Reply> {
        if matches!(*req.method, Method::GET | Method::HEAD) && self.has(Defect::ReadsArePublic) {
            return Ok(());
        }
        // The defect lets any Bearer value through the first gate; the token itself is only
        // checked by the view, after the lookup and the validation.
        if self.has(Defect::InvalidTokenCheckedLate) {
            return match at {
                Checkpoint::First if self.authorization(req.headers).starts_with("Bearer ") => {
                    Ok(())
                }
                _ => self.authenticate(req).map(|_| ()),
            };
        }
        let late = self.has(Defect::ExistenceBeforeAuthentication);
        if late == (at == Checkpoint::Late) {
            self.authenticate(req).map(|_| ())
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
                let list = self.store.list(
                    self.has(Defect::ListStaleAfterUpdate),
                    self.has(Defect::ListRepeatsUpdated),
                    self.has(Defect::ListCapped).then_some(10),
                );
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
            Method::OPTIONS => Ok(Reply::json(200, json!({})).with("allow", COLLECTION_METHODS)),
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
            return self
                .store
                .create(chosen, fields, self.has(Defect::IdsReused));
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
            Method::OPTIONS,
        ];
        let allow = if self.has(Defect::ItemAllowWithoutPatch) {
            ITEM_METHODS_WITHOUT_PATCH
        } else {
            ITEM_METHODS
        };
        if !allowed.contains(method) {
            return Err(self.method_not_allowed(method, allow));
        }
        if *method == Method::OPTIONS {
            return Ok(Reply::json(200, json!({})).with("allow", allow));
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
                let data = self.update_data(req)?;
                let patch = *method == Method::PATCH;
                let required = !patch || self.has(Defect::PatchRequiresBothFields);
                let (mut f1, mut f2) = if self.has(Defect::UpdateSkipsValidation) {
                    let raw = |name: &str| match &data {
                        Data::Fields(m) => m.get(name).map(|v| match v {
                            Value::String(s) => s.trim().to_string(),
                            other => other.to_string(),
                        }),
                        Data::NotAnObject(_) => None,
                    };
                    (raw("field1"), raw("field2"))
                } else {
                    self.resource_fields(&data, required)?
                };
                if patch && self.has(Defect::PatchNotTrimmed) {
                    let raw = |name: &str| match &data {
                        Data::Fields(m) => m.get(name).and_then(Value::as_str).map(str::to_string),
                        Data::NotAnObject(_) => None,
                    };
                    f1 = raw("field1").or(f1);
                    f2 = raw("field2").or(f2);
                }
                let base = if patch && self.has(Defect::PatchBuildsOnCreated) {
                    self.store.as_created(id).unwrap_or(current)
                } else {
                    current
                };
                let updated = (f1.unwrap_or(base.0), f2.unwrap_or(base.1));
                let stores = match *method {
                    Method::PUT => !self.has(Defect::PutNotStored),
                    _ => !self.has(Defect::PatchNotStored),
                };
                if stores {
                    self.store.put(id, updated.clone());
                }
                let mut answer = shown(id, &updated);
                if self.has(Defect::UpdateEchoesBody)
                    && let (Data::Fields(sent), Some(out)) = (&data, answer.as_object_mut())
                {
                    for (k, v) in sent {
                        out.insert(k.clone(), v.clone());
                    }
                }
                Ok(Reply::json(200, answer))
            }
            Method::DELETE => {
                if !self.has(Defect::DeleteNotStored) {
                    self.store.delete(id);
                }
                Ok(Reply::empty(204))
            }
            _ if self.has(Defect::ItemReadAsList) => {
                Ok(Reply::json(200, json!([shown(id, &current)])))
            }
            _ => Ok(Reply::json(200, shown(id, &current))),
        }
    }

    /// The body of a PUT or PATCH: parsed as a create's, or (defects) as JSON only.
    fn update_data(&self, req: &Req<'_>) -> Result<Data, Reply> {
        let json = Some("application/json");
        let content_type = if self.has(Defect::UpdateIgnoresContentType) {
            json
        } else {
            req.content_type()
        };
        let is_json = content_type.is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
        let has_body = req.body.as_ref().is_ok_and(|b| !b.is_empty());
        if self.has(Defect::UpdateOnlyJson) && has_body && !is_json {
            return Err(Reply::detail(415, "Send JSON."));
        }
        if self.has(Defect::UpdateMalformedJsonIs500)
            && is_json
            && let Ok(bytes) = &req.body
            && serde_json::from_slice::<Value>(bytes).is_err()
        {
            return Err(Reply::detail(500, "Server error."));
        }
        self.parse(content_type, &req.body)
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
