//! `${...}` placeholders in feature text: `${login}`, `${access:alg-none}`, `${255 x é}`.
//!
//! The names are resolved by the caller (the World knows the account and the tokens); this
//! module finds the placeholders, repeats `${N x text}`, and escapes each value for where it
//! lands (inside a JSON string, a form body, or plain text).

use std::fmt;

/// How a resolved value is escaped before it is spliced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Spliced in as is (headers, paths, raw text).
    Plain,
    /// Inside a JSON string literal.
    Json,
    /// A value of an `application/x-www-form-urlencoded` body.
    Form,
}

/// Why a placeholder has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// The scenario cannot run here (an optional input is absent); the reason says which.
    Skip(String),
    /// The placeholder is wrong (unknown name, a token not obtained yet): a suite error.
    Error(String),
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unresolved::Skip(s) | Unresolved::Error(s) => f.write_str(s),
        }
    }
}

/// Longest repetition `${N x text}` may ask for: enough for oversized fields, bounded for memory.
const MAX_REPEAT: usize = 16 * 1024 * 1024;

/// Replaces every `${...}` in `text`.
pub fn expand(
    text: &str,
    escape: Escape,
    mut resolve: impl FnMut(&str) -> Result<String, Unresolved>,
) -> Result<String, Unresolved> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(Unresolved::Error(format!(
                "unclosed placeholder in {text:?}"
            )));
        };
        let name = after[..end].trim();
        let value = match repetition(name) {
            Some((n, unit)) if n.saturating_mul(unit.len()) <= MAX_REPEAT => unit.repeat(n),
            Some(_) => return Err(Unresolved::Error(format!("${{{name}}} is too long"))),
            None => resolve(name)?,
        };
        out.push_str(&escaped(&value, escape));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `N x text` → `(N, text)`.
fn repetition(name: &str) -> Option<(usize, &str)> {
    let (n, unit) = name.split_once(" x ")?;
    Some((n.trim().parse().ok()?, unit))
}

fn escaped(value: &str, escape: Escape) -> String {
    match escape {
        Escape::Plain => value.to_string(),
        Escape::Json => {
            let quoted = serde_json::Value::String(value.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        }
        Escape::Form => form_urlencoded::byte_serialize(value.as_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Result<String, Unresolved> {
        match name {
            "login" => Ok("al\"ice & bob".into()),
            "access" => Ok("eyJ.x.y".into()),
            "inactive_login" => Err(Unresolved::Skip("no inactive account".into())),
            other => Err(Unresolved::Error(format!("unknown {other}"))),
        }
    }

    #[test]
    fn escapes_for_json_form_and_plain() {
        assert_eq!(
            expand(r#"{"u": "${login}"}"#, Escape::Json, vars),
            Ok(r#"{"u": "al\"ice & bob"}"#.into())
        );
        assert_eq!(
            expand("u=${login}", Escape::Form, vars),
            Ok("u=al%22ice+%26+bob".into())
        );
        assert_eq!(
            expand("Bearer ${access}", Escape::Plain, vars),
            Ok("Bearer eyJ.x.y".into())
        );
    }

    #[test]
    fn repeats_and_reports_unresolved_names() {
        assert_eq!(expand("${3 x é}", Escape::Plain, vars), Ok("ééé".into()));
        assert_eq!(
            expand("${inactive_login}", Escape::Plain, vars),
            Err(Unresolved::Skip("no inactive account".into()))
        );
        assert!(matches!(
            expand("${nope}", Escape::Plain, vars),
            Err(Unresolved::Error(_))
        ));
        assert!(matches!(
            expand("${open", Escape::Plain, vars),
            Err(Unresolved::Error(_))
        ));
        assert_eq!(
            expand("no placeholders", Escape::Plain, vars),
            Ok("no placeholders".into())
        );
    }
}
