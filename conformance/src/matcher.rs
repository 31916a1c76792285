//! Matching a response body against the expected JSON written in a feature file.
//!
//! The expectation is plain JSON, compared exactly (key order aside), with a few wildcards so
//! that a feature can say "any message" where the contract leaves the text to the implementation:
//!
//! | in the expectation      | matches                                              |
//! |-------------------------|------------------------------------------------------|
//! | `"*"`                   | any string                                           |
//! | `"+"`                   | any non-empty string                                 |
//! | `"text*"`               | a string starting with `text`                        |
//! | `"$int"`                | an integer                                           |
//! | `"$id"`                 | an integer or a non-empty string                     |
//! | `"$jwt"`                | a string shaped like a compact JWS                   |
//! | `"$any"`                | any value                                            |
//! | `"...": "..."` in an object | the object may have other keys besides those listed |

use serde_json::Value;

/// Where and how an actual value differs from the expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// A JSON-pointer-like path to the differing value (`$` is the root).
    pub path: String,
    /// What was expected there.
    pub expected: String,
    /// What was found there.
    pub found: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "at {}: expected {}, found {}",
            self.path, self.expected, self.found
        )
    }
}

/// Checks `actual` against `expected`.
pub fn check(expected: &Value, actual: &Value) -> Result<(), Mismatch> {
    at("$", expected, actual)
}

fn at(path: &str, expected: &Value, actual: &Value) -> Result<(), Mismatch> {
    let miss = |what: String| Mismatch {
        path: path.to_string(),
        expected: what,
        found: short(actual),
    };
    match expected {
        Value::String(pattern) => {
            if string_wildcard(pattern, actual)? {
                Ok(())
            } else {
                Err(miss(describe(pattern)))
            }
        }
        Value::Object(exp) => {
            let Value::Object(act) = actual else {
                return Err(miss("a JSON object".into()));
            };
            let open = exp.get("...").is_some_and(|v| v == "...");
            for (k, v) in exp.iter().filter(|(k, _)| k.as_str() != "...") {
                match act.get(k) {
                    Some(a) => at(&format!("{path}.{k}"), v, a)?,
                    None => {
                        return Err(Mismatch {
                            path: format!("{path}.{k}"),
                            expected: describe_value(v),
                            found: "nothing (the key is missing)".into(),
                        });
                    }
                }
            }
            if let Some(extra) = act.keys().find(|k| !open && !exp.contains_key(*k)) {
                return Err(Mismatch {
                    path: format!("{path}.{extra}"),
                    expected: "no such key".into(),
                    found: short(&act[extra]),
                });
            }
            Ok(())
        }
        Value::Array(exp) => {
            let Value::Array(act) = actual else {
                return Err(miss("a JSON array".into()));
            };
            if exp.len() != act.len() {
                return Err(miss(format!("an array of {} element(s)", exp.len())));
            }
            exp.iter()
                .zip(act)
                .enumerate()
                .try_for_each(|(i, (e, a))| at(&format!("{path}[{i}]"), e, a))
        }
        Value::Number(n) => {
            let same = match (n.as_f64(), actual.as_f64()) {
                (Some(a), Some(b)) => actual.is_number() && a == b,
                _ => false,
            };
            if same {
                Ok(())
            } else {
                Err(miss(n.to_string()))
            }
        }
        other => {
            if other == actual {
                Ok(())
            } else {
                Err(miss(other.to_string()))
            }
        }
    }
}

/// Applies a string expectation; `Ok(false)` is a plain mismatch.
fn string_wildcard(pattern: &str, actual: &Value) -> Result<bool, Mismatch> {
    let s = actual.as_str();
    Ok(match pattern {
        "*" => s.is_some(),
        "+" => s.is_some_and(|s| !s.is_empty()),
        "$any" => true,
        "$int" => actual.is_i64() || actual.is_u64(),
        "$id" => actual.is_i64() || actual.is_u64() || s.is_some_and(|s| !s.is_empty()),
        "$jwt" => s.is_some_and(crate::jwt::looks_like_jwt),
        p if p.len() > 1 && p.ends_with('*') && !p.ends_with("\\*") => {
            s.is_some_and(|s| s.starts_with(&p[..p.len() - 1]))
        }
        p => s == Some(p.replace("\\*", "*").as_str()),
    })
}

fn describe(pattern: &str) -> String {
    match pattern {
        "*" => "any string".into(),
        "+" => "a non-empty string".into(),
        "$any" => "any value".into(),
        "$int" => "an integer".into(),
        "$id" => "an id (an integer or a non-empty string)".into(),
        "$jwt" => "a JWT".into(),
        p if p.len() > 1 && p.ends_with('*') => {
            format!("a string starting with {:?}", &p[..p.len() - 1])
        }
        p => format!("{p:?}"),
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::String(s) => describe(s),
        other => short(other),
    }
}

/// A value rendered for a message, cut to a readable length.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!(
            "{}… ({} bytes)",
            s.chars().take(200).collect::<String>(),
            s.len()
        )
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_objects_ignore_key_order_but_not_extra_keys() {
        assert!(check(&json!({"a": 1, "b": ["x"]}), &json!({"b": ["x"], "a": 1})).is_ok());
        let m = check(&json!({"a": 1}), &json!({"a": 1, "b": 2})).unwrap_err();
        assert_eq!(m.path, "$.b");
        let m = check(&json!({"a": 1, "b": 2}), &json!({"a": 1})).unwrap_err();
        assert_eq!(m.path, "$.b");
        assert!(m.found.contains("missing"));
    }

    #[test]
    fn open_objects_allow_other_keys() {
        let exp = json!({"detail": "x", "...": "..."});
        assert!(check(&exp, &json!({"detail": "x", "messages": []})).is_ok());
        assert!(check(&exp, &json!({"detail": "y"})).is_err());
    }

    #[test]
    fn wildcards() {
        assert!(
            check(
                &json!({"refresh": ["*"]}),
                &json!({"refresh": ["anything"]})
            )
            .is_ok()
        );
        assert!(check(&json!({"refresh": ["*"]}), &json!({"refresh": [1]})).is_err());
        assert!(check(&json!({"refresh": ["*"]}), &json!({"refresh": ["a", "b"]})).is_err());
        assert!(check(&json!("+"), &json!("")).is_err());
        assert!(
            check(
                &json!("JSON parse error - *"),
                &json!("JSON parse error - line 1")
            )
            .is_ok()
        );
        assert!(check(&json!("JSON parse error - *"), &json!("JSON error")).is_err());
        assert!(check(&json!("$int"), &json!(5)).is_ok());
        assert!(check(&json!("$int"), &json!(5.5)).is_err());
        assert!(check(&json!("$int"), &json!("5")).is_err());
        assert!(check(&json!("$id"), &json!("5")).is_ok());
        assert!(check(&json!("$id"), &json!(5)).is_ok());
        assert!(check(&json!("$id"), &json!(null)).is_err());
        assert!(check(&json!("$jwt"), &json!("not.a.jwt")).is_err());
        assert!(check(&json!("$any"), &json!(null)).is_ok());
        assert!(check(&json!("a\\*"), &json!("a*")).is_ok());
    }

    #[test]
    fn numbers_compare_by_value_and_type() {
        assert!(check(&json!(1), &json!(1.0)).is_ok());
        assert!(check(&json!(1), &json!("1")).is_err());
        assert!(check(&json!({}), &json!([])).is_err());
        assert!(check(&json!([]), &json!({})).is_err());
    }
}
