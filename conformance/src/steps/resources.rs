//! Steps about the resource collection: the scenario's own resource, read-back checks against
//! what was acknowledged, and concurrent writes.

use cucumber::{given, then, when};
use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use crate::world::{ApiWorld, Resource, fields};
use conformance::{http::Request, matcher, template::Escape, vocabulary};

fn object(w: &ApiWorld, text: &str) -> Map<String, Value> {
    let text = w.expand(text, Escape::Json);
    match serde_json::from_str(&text) {
        Ok(Value::Object(m)) => m,
        _ => w.fail(format!("suite error: {text} is not a JSON object")),
    }
}

fn with_id(id: &Value, fields: &Map<String, Value>) -> Value {
    let mut m = fields.clone();
    m.insert("id".into(), id.clone());
    Value::Object(m)
}

#[given("I have created a resource")]
async fn created(w: &mut ApiWorld) {
    w.my_resource().await;
}

#[given("I have deleted my resource")]
async fn deleted_mine(w: &mut ApiWorld) {
    let r = w.my_resource().await;
    let token = w.access().await;
    let resp = w.with_bearer("DELETE", r.url.clone(), &token, None).await;
    if resp.status != 204 {
        w.fail(format!(
            "setup failed: deleting my resource answered {}, not 204",
            resp.status
        ));
    }
    w.cleanup.retain(|u| *u != r.url);
}

/// The last response (a 201) becomes the scenario's resource.
#[then("I keep it as my resource")]
fn keep_as_mine(w: &mut ApiWorld) {
    let mut body = match w.last_json() {
        Value::Object(m) => m,
        other => w.fail(format!(
            "expected the created resource as a JSON object, got {}",
            matcher::short(&other)
        )),
    };
    let id = body
        .remove("id")
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| w.fail("the created resource has no id"));
    let url = w.item_url(&id);
    w.cleanup.push(url.clone());
    w.mine = Some(Resource {
        id,
        url,
        fields: body,
    });
}

fn mine(w: &ApiWorld) -> Resource {
    w.mine
        .clone()
        .unwrap_or_else(|| w.fail("suite error: this scenario has no resource yet"))
}

#[then(regex = r"^my resource's id is not (\d+)$")]
fn id_is_not(w: &mut ApiWorld, n: i64) {
    let id = mine(w).id;
    if id == json!(n) || id == json!(n.to_string()) {
        w.fail(format!("the server took the id {n} from the request body"));
    }
}

#[then(regex = r"^the body is my resource as '(.*)'$")]
fn body_is_mine_as(w: &mut ApiWorld, expected: String) {
    let r = mine(w);
    let expected = with_id(&r.id, &object(w, &expected));
    let actual = w.last_json();
    if let Err(m) = matcher::check(&expected, &actual) {
        w.fail(format!("expected my resource {expected}, but {m}"));
    }
}

/// GETs the resource: it must equal `expected`, which then is what the client knows of it.
#[then(regex = r"^my resource reads back as '(.*)'$")]
async fn reads_back_as(w: &mut ApiWorld, expected: String) {
    let fields = object(w, &expected);
    read_back(w, &fields).await;
    if let Some(m) = w.mine.as_mut() {
        m.fields = fields;
    }
}

#[then("my resource is unchanged")]
async fn unchanged(w: &mut ApiWorld) {
    let fields = mine(w).fields;
    read_back(w, &fields).await;
}

async fn read_back(w: &mut ApiWorld, fields: &Map<String, Value>) {
    let r = mine(w);
    let token = w.access().await;
    let resp = w.with_bearer("GET", r.url.clone(), &token, None).await;
    let expected = with_id(&r.id, fields);
    if resp.status != 200 {
        w.fail(format!(
            "reading my resource back: expected 200 with {expected}, got {}",
            resp.status
        ));
    }
    if let Err(m) = matcher::check(&expected, &w.last_json()) {
        w.fail(format!(
            "reading my resource back: expected {expected} (what the server acknowledged), but {m}"
        ));
    }
}

#[then("my resource is gone")]
async fn gone(w: &mut ApiWorld) {
    let r = mine(w);
    let token = w.access().await;
    let resp = w.with_bearer("GET", r.url.clone(), &token, None).await;
    if resp.status != 404 {
        w.fail(format!(
            "expected the deleted resource to be gone (404), got {}",
            resp.status
        ));
    }
}

