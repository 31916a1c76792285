//! HTTP plumbing of the fake: the body under its size limit, JSON and form parsing, DRF
//! `CharField` validation, and `Reply`, the one type every handler answers with.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{
    Response, StatusCode,
    body::{Body as _, Incoming},
    header,
};
use serde_json::{Map, Value, json};

use super::{App, Defect};

/// Bodies above this many bytes get a 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A response, before it becomes a hyper one in `App::respond`.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

/// A reply's body.
#[derive(Debug)]
pub enum Body {
    Empty,
    Json(Value),
    Html(&'static str),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Body::Json(body),
            headers: Vec::new(),
        }
    }

    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            body: Body::Empty,
            headers: Vec::new(),
        }
    }

    pub fn detail(status: u16, detail: &str) -> Self {
        Reply::json(status, json!({ "detail": detail }))
    }

    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// Why a body could not be read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over `BODY_LIMIT`.
    TooLarge,
    /// Broken framing (a bad chunk size).
    Malformed,
}

/// Request data: the fields of an object, or the kind of the JSON value that was not one.
#[derive(Debug)]
pub enum Data {
    Fields(Map<String, Value>),
    NotAnObject(&'static str),
}

/// How a field is validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A login or password: required.
    Credential,
    /// A token to check: required.
    Token,
    /// A resource field: at most 255 characters, `required` or not (PATCH).
    Resource { required: bool },
}

