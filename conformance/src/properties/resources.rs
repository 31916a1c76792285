//! Property 3: random sequences of create / get / list / put / patch / delete, with valid and
//! invalid bodies, checked step by step against an in-memory model. Every read agrees with
//! the model; nothing acknowledged is lost; nothing refused is stored.

use std::sync::Arc;

use proptest::{collection::vec, prelude::*, sample::Index};
use serde_json::{Map, Value, json};

use super::{Options, PropertyResult, Session, answered, check_property, skipped};
use crate::{http::Response, profile::Endpoint};

const CLAIM: &str = "CRUD sequences agree with an in-memory model; nothing acknowledged is lost";

/// A field value in a request.
#[derive(Debug, Clone)]
pub enum Field {
    /// Absent from the body.
    Missing,
    /// A valid string, possibly with surrounding whitespace (stored trimmed).
    Text(String),
    /// An integer (stored as its decimal text).
    Number(i32),
    /// `""` or whitespace only.
    Blank,
    /// 256 characters.
    TooLong,
    /// `null`.
    Null,
    /// `true`.
    Bool,
}

impl Field {
    fn json(&self) -> Option<Value> {
        Some(match self {
            Field::Missing => return None,
            Field::Text(s) => json!(s),
            Field::Number(n) => json!(n),
            Field::Blank => json!("  "),
            Field::TooLong => json!("z".repeat(256)),
            Field::Null => Value::Null,
            Field::Bool => json!(true),
        })
    }

    /// What a conforming server stores, `Ok(None)` when absent, `Err` when it must refuse.
    fn stored(&self) -> Result<Option<String>, ()> {
        match self {
            Field::Missing => Ok(None),
            Field::Text(s) => Ok(Some(s.trim().to_string())),
            Field::Number(n) => Ok(Some(n.to_string())),
            _ => Err(()),
        }
    }
}

/// One operation; `Index` picks among the resources created so far.
#[derive(Debug, Clone)]
pub enum Op {
    /// POST the collection.
    Create(Field, Field),
    /// GET an item.
    Get(Index),
    /// GET the collection.
    List,
    /// PUT an item.
    Put(Index, Field, Field),
    /// PATCH an item.
    Patch(Index, Field, Field),
    /// DELETE an item.
    Delete(Index),
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        6 => "[ ]{0,2}[a-zA-Z0-9é☃]{1,20}[ ]{0,2}".prop_map(Field::Text),
        1 => any::<i32>().prop_map(Field::Number),
        1 => Just(Field::Missing),
        1 => Just(Field::Blank),
        1 => Just(Field::TooLong),
        1 => Just(Field::Null),
        1 => Just(Field::Bool),
    ]
}

/// A PATCH field: absent far more often, since leaving fields out is what PATCH is for.
fn partial() -> impl Strategy<Value = Field> {
    prop_oneof![2 => field(), 1 => Just(Field::Missing)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (field(), field()).prop_map(|(a, b)| Op::Create(a, b)),
        2 => any::<Index>().prop_map(Op::Get),
        1 => Just(Op::List),
        2 => (any::<Index>(), field(), field()).prop_map(|(i, a, b)| Op::Put(i, a, b)),
        2 => (any::<Index>(), partial(), partial()).prop_map(|(i, a, b)| Op::Patch(i, a, b)),
        1 => any::<Index>().prop_map(Op::Delete),
    ]
}

fn body(a: &Field, b: &Field) -> Vec<u8> {
    let mut m = Map::new();
    if let Some(v) = a.json() {
        m.insert("field1".into(), v);
    }
    if let Some(v) = b.json() {
        m.insert("field2".into(), v);
    }
    Value::Object(m).to_string().into_bytes()
}

/// Field values as a conforming server stores them.
type Fields = (String, String);

/// A resource as the model knows it.
#[derive(Debug, Clone)]
struct Known {
    url: String,
    id: Value,
    /// `None` once deleted.
    fields: Option<Fields>,
}

fn as_json(id: &Value, f: &Fields) -> Value {
    json!({"id": id, "field1": f.0, "field2": f.1})
}

/// What the model expects of one operation.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// 201 with an id and these fields (a valid create).
    Created(Fields),
    /// 400, and nothing changes (an invalid create, put or patch).
    Refused,
    /// 200 with the item holding these fields (a read, or a valid write to it).
    Item(Fields),
    /// 204 with an empty body (a delete).
    Deleted,
    /// 404 (the item was deleted earlier).
    Gone,
    /// The list agrees with the model.
    List,
}

/// The request of an operation: its method, whether it goes to an item (by index into the
/// model) or to the collection, and its JSON body.
#[derive(Debug, Clone, PartialEq)]
struct Call {
    method: &'static str,
    item: Option<usize>,
    body: Option<Vec<u8>>,
}

/// The in-memory model: every resource created so far, as last acknowledged.
#[derive(Debug, Default)]
struct Model {
    known: Vec<Known>,
}

