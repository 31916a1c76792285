//! What scenarios need before their own requests: a token pair, a resource, a deleted
//! resource, and deleting what they created when they end.

use conformance::{http::Request, profile::Endpoint};
use serde_json::{Map, Value};

use super::{ApiWorld, Resource, fields};

impl ApiWorld {
    /// Logs in with the account; fails (this is setup) unless a token pair comes back.
    pub async fn obtain_pair(&mut self, access: &str, refresh: &str) {
        let body = self.t.account.login_body(&self.t.profile.login_field);
        let resp = self.post_json(Endpoint::Obtain, body).await;
        let json = resp.json().unwrap_or(Value::Null);
        let pair = (
            json.get("access").and_then(Value::as_str),
            json.get("refresh").and_then(Value::as_str),
        );
        match (resp.status, pair) {
            (200, (Some(a), Some(r))) => {
                let (a, r) = (a.to_string(), r.to_string());
                self.keep_token(access, &a);
                self.keep_token(refresh, &r);
            }
            _ => self.fail("setup failed: logging in with the account did not give a token pair (200 {\"access\", \"refresh\"})"),
        }
    }

    /// The scenario's access token, obtaining a pair first if it has none.
    pub async fn access(&mut self) -> String {
        if !self.tokens.contains_key("access") {
            self.obtain_pair("access", "refresh").await;
        }
        self.tokens
            .get("access")
            .map(|t| t.value.clone())
            .expect("obtain_pair keeps ${access} or fails the step")
    }

    /// The item URL for an id.
    pub fn item_url(&self, id: &Value) -> String {
        let id = match id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.t.url(&format!("{}{}/", self.collection_path(), id))
    }

    /// Creates a resource with `fields` (setup: anything but a 201 with an id fails).
    pub async fn create(&mut self, fields: Map<String, Value>) -> Resource {
        let url = self.t.url(&self.collection_path());
        let token = self.access().await;
        let resp = self
            .with_bearer("POST", url, &token, Some(Value::Object(fields.clone())))
            .await;
        let id = resp
            .json()
            .and_then(|j| j.get("id").cloned())
            .filter(|id| !id.is_null());
        match (resp.status, id) {
            (201, Some(id)) => {
                let url = self.item_url(&id);
                self.cleanup.push(url.clone());
                Resource { id, url, fields }
            }
            _ => self.fail("setup failed: creating a resource did not answer 201 with an id"),
        }
    }

    /// The scenario's resource, created as `{"field1": "one", "field2": "two"}` on first use.
    pub async fn my_resource(&mut self) -> Resource {
        if let Some(r) = &self.mine {
            return r.clone();
        }
        let r = self
            .create(fields(&[("field1", "one"), ("field2", "two")]))
            .await;
        self.mine = Some(r.clone());
        r
    }

    /// The URL of a resource that existed and was deleted: an id the server surely lacks.
    pub async fn deleted_resource(&mut self) -> String {
        if let Some(u) = &self.deleted {
            return u.clone();
        }
        let r = self
            .create(fields(&[("field1", "doomed"), ("field2", "doomed")]))
            .await;
        let token = self.access().await;
        let resp = self
            .with_bearer("DELETE", r.url.clone(), &token, None)
            .await;
        if resp.status != 204 {
            self.fail("setup failed: deleting a freshly created resource did not answer 204");
        }
        self.cleanup.retain(|u| *u != r.url);
        self.deleted = Some(r.url.clone());
        r.url
    }

    /// Deletes what the scenario created; failures are ignored (the verdict is already in).
    pub async fn clean_up(&mut self) {
        if self.cleanup.is_empty() {
            return;
        }
        let token = self.access().await;
        let urls = std::mem::take(&mut self.cleanup);
        let sends = urls.iter().map(|url| {
            let request = Request::new("DELETE", url.clone()).bearer(&self.t.profile.wire, &token);
            self.t.client.send(request)
        });
        futures_util::future::join_all(sends).await;
    }
}
