//! Property 3: random sequences of create / get / list / put / patch / delete, with valid and
//! invalid bodies, checked step by step against an in-memory model. Every read agrees with
//! the model; nothing acknowledged is lost; nothing refused is stored.

use std::sync::Arc;

use proptest::{collection::vec, prelude::*, sample::Index};
use serde_json::{Map, Value, json};

use super::{Options, PropertyResult, Session, answered, check_property, skipped};

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

/// A resource as the model knows it.
#[derive(Debug, Clone)]
struct Known {
    url: String,
    id: Value,
    /// `None` once deleted.
    fields: Option<(String, String)>,
}

fn as_json(id: &Value, f: &(String, String)) -> Value {
    json!({"id": id, "field1": f.0, "field2": f.1})
}

/// The collection lists every live resource exactly once, as last acknowledged, and no deleted
/// one (RES-4, RES-11); `Err` says what differs, with the exchange that showed it.
async fn list_agrees(
    s: &Session,
    collection: &str,
    auth: &str,
    known: &[Known],
) -> Result<(), String> {
    let ex = s
        .send("GET", collection, Some(auth), "", Vec::new())
        .await?;
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

/// Runs one sequence; `Err` names the first disagreement with the model.
async fn run_sequence(s: &Session, ops: &[Op]) -> Result<(), String> {
    let collection =
        s.t.url(s.t.profile.endpoints.resources.as_deref().unwrap_or("/"));
    let mut known: Vec<Known> = Vec::new();
    let outcome = async {
        for (step, op) in ops.iter().enumerate() {
            let auth = format!("Bearer {}", s.access().await?);
            let at = |what: String, ex: &crate::http::Exchange| format!("step {} ({op:?}): {what}\n{}", step + 1, s.render(ex));
            match op {
                Op::Create(a, b) => {
                    let ex = s.send("POST", &collection, Some(&auth), "application/json", body(a, b)).await?;
                    let r = answered(&ex)?;
                    match (a.stored(), b.stored()) {
                        (Ok(Some(x)), Ok(Some(y))) => {
                            let got = r.json().unwrap_or(Value::Null);
                            let id = got.get("id").cloned().filter(|_| r.status == 201).ok_or_else(|| at(format!("expected 201 with an id, got {}", r.status), &ex))?;
                            if got != as_json(&id, &(x.clone(), y.clone())) {
                                return Err(at(format!("expected {}", as_json(&id, &(x, y))), &ex));
                            }
                            let url = format!("{collection}{}/", id.as_str().map(str::to_string).unwrap_or_else(|| id.to_string()));
                            known.push(Known { url, id, fields: Some((x, y)) });
                            // Every read after a write shows it, the list included (RES-11).
                            list_agrees(s, &collection, &auth, &known).await.map_err(|e| format!("step {} ({op:?}): {e}", step + 1))?;
                        }
                        _ if r.status == 400 => {}
                        _ => return Err(at(format!("an invalid create must be a 400, got {}", r.status), &ex)),
                    }
                }
                Op::List => {
                    list_agrees(s, &collection, &auth, &known).await.map_err(|e| format!("step {} ({op:?}): {e}", step + 1))?;
                }
                Op::Get(i) | Op::Put(i, ..) | Op::Patch(i, ..) | Op::Delete(i) => {
                    if known.is_empty() {
                        continue;
                    }
                    let n = i.index(known.len());
                    let k = known[n].clone();
                    let (method, payload) = match op {
                        Op::Get(_) => ("GET", Vec::new()),
                        Op::Delete(_) => ("DELETE", Vec::new()),
                        Op::Put(_, a, b) => ("PUT", body(a, b)),
                        Op::Patch(_, a, b) => ("PATCH", body(a, b)),
                        _ => unreachable!(),
                    };
                    let ct = if payload.is_empty() { "" } else { "application/json" };
                    let ex = s.send(method, &k.url, Some(&auth), ct, payload).await?;
                    let r = answered(&ex)?;
                    let Some(current) = k.fields.clone() else {
                        if r.status != 404 {
                            return Err(at(format!("id {} was deleted: expected 404, got {}", k.id, r.status), &ex));
                        }
                        continue;
                    };
                    let next: Result<(String, String), ()> = match op {
                        Op::Get(_) | Op::Delete(_) => Ok(current.clone()),
                        Op::Put(_, a, b) => match (a.stored(), b.stored()) {
                            (Ok(Some(x)), Ok(Some(y))) => Ok((x, y)),
                            _ => Err(()),
                        },
                        Op::Patch(_, a, b) => match (a.stored(), b.stored()) {
                            (Ok(x), Ok(y)) => Ok((x.unwrap_or(current.0.clone()), y.unwrap_or(current.1.clone()))),
                            _ => Err(()),
                        },
                        _ => unreachable!(),
                    };
                    match (op, next) {
                        (Op::Delete(_), _) => {
                            if r.status != 204 || !r.body.is_empty() {
                                return Err(at(format!("expected 204 with an empty body, got {}", r.status), &ex));
                            }
                            known[n].fields = None;
                            list_agrees(s, &collection, &auth, &known).await.map_err(|e| format!("step {} ({op:?}): {e}", step + 1))?;
                        }
                        (_, Ok(f)) => {
                            let expected = as_json(&k.id, &f);
                            if r.status != 200 || r.json().as_ref() != Some(&expected) {
                                return Err(at(format!("expected 200 with {expected}"), &ex));
                            }
                            let wrote = !matches!(op, Op::Get(_));
                            known[n].fields = Some(f);
                            if wrote {
                                list_agrees(s, &collection, &auth, &known).await.map_err(|e| format!("step {} ({op:?}): {e}", step + 1))?;
                            }
                        }
                        (_, Err(())) => {
                            if r.status != 400 {
                                return Err(at(format!("an invalid {method} must be a 400 and change nothing, got {}", r.status), &ex));
                            }
                        }
                    }
                }
            }
        }
        // Nothing acknowledged is lost: every live resource reads back as last acknowledged.
        let auth = format!("Bearer {}", s.access().await?);
        for k in &known {
            let ex = s.send("GET", &k.url, Some(&auth), "", Vec::new()).await?;
            let r = answered(&ex)?;
            let ok = match &k.fields {
                Some(f) => r.status == 200 && r.json() == Some(as_json(&k.id, f)),
                None => r.status == 404,
            };
            if !ok {
                return Err(format!("after the sequence, id {} does not read back as acknowledged\n{}", k.id, s.render(&ex)));
            }
        }
        Ok(())
    }
    .await;
    if let Ok(token) = s.access().await {
        let auth = format!("Bearer {token}");
        for k in known.iter().filter(|k| k.fields.is_some()) {
            let _ = s.send("DELETE", &k.url, Some(&auth), "", Vec::new()).await;
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
