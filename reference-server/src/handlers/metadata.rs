//! `OPTIONS` answers: DRF's `SimpleMetadata` shape (name, description, renders, parses, actions).

use serde_json::{Map, Value, json};
use warp::http::StatusCode;
use warp::reply::Response;

use crate::fields::CharField;
use crate::reply;

/// The metadata body of a view; `actions` maps a method to the fields it takes.
pub fn describe(name: &str, description: &str, actions: &[(&str, &[CharField])]) -> Response {
    let actions: Map<String, Value> = actions
        .iter()
        .map(|(method, fields)| {
            (
                (*method).to_owned(),
                Value::Object(fields.iter().map(field_info).collect()),
            )
        })
        .collect();
    let mut body = json!({
        "name": name,
        "description": description,
        "renders": ["application/json"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    });
    if !actions.is_empty()
        && let Value::Object(map) = &mut body
    {
        map.insert("actions".to_owned(), Value::Object(actions));
    }
    reply::json(StatusCode::OK, &body)
}

fn field_info(field: &CharField) -> (String, Value) {
    let mut label = field.name.replace('_', " ");
    if let Some(first) = label.get(..1) {
        label = first.to_ascii_uppercase() + label.get(1..).unwrap_or_default();
    }
    let mut info = json!({"type": "string", "required": true, "read_only": false, "label": label});
    if let (Some(max), Value::Object(map)) = (field.max_length, &mut info) {
        map.insert("max_length".to_owned(), Value::from(max));
    }
    (field.name.to_owned(), info)
}