/// A field's refusal: DRF's message, or (a defect) a crash.
enum Invalid {
    Message(&'static str),
    Crash,
}

impl App {
    /// Reads the whole body. Past the limit it keeps reading (and drops what it reads), so that
    /// the 413 leaves the connection usable for the next request.
    pub async fn read_body(&self, mut body: Incoming) -> Result<Bytes, BodyError> {
        let mut kept = Vec::new();
        let mut too_large = false;
        // A chunked body has no exact size hint: only its bytes tell that it is too large.
        let limited =
            body.size_hint().exact().is_some() || !self.has(Defect::LimitFromContentLengthOnly);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Malformed)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let size = kept.len() + data.len();
            let over = if self.has(Defect::LimitRefusesItsOwnSize) {
                size >= BODY_LIMIT
            } else {
                size > BODY_LIMIT
            };
            if limited && over {
                too_large = true;
                kept = Vec::new();
                if self.has(Defect::OversizedBodyClosesConnection) {
                    break;
                }
            } else if !too_large {
                kept.extend_from_slice(&data);
            }
        }
        if too_large {
            Err(BodyError::TooLarge)
        } else {
            Ok(Bytes::from(kept))
        }
    }

    /// The request's data by its `Content-Type`; 413, 415 or a JSON parse error otherwise.
    pub fn parse(
        &self,
        content_type: Option<&str>,
        body: &Result<Bytes, BodyError>,
    ) -> Result<Data, Reply> {
        let bytes = match body {
            Ok(b) => b,
            Err(_) if self.has(Defect::OversizedBodyIs500) => {
                return Err(Reply::detail(500, "Server error."));
            }
            Err(_) if self.has(Defect::OversizedBodyClosesConnection) => {
                return Err(
                    Reply::detail(413, "Request body too large.").with("connection", "close")
                );
            }
            Err(_) => return Err(Reply::detail(413, "Request body too large.")),
        };
        let full_type = content_type.unwrap_or_default().trim();
        // The media type is what precedes the parameters; the defect compares the whole value.
        let media_type = if self.has(Defect::JsonWithCharsetIs415) {
            full_type.to_ascii_lowercase()
        } else {
            full_type
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        };
        // No data, whatever its type: the endpoint's field errors follow, not a 415.
        if bytes.is_empty() && !(self.has(Defect::EmptyTextBodyIs415) && media_type == "text/plain")
        {
            return Ok(Data::Fields(Map::new()));
        }
        match media_type.as_str() {
            "application/json" => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(m)) => Ok(Data::Fields(numbers_as_sent(bytes, m))),
                Ok(other) => Ok(Data::NotAnObject(kind(&other))),
                Err(_) if self.has(Defect::MalformedJsonIs500) => {
                    Err(Reply::detail(500, "Server error."))
                }
                Err(e) => Err(Reply::detail(400, &format!("JSON parse error - {e}"))),
            },
            "application/x-www-form-urlencoded" => Ok(Data::Fields(
                form_urlencoded::parse(bytes)
                    .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                    .collect(),
            )),
            "multipart/form-data" if self.has(Defect::MultipartFieldsDropped) => {
                Ok(Data::Fields(Map::new()))
            }
            _ => {
                let status = if self.has(Defect::UnsupportedMediaTypeIs400) {
                    400
                } else {
                    415
                };
                Err(Reply::detail(
                    status,
                    &format!("Unsupported media type \"{full_type}\" in request."),
                ))
            }
        }
    }

    /// Validates `fields` of `data` like DRF serializers do: every bad field gets its message,
    /// all in one 400. A field not required and absent is `None`.
    pub fn validate<const N: usize>(
        &self,
        data: &Data,
        fields: [(&str, Field); N],
    ) -> Result<[Option<String>; N], Reply> {
        let map = match data {
            Data::Fields(m) => m,
            // DRF words a null body's error for the whole body.
            Data::NotAnObject("NoneType") => {
                return Err(Reply::json(
                    400,
                    json!({"non_field_errors": ["No data provided"]}),
                ));
            }
            Data::NotAnObject(kind) => {
                return Err(Reply::json(
                    400,
                    json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]}),
                ));
            }
        };
        let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
        let mut errors = Map::new();
        for (slot, (name, field)) in values.iter_mut().zip(fields) {
            match self.char_field(map.get(name), field) {
                Ok(v) => *slot = v,
                Err(Invalid::Message(m)) => {
                    errors.insert(name.to_string(), json!([m]));
                }
                Err(Invalid::Crash) => return Err(Reply::detail(500, "Server error.")),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(Reply::json(400, Value::Object(errors)))
        }
    }

    /// DRF's `CharField`: numbers coerced, other non-strings refused, whitespace trimmed.
    fn char_field(&self, value: Option<&Value>, field: Field) -> Result<Option<String>, Invalid> {
        if field == Field::Token && self.has(Defect::TokenFieldNotValidated) {
            let token = value.and_then(Value::as_str).unwrap_or_default();
            return Ok(Some(token.to_string()));
        }
        let resource = matches!(field, Field::Resource { .. });
        let required = field != (Field::Resource { required: false });
        let text = match value {
            None if resource && required && self.has(Defect::MissingFieldsStoredEmpty) => {
                return Ok(Some(String::new()));
            }
            None if required => return Err(Invalid::Message("This field is required.")),
            None => return Ok(None),
            Some(v) if resource && !v.is_string() && self.has(Defect::AnyJsonValueStoredAsText) => {
                v.to_string()
            }
            Some(Value::Null) => return Err(Invalid::Message("This field may not be null.")),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) if self.has(Defect::NonStringFieldCrashes) => return Err(Invalid::Crash),
            Some(_) => return Err(Invalid::Message("Not a valid string.")),
        };
        if text.is_empty() && !(resource && self.has(Defect::BlankFieldsStored)) {
            return Err(Invalid::Message("This field may not be blank."));
        }
        if text.contains('\0') {
            return Err(if self.has(Defect::NulByteCrashes) {
                Invalid::Crash
            } else {
                Invalid::Message("Null characters are not allowed.")
            });
        }
        if resource && text.chars().count() > 255 && !self.has(Defect::NoLengthLimit) {
            return Err(Invalid::Message(
                "Ensure this field has no more than 255 characters.",
            ));
        }
        Ok(Some(text))
    }

    /// The hyper response; every 401 gets its Bearer challenge here.
    pub fn respond(&self, reply: Reply) -> Response<Full<Bytes>> {
        let mut builder = Response::builder().status(
            StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        );
        if reply.status == 401 && !self.has(Defect::UnauthorizedWithoutChallenge) {
            let token_refused = matches!(&reply.body, Body::Json(v) if v.get("code").is_some());
            let challenge = if self.has(Defect::ChallengeWithoutRealm) {
                "Bearer"
            } else if token_refused && self.has(Defect::ChallengeWithErrorCode) {
                "Bearer realm=\"api\", error=\"invalid_token\""
            } else {
                "Bearer realm=\"api\""
            };
            builder = builder.header(header::WWW_AUTHENTICATE, challenge);
        }
        for (name, value) in &reply.headers {
            builder = builder.header(*name, value);
        }
        let body = match reply.body {
            Body::Empty => Bytes::new(),
            Body::Json(v) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Bytes::from(v.to_string())
            }
            Body::Html(page) => {
                builder = builder.header(header::CONTENT_TYPE, "text/html; charset=utf-8");
                Bytes::from_static(page.as_bytes())
            }
        };
        builder
            .body(Full::new(body))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

/// Members that serde_json reads as floats (integers too big for 64 bits among them) as the
/// text they were sent with: Python reads any integer exactly, and the scenarios send floats
/// written as Python writes them.
fn numbers_as_sent(bytes: &[u8], mut map: Map<String, Value>) -> Map<String, Value> {
    let Ok(raw) = serde_json::from_slice::<
        std::collections::HashMap<String, &serde_json::value::RawValue>,
    >(bytes) else {
        return map;
    };
    for (name, value) in map.iter_mut() {
        if let (true, Some(text)) = (value.is_f64(), raw.get(name)) {
            *value = Value::String(text.get().to_string());
        }
    }
    map
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        _ => "NoneType",
    }
}