impl Model {
    /// The model's side of an operation: the request it makes and what must come back; `None`
    /// when it addresses an item and none exists yet.
    fn plan(&self, op: &Op) -> Option<(Call, Expected)> {
        let call = |method, item, body| Call { method, item, body };
        let (index, current) = match op {
            Op::Create(a, b) => {
                let expected = match (a.stored(), b.stored()) {
                    (Ok(Some(x)), Ok(Some(y))) => Expected::Created((x, y)),
                    _ => Expected::Refused,
                };
                return Some((call("POST", None, Some(body(a, b))), expected));
            }
            Op::List => return Some((call("GET", None, None), Expected::List)),
            Op::Get(i) | Op::Put(i, ..) | Op::Patch(i, ..) | Op::Delete(i) => {
                let n = (!self.known.is_empty()).then(|| i.index(self.known.len()))?;
                (n, self.known[n].fields.clone())
            }
        };
        let (call, next) = match op {
            Op::Put(_, a, b) => (
                call("PUT", Some(index), Some(body(a, b))),
                match (a.stored(), b.stored()) {
                    (Ok(Some(x)), Ok(Some(y))) => Expected::Item((x, y)),
                    _ => Expected::Refused,
                },
            ),
            Op::Patch(_, a, b) => (
                call("PATCH", Some(index), Some(body(a, b))),
                match (a.stored(), b.stored(), &current) {
                    (Ok(x), Ok(y), Some(c)) => {
                        Expected::Item((x.unwrap_or(c.0.clone()), y.unwrap_or(c.1.clone())))
                    }
                    (Ok(_), Ok(_), None) => Expected::Gone,
                    _ => Expected::Refused,
                },
            ),
            Op::Delete(_) => (call("DELETE", Some(index), None), Expected::Deleted),
            _ => (
                call("GET", Some(index), None),
                current.clone().map_or(Expected::Gone, Expected::Item),
            ),
        };
        // A deleted item is gone, whatever is sent to it.
        let expected = if current.is_none() {
            Expected::Gone
        } else {
            next
        };
        Some((call, expected))
    }

    /// Takes in what the target acknowledged.
    fn acknowledge(&mut self, call: &Call, outcome: Acknowledged) {
        match (outcome, call.item) {
            (Acknowledged::Created(known), _) => self.known.push(known),
            (Acknowledged::Now(fields), Some(n)) => self.known[n].fields = fields,
            _ => {}
        }
    }
}

/// What a response that agrees with the model changes in it.
#[derive(Debug)]
enum Acknowledged {
    /// A new resource.
    Created(Known),
    /// The item's fields now (`None`: deleted).
    Now(Option<Fields>),
    /// Nothing.
    Nothing,
}

/// Whether a response is what the model expected; `Err` says what differs.
fn compare(
    expected: &Expected,
    call: &Call,
    known: Option<&Known>,
    collection: &str,
    r: &Response,
) -> Result<Acknowledged, String> {
    match (expected, known) {
        (Expected::Created(fields), _) => {
            let got = r.json().unwrap_or(Value::Null);
            let id = got
                .get("id")
                .cloned()
                .filter(|_| r.status == 201)
                .ok_or_else(|| format!("expected 201 with an id, got {}", r.status))?;
            let expected = as_json(&id, fields);
            if got != expected {
                return Err(format!("expected {expected}"));
            }
            let url = format!("{collection}{}/", id_text(&id));
            Ok(Acknowledged::Created(Known {
                url,
                id,
                fields: Some(fields.clone()),
            }))
        }
        (Expected::Refused, _) if r.status == 400 => Ok(Acknowledged::Nothing),
        (Expected::Refused, None) => {
            Err(format!("an invalid create must be a 400, got {}", r.status))
        }
        (Expected::Refused, Some(_)) => Err(format!(
            "an invalid {} must be a 400 and change nothing, got {}",
            call.method, r.status
        )),
        (Expected::Gone, k) => match r.status {
            404 => Ok(Acknowledged::Nothing),
            s => Err(format!(
                "id {} was deleted: expected 404, got {s}",
                k.map_or(Value::Null, |k| k.id.clone())
            )),
        },
        (Expected::Deleted, _) if r.status == 204 && r.body.is_empty() => {
            Ok(Acknowledged::Now(None))
        }
        (Expected::Deleted, _) => Err(format!("expected 204 with an empty body, got {}", r.status)),
        (Expected::Item(fields), Some(k)) => {
            let expected = as_json(&k.id, fields);
            if r.status != 200 || r.json().as_ref() != Some(&expected) {
                return Err(format!("expected 200 with {expected}"));
            }
            Ok(Acknowledged::Now(Some(fields.clone())))
        }
        // The model plans an item read only for an item it knows, and reads the list itself.
        (Expected::Item(_), None) | (Expected::List, _) => Err(format!(
            "suite error: the model expected {expected:?} of {} without an item",
            call.method
        )),
    }
}

/// An id as it stands in an item's URL.
fn id_text(id: &Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_string)
}