async fn list(w: &mut ApiWorld) -> Vec<Value> {
    let url = w.t.url(&w.collection_path());
    let token = w.access().await;
    let resp = w.with_bearer("GET", url, &token, None).await;
    match (resp.status, resp.json()) {
        (200, Some(Value::Array(items))) => items,
        _ => w.fail("expected the collection to answer 200 with a JSON array"),
    }
}

vocabulary! {
    /// Whether a collection lists a resource.
    enum Listing {
        Lists = "lists",
        DoesNotList = "does not list",
    }
}

#[then(regex = r"^the collection (lists|does not list) my resource$")]
async fn collection_lists_mine(w: &mut ApiWorld, how: Listing) {
    let r = mine(w);
    let items = list(w).await;
    let found = listed_once(w, &items, &r.id);
    match (how, found) {
        (Listing::Lists, None) => w.fail(format!(
            "the collection does not list my resource (id {})",
            r.id
        )),
        (Listing::Lists, Some(item)) => {
            if let Err(m) = matcher::check(&with_id(&r.id, &r.fields), item) {
                w.fail(format!("the collection lists my resource differently: {m}"));
            }
        }
        (Listing::DoesNotList, Some(_)) => w.fail(format!(
            "the collection still lists my resource (id {})",
            r.id
        )),
        (Listing::DoesNotList, None) => {}
    }
}

/// The item with this id, which the list must hold at most once (RES-4).
fn listed_once<'a>(w: &ApiWorld, items: &'a [Value], id: &Value) -> Option<&'a Value> {
    let mut hits = items.iter().filter(|i| i.get("id") == Some(id));
    let first = hits.next();
    if hits.next().is_some() {
        w.fail(format!(
            "the collection lists the resource with id {id} more than once"
        ));
    }
    first
}

#[then("the body's id is not my resource's")]
fn body_id_is_not_mine(w: &mut ApiWorld) {
    let r = mine(w);
    let id = w.last_json().get("id").cloned().unwrap_or(Value::Null);
    if id == r.id {
        w.fail(format!(
            "the server gave a new resource the id {id} of a resource it deleted: ids are reused"
        ));
    }
}

// ----- concurrency ------------------------------------------------------------------------

async fn concurrently(
    w: &mut ApiWorld,
    method: &str,
    items: Vec<(String, Map<String, Value>)>,
) -> Vec<(u16, Option<Value>)> {
    let token = w.access().await;
    let client = w.t.client.clone();
    let sends = items.into_iter().map(|(url, body)| {
        client.send(Request {
            method: method.to_string(),
            url,
            headers: vec![
                w.t.profile.wire.authorization(&token),
                ("Content-Type".into(), "application/json".into()),
            ],
            body: Value::Object(body).to_string().into_bytes(),
        })
    });
    let exchanges = join_all(sends).await;
    let mut out = Vec::new();
    for ex in exchanges {
        let r = ex.outcome.as_ref().ok().map(|r| (r.status, r.json()));
        w.history.push(ex);
        match r {
            Some(r) => out.push(r),
            None => w.fail("a concurrent request got no response"),
        }
    }
    out
}

/// POSTs `bodies` concurrently; the batch records what each create answered.
async fn create_batch(w: &mut ApiWorld, bodies: Vec<Map<String, Value>>) {
    let url = w.t.url(&w.collection_path());
    let requests = bodies.iter().map(|b| (url.clone(), b.clone())).collect();
    let results = concurrently(w, "POST", requests).await;
    w.batch.clear();
    for (body, (status, json)) in bodies.into_iter().zip(results) {
        let id = json
            .and_then(|j| j.get("id").cloned())
            .filter(|v| !v.is_null());
        let resource = id.map(|id| {
            let url = w.item_url(&id);
            w.cleanup.push(url.clone());
            Resource {
                id,
                url,
                fields: body,
            }
        });
        w.batch.push((resource, status));
    }
}

