//! Field validation as DRF's `CharField` does it, and the per-field error body it produces.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

pub const REQUIRED: &str = "This field is required.";
pub const NULL: &str = "This field may not be null.";
pub const BLANK: &str = "This field may not be blank.";
pub const NOT_A_STRING: &str = "Not a valid string.";
pub const NULL_CHARACTER: &str = "Null characters are not allowed.";

/// A string field of a request body.
#[derive(Debug, Clone, Copy)]
pub struct CharField {
    pub name: &'static str,
    pub max_length: Option<usize>,
}

impl CharField {
    pub const fn new(name: &'static str) -> CharField {
        CharField {
            name,
            max_length: None,
        }
    }

    pub const fn max_length(self, max: usize) -> CharField {
        CharField {
            max_length: Some(max),
            ..self
        }
    }

    /// The cleaned value, `Ok(None)` when absent and `partial` (PATCH), or the messages DRF
    /// gives: missing, null, blank after trimming, not a string, too long, NUL characters.
    pub fn clean(
        &self,
        data: &Map<String, Value>,
        partial: bool,
    ) -> Result<Option<String>, Vec<String>> {
        let raw = match data.get(self.name) {
            None if partial => return Ok(None),
            None => return Err(vec![REQUIRED.to_owned()]),
            Some(Value::Null) => return Err(vec![NULL.to_owned()]),
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => python_str(number),
            Some(Value::Bool(_) | Value::Array(_) | Value::Object(_)) => {
                return Err(vec![NOT_A_STRING.to_owned()]);
            }
        };
        let value = raw.trim_matches(is_python_space).to_owned();
        if value.is_empty() {
            return Err(vec![BLANK.to_owned()]);
        }
        let mut errors = Vec::new();
        if let Some(max) = self.max_length
            && value.chars().count() > max
        {
            errors.push(format!(
                "Ensure this field has no more than {max} characters."
            ));
        }
        if value.contains('\0') {
            errors.push(NULL_CHARACTER.to_owned());
        }
        if errors.is_empty() {
            Ok(Some(value))
        } else {
            Err(errors)
        }
    }
}

/// `{"field": ["message", ...], ...}`, keys in the order the fields were declared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    /// A body with one key and one message (`{"refresh":["..."]}`, `{"non_field_errors":[...]}`).
    pub fn single(field: &str, message: &str) -> FieldErrors {
        FieldErrors(vec![(field.to_owned(), vec![message.to_owned()])])
    }

    pub fn add(&mut self, field: &str, messages: Vec<String>) {
        self.0.push((field.to_owned(), messages));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Cleans every field, collecting all errors; `Ok` holds one value per field, in order.
    pub fn check(
        data: &Map<String, Value>,
        fields: &[CharField],
        partial: bool,
    ) -> Result<Vec<Option<String>>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            match field.clean(data, partial) {
                Ok(value) => values.push(value),
                Err(messages) => errors.add(field.name, messages),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, messages) in &self.0 {
            map.serialize_entry(field, messages)?;
        }
        map.end()
    }
}

/// What Python's `str()` gives for a JSON number: integers as is, floats as `repr`.
fn python_str(number: &serde_json::Number) -> String {
    if number.is_f64() {
        number
            .as_f64()
            .map_or_else(|| number.to_string(), python_float_repr)
    } else {
        number.to_string()
    }
}

/// Python's `repr(float)`: the shortest round-trip digits, positional when the decimal
/// exponent is in [-4, 16), scientific (`1e+16`, `1.5e-05`) otherwise.
fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        // Python's `nan`, `inf` and `-inf`. No request reaches this: serde_json refuses a
        // number outside f64's range, so every value read from JSON is finite.
        return value.to_string().to_ascii_lowercase();
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "-1.2345e17", "4.5e0".
    let formatted = format!("{value:e}");
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exponent) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        // Python writes the exponent's sign and at least two digits: `1e-05`, `1e+16`.
        return format!("{sign}{first}{fraction}e{exponent:+03}");
    }
    let point = exponent + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if digits.len() <= point {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
}

/// Python's `str.isspace`: Unicode White_Space plus the ASCII separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELD: CharField = CharField::new("field1").max_length(255);

    fn clean(value: Value) -> Result<Option<String>, Vec<String>> {
        let mut data = Map::new();
        data.insert("field1".into(), value);
        FIELD.clean(&data, false)
    }

    fn message(text: &str) -> Result<Option<String>, Vec<String>> {
        Err(vec![text.to_owned()])
    }

    #[test]
    fn strings_are_trimmed_like_python_strip() {
        assert_eq!(clean(json!("  a  ")), Ok(Some("a".into())));
        assert_eq!(clean(json!("\tb\n")), Ok(Some("b".into())));
        assert_eq!(clean(json!("\u{3000}c\u{1f}")), Ok(Some("c".into())));
        assert_eq!(clean(json!("héllo ☃")), Ok(Some("héllo ☃".into())));
    }

    #[test]
    fn missing_null_blank_and_wrong_types_give_drf_messages() {
        assert_eq!(FIELD.clean(&Map::new(), false), message(REQUIRED));
        assert_eq!(FIELD.clean(&Map::new(), true), Ok(None));
        assert_eq!(clean(Value::Null), message(NULL));
        assert_eq!(clean(json!("")), message(BLANK));
        assert_eq!(clean(json!(" \u{a0} ")), message(BLANK));
        for value in [json!(true), json!(false), json!({"a": 1}), json!([1])] {
            assert_eq!(clean(value), message(NOT_A_STRING));
        }
        assert_eq!(clean(json!("a\u{0}b")), message(NULL_CHARACTER));
    }

    #[test]
    fn length_counts_characters_after_trimming() {
        assert_eq!(clean(json!("é".repeat(255))), Ok(Some("é".repeat(255))));
        assert_eq!(
            clean(json!(format!(" {} ", "a".repeat(255)))),
            Ok(Some("a".repeat(255)))
        );
        assert_eq!(
            clean(json!("a".repeat(256))),
            message("Ensure this field has no more than 255 characters.")
        );
    }

    #[test]
    fn numbers_become_python_strings() {
        let cases = [
            (json!(123), "123"),
            (json!(-7), "-7"),
            (json!(4.5), "4.5"),
            (json!(1.0), "1.0"),
            (json!(0.1), "0.1"),
            (json!(1e16), "1e+16"),
            (json!(1e15), "1000000000000000.0"),
            (json!(123456789012345678.0), "1.2345678901234568e+17"),
            (json!(0.0001), "0.0001"),
            (json!(0.00001), "1e-05"),
            (json!(-1.5e-7), "-1.5e-07"),
            (json!(2.5e100), "2.5e+100"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                clean(value.clone()),
                Ok(Some(expected.to_owned())),
                "{value}"
            );
        }
    }

    #[test]
    fn non_finite_floats_are_spelled_as_python_does() {
        assert_eq!(python_float_repr(f64::INFINITY), "inf");
        assert_eq!(python_float_repr(f64::NEG_INFINITY), "-inf");
        assert_eq!(python_float_repr(f64::NAN), "nan");
    }

    #[test]
    fn errors_keep_declaration_order() {
        let fields = [CharField::new("username"), CharField::new("password")];
        let errors = FieldErrors::check(&Map::new(), &fields, false)
            .err()
            .unwrap_or_default();
        assert_eq!(
            serde_json::to_string(&errors).unwrap_or_default(),
            r#"{"username":["This field is required."],"password":["This field is required."]}"#
        );
    }
}
