//! Step definitions, one module per concern. The vocabulary is documented in
//! `features/README.md`; every phrase there is defined here.

pub mod claims;
pub mod raw;
pub mod requests;
pub mod resources;
pub mod responses;
pub mod tokens;
pub mod users;

use crate::world::{ApiWorld, Body, Dest};

/// Parses the target of a request step: `the obtain endpoint`, `my resource`, `the path "/x/"`.
pub fn parse_dest(w: &ApiWorld, text: &str) -> Dest {
    let text = text.trim();
    let named = text
        .strip_prefix("the ")
        .and_then(|t| t.strip_suffix(" endpoint"))
        .and_then(|name| name.parse().ok());
    if let Some(endpoint) = named {
        return Dest::Endpoint(endpoint);
    }
    match text {
        "the collection" => Dest::Collection,
        "my resource" => Dest::MyResource,
        "a deleted resource" => Dest::DeletedResource,
        _ => match text
            .strip_prefix("the path \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            Some(path) => Dest::Path(path.to_string()),
            None => w.fail(format!("suite error: unknown request target {text:?}")),
        },
    }
}

/// Parses a body description: `the JSON '...'`, `an empty body typed "..."`, ...
pub fn parse_body(w: &ApiWorld, text: &str) -> Body {
    let text = text.trim();
    // What stands between `prefix` and the closing quote at the end.
    let quoted = |prefix: &str, close: char| {
        text.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(close))
            .map(str::to_string)
    };
    if let Some(j) = quoted("the JSON '", '\'') {
        return Body::Json(j);
    }
    if let Some(f) = quoted("the form '", '\'') {
        return Body::Form(f);
    }
    if let Some(f) = quoted("the multipart form '", '\'') {
        return Body::Multipart(f);
    }
    if text == "an empty body" {
        return Body::None;
    }
    if let Some(ct) = quoted("an empty body typed \"", '"') {
        return Body::EmptyTyped(ct);
    }
    if let Some(ct) = quoted("invalid UTF-8 typed \"", '"') {
        return Body::InvalidUtf8(ct);
    }
    if let Some((body, ct)) = text
        .strip_prefix("the body '")
        .and_then(|rest| rest.rsplit_once("' typed \""))
    {
        return Body::Raw(body.to_string(), ct.trim_end_matches('"').to_string());
    }
    if let Some(n) = text
        .strip_prefix("JSON nested ")
        .and_then(|r| r.strip_suffix(" levels deep"))
        .and_then(|n| n.parse().ok())
    {
        return Body::Nested(n);
    }
    w.fail(format!("suite error: unknown body description {text:?}"))
}