#[when(regex = r"^I create (\d+) resources concurrently$")]
async fn create_concurrently(w: &mut ApiWorld, n: usize) {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let bodies = (0..n)
        .map(|i| {
            fields(&[
                ("field1", &format!("c{i}-{tag}")),
                ("field2", &format!("v{i}")),
            ])
        })
        .collect();
    create_batch(w, bodies).await;
}

/// Setup, so done concurrently too: a slow target should not eat the token's lifetime here.
#[given(regex = r"^I have created (\d+) resources$")]
async fn created_n(w: &mut ApiWorld, n: usize) {
    let bodies = (0..n)
        .map(|i| fields(&[("field1", &format!("s{i}")), ("field2", "same")]))
        .collect();
    create_batch(w, bodies).await;
    if let Some((_, status)) = w.batch.iter().find(|(r, s)| r.is_none() || *s != 201) {
        let status = *status;
        w.fail(format!(
            "setup failed: creating a resource answered {status} without an id, not 201"
        ));
    }
}

#[then("every create answered 201 with a distinct id")]
fn creates_201(w: &mut ApiWorld) {
    let mut ids = std::collections::HashSet::new();
    for (i, (r, status)) in w.batch.iter().enumerate() {
        let Some(r) = r.as_ref().filter(|_| *status == 201) else {
            w.fail(format!(
                "concurrent create #{i} answered {status} without an id, expected 201"
            ));
        };
        if !ids.insert(r.id.to_string()) {
            w.fail(format!("concurrent creates got the same id {}", r.id));
        }
    }
}

#[then("the collection lists all of them")]
async fn lists_all(w: &mut ApiWorld) {
    let items = list(w).await;
    for (r, _) in w.batch.clone() {
        let Some(r) = r else { continue };
        match listed_once(w, &items, &r.id) {
            None => w.fail(format!(
                "a resource acknowledged with 201 (id {}) is missing from the collection",
                r.id
            )),
            Some(item) => {
                if let Err(m) = matcher::check(&with_id(&r.id, &r.fields), item) {
                    w.fail(format!(
                        "resource {} is listed differently from what was acknowledged: {m}",
                        r.id
                    ));
                }
            }
        }
    }
}

#[then(regex = r"^each of them reads back as (created|updated)$")]
async fn each_reads_back(w: &mut ApiWorld, _how: String) {
    let token = w.access().await;
    let batch: Vec<Resource> = w.batch.iter().filter_map(|(r, _)| r.clone()).collect();
    let client = w.t.client.clone();
    let gets = batch.iter().map(|r| {
        client.send(Request {
            method: "GET".into(),
            url: r.url.clone(),
            headers: vec![w.t.profile.wire.authorization(&token)],
            body: Vec::new(),
        })
    });
    let results = join_all(gets).await;
    for (r, ex) in batch.iter().zip(results) {
        let got = ex
            .outcome
            .as_ref()
            .ok()
            .map(|resp| (resp.status, resp.json()));
        w.history.push(ex);
        let expected = with_id(&r.id, &r.fields);
        match got {
            Some((200, Some(body))) if matcher::check(&expected, &body).is_ok() => {}
            _ => w.fail(format!(
                "resource {} does not read back as acknowledged ({expected})",
                r.id
            )),
        }
    }
}

#[when("I update each of them concurrently")]
async fn patch_concurrently(w: &mut ApiWorld) {
    let targets: Vec<(usize, Resource)> = w
        .batch
        .iter()
        .enumerate()
        .filter_map(|(i, (r, _))| r.clone().map(|r| (i, r)))
        .collect();
    let items = targets
        .iter()
        .map(|(i, r)| {
            (
                r.url.clone(),
                fields(&[("field1", &format!("updated-{i}"))]),
            )
        })
        .collect();
    let results = concurrently(w, "PATCH", items).await;
    for ((i, _), (status, _)) in targets.into_iter().zip(results) {
        if let Some((Some(r), s)) = w.batch.get_mut(i) {
            r.fields
                .insert("field1".into(), json!(format!("updated-{i}")));
            *s = status;
        }
    }
}

#[then("every update answered 200")]
fn updates_200(w: &mut ApiWorld) {
    if let Some((i, (_, s))) = w.batch.iter().enumerate().find(|(_, (_, s))| *s != 200) {
        w.fail(format!("concurrent update #{i} answered {s}, expected 200"));
    }
}