/// The collection lists every live resource exactly once, as last acknowledged, and no deleted
/// one (RES-4, RES-11); `Err` says what differs, with the exchange that showed it.
async fn list_agrees(
    s: &Session,
    collection: &str,
    token: &str,
    known: &[Known],
) -> Result<(), String> {
    let ex = s.exchange(s.authed("GET", collection, token)).await;
    let r = answered(&ex)?;
    let Some(Value::Array(items)) = r.json().filter(|_| r.status == 200) else {
        return Err(format!(
            "reading the list: expected 200 with a JSON array\n{}",
            s.render(&ex)
        ));
    };
    for k in known {
        let mut listed = items.iter().filter(|i| i.get("id") == Some(&k.id));
        let (first, again) = (listed.next(), listed.next().is_some());
        let what = match (&k.fields, first) {
            (_, Some(_)) if again => format!("the list has id {} more than once", k.id),
            (Some(f), Some(item)) if *item == as_json(&k.id, f) => continue,
            (Some(f), _) => format!(
                "the list lacks or misstates {} (acknowledged earlier)",
                as_json(&k.id, f)
            ),
            (None, Some(_)) => format!("the list still has deleted id {}", k.id),
            (None, None) => continue,
        };
        return Err(format!("RES-11: {what}\n{}", s.render(&ex)));
    }
    Ok(())
}

/// Applies the operations to the target one by one, each checked against the model, then
/// reads every resource back; `Err` names the first disagreement.
async fn apply(s: &Session, collection: &str, model: &mut Model, ops: &[Op]) -> Result<(), String> {
    for (step, op) in ops.iter().enumerate() {
        let token = s.access().await?;
        let Some((call, expected)) = model.plan(op) else {
            continue;
        };
        let in_step = |what: String| format!("step {} ({op:?}): {what}", step + 1);
        if expected == Expected::List {
            list_agrees(s, collection, &token, &model.known)
                .await
                .map_err(in_step)?;
            continue;
        }
        let known = call.item.map(|n| &model.known[n]);
        let url = known.map_or(collection, |k| k.url.as_str());
        let mut request = s.authed(call.method, url, &token);
        if let Some(body) = call.body.clone() {
            request = request.body("application/json", body);
        }
        let ex = s.exchange(request).await;
        let r = answered(&ex)?;
        let acknowledged = compare(&expected, &call, known, collection, r)
            .map_err(|what| in_step(format!("{what}\n{}", s.render(&ex))))?;
        let wrote = !matches!(acknowledged, Acknowledged::Nothing) && !matches!(op, Op::Get(_));
        model.acknowledge(&call, acknowledged);
        // Every read after a write shows it, the list included (RES-11).
        if wrote {
            list_agrees(s, collection, &token, &model.known)
                .await
                .map_err(in_step)?;
        }
    }
    // Nothing acknowledged is lost: every live resource reads back as last acknowledged.
    let token = s.access().await?;
    for k in &model.known {
        let ex = s.exchange(s.authed("GET", k.url.as_str(), &token)).await;
        let r = answered(&ex)?;
        let ok = match &k.fields {
            Some(f) => r.status == 200 && r.json() == Some(as_json(&k.id, f)),
            None => r.status == 404,
        };
        if !ok {
            return Err(format!(
                "after the sequence, id {} does not read back as acknowledged\n{}",
                k.id,
                s.render(&ex)
            ));
        }
    }
    Ok(())
}

/// Runs one sequence and deletes what it left.
async fn run_sequence(s: &Session, ops: &[Op]) -> Result<(), String> {
    let Ok(collection) = s.t.endpoint_url(Endpoint::Resources) else {
        return Err("the profile has no resource collection".into());
    };
    let mut model = Model::default();
    let outcome = apply(s, &collection, &mut model, ops).await;
    if let Ok(token) = s.access().await {
        for k in model.known.iter().filter(|k| k.fields.is_some()) {
            let _ = s.exchange(s.authed("DELETE", k.url.as_str(), &token)).await;
        }
    }
    outcome
}

/// Runs the property.
pub async fn check(session: Arc<Session>, opts: &Options, seed: u64) -> PropertyResult {
    if session.t.profile.endpoints.resources.is_none() {
        return skipped(
            "resources",
            CLAIM,
            "the profile has no resource collection (endpoints.resources)".into(),
        );
    }
    // A sequence is many requests: fewer cases than the other properties.
    let opts = Options {
        cases: opts.cases.div_ceil(8).max(1),
        ..opts.clone()
    };
    check_property(
        "resources",
        CLAIM,
        &opts,
        seed,
        || vec(op(), 1..24),
        move |rt, ops| rt.block_on(run_sequence(&session, ops)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_stores_what_charfield_stores() {
        assert_eq!(
            Field::Text("  a b ".into()).stored(),
            Ok(Some("a b".into()))
        );
        assert_eq!(Field::Number(-3).stored(), Ok(Some("-3".into())));
        assert_eq!(Field::Missing.stored(), Ok(None));
        for bad in [Field::Blank, Field::TooLong, Field::Null, Field::Bool] {
            assert!(bad.stored().is_err(), "{bad:?}");
        }
        assert_eq!(
            body(&Field::Text("x".into()), &Field::Missing),
            br#"{"field1":"x"}"#.to_vec()
        );
    }
}
