//! Request bodies: reading them under the size limit, and decoding JSON, form and multipart
//! data the way DRF's parsers do.

use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_util::{FutureExt as _, Stream, StreamExt};
use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use warp::http::HeaderMap;
use warp::http::header::{CONTENT_LENGTH, CONTENT_TYPE, EXPECT};

use crate::error::ApiError;

/// Past the limit the rest of a body is read and thrown away, up to this many more bytes,
/// so the connection stays usable for the next request; beyond it the connection is given up.
const DRAIN_ALLOWANCE: u64 = 16 * 1024 * 1024;

/// A request body as read off the wire, before anyone looked at it.
#[derive(Debug, Clone)]
pub enum RawBody {
    Complete(Bytes),
    /// Over the limit (`limit` bytes).
    TooLarge {
        limit: u64,
    },
    /// The stream broke (truncated chunked encoding and the like).
    Broken,
    /// The body did not arrive within the body read timeout.
    TimedOut,
}

/// Field name → value, as a DRF serializer sees `request.data`.
pub type FormData = Map<String, Value>;

/// The body length a request declares in `Content-Length`, if it is a number.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
}

/// Whether the client waits for `100 Continue` before sending its body.
pub fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Reads the whole body within `within`, keeping at most `limit` bytes. A body declared over
/// the limit by a client that waits for `100 Continue` is not read at all: not polling it is
/// what keeps the server from sending the 100 (CONTRACT.md HTTP-11).
pub async fn read<S, B, E>(headers: &HeaderMap, stream: S, limit: u64, within: Duration) -> RawBody
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
    E: std::fmt::Display,
{
    let mut reading = std::pin::pin!(read_all(headers, stream, limit));
    // A small body usually came in with the headers: then it is read without arming a timer
    // (each costs a lock of the runtime's timer wheel, twice per request).
    if let Some(body) = (&mut reading).now_or_never() {
        return body;
    }
    tokio::time::timeout(within, reading)
        .await
        .unwrap_or_else(|_| {
            tracing::debug!("request body not received within {within:?}");
            RawBody::TimedOut
        })
}

async fn read_all<S, B, E>(headers: &HeaderMap, stream: S, limit: u64) -> RawBody
where
    S: Stream<Item = Result<B, E>>,
    B: Buf,
    E: std::fmt::Display,
{
    let declared = declared_length(headers);
    let give_up_after = limit.saturating_add(DRAIN_ALLOWANCE);
    let over_limit = declared.is_some_and(|length| length > limit);
    if over_limit && expects_continue(headers)
        || declared.is_some_and(|length| length > give_up_after)
    {
        // Not worth draining: answering unread closes the connection after the reply.
        return RawBody::TooLarge { limit };
    }
    let mut over_limit = over_limit;
    let mut seen: u64 = 0;
    // Most bodies arrive in one chunk: that chunk is kept as it came, not copied; a second
    // chunk starts the copy.
    let mut first: Option<Bytes> = None;
    let mut kept = BytesMut::new();
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.next().await {
        let mut chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                tracing::debug!(error = %err, "request body could not be read");
                return RawBody::Broken;
            }
        };
        seen = seen.saturating_add(chunk.remaining() as u64);
        if seen > limit {
            over_limit = true;
        }
        if over_limit {
            first = None;
            kept.clear();
            if seen > give_up_after {
                break;
            }
            chunk.advance(chunk.remaining());
        } else if first.is_none() && kept.is_empty() {
            first = Some(chunk.copy_to_bytes(chunk.remaining()));
        } else {
            if let Some(first) = first.take() {
                kept.extend_from_slice(&first);
            }
            while chunk.has_remaining() {
                let piece = chunk.chunk();
                kept.extend_from_slice(piece);
                let read = piece.len();
                chunk.advance(read);
            }
        }
    }
    if over_limit {
        RawBody::TooLarge { limit }
    } else {
        RawBody::Complete(first.unwrap_or_else(|| kept.freeze()))
    }
}

/// Decodes a body as DRF does: an empty body, or one without a Content-Type, is no data;
/// JSON must be an object; form and multipart give strings; any other type is a 415.
pub async fn decode(headers: &HeaderMap, body: &RawBody) -> Result<FormData, ApiError> {
    let bytes = match body {
        RawBody::Complete(bytes) => bytes,
        RawBody::TooLarge { limit } => return Err(ApiError::PayloadTooLarge { limit: *limit }),
        RawBody::Broken => return Err(ApiError::MalformedBody),
        RawBody::TimedOut => return Err(ApiError::BodyTimeout),
    };
    let Some(content_type) = headers.get(CONTENT_TYPE) else {
        return Ok(FormData::new());
    };
    if bytes.is_empty() {
        return Ok(FormData::new());
    }
    let media_type = content_type
        .as_bytes()
        .split(|&byte| byte == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let is = |name: &str| media_type.eq_ignore_ascii_case(name.as_bytes());
    let content_type = || String::from_utf8_lossy(content_type.as_bytes()).into_owned();
    if is("application/json") {
        decode_json(bytes)
    } else if is("application/x-www-form-urlencoded") {
        Ok(decode_form(bytes))
    } else if is("multipart/form-data") {
        // Boxed: multipart's parser makes the largest future of any body, and every handler's
        // future would otherwise be that large, copied on each request whatever its body.
        Box::pin(decode_multipart(&content_type(), bytes.clone())).await
    } else {
        // DRF names the Content-Type as the client sent it, parameters included.
        Err(ApiError::UnsupportedMediaType(
            content_type().trim().to_string(),
        ))
    }
}

fn decode_json(bytes: &[u8]) -> Result<FormData, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(keep_big_integers(bytes, map)),
        Ok(Value::Null) => Err(ApiError::NoData),
        Ok(other) => Err(ApiError::NotADictionary(python_type_name(&other))),
        Err(err) => Err(ApiError::ParseError(format!("JSON parse error - {err}"))),
    }
}

/// Python reads a JSON integer of any size exactly; serde_json turns one beyond 64 bits into
/// a float. Such members are read again from their text and kept as their digits, which is
/// what DRF's `CharField` makes of a Python int (`str(18446744073709551616)`).
fn keep_big_integers(bytes: &[u8], mut map: FormData) -> FormData {
    let has_float = map
        .values()
        .any(|value| matches!(value, Value::Number(number) if number.is_f64()));
    if !has_float {
        return map;
    }
    let Ok(raw) = serde_json::from_slice::<HashMap<String, &RawValue>>(bytes) else {
        return map;
    };
    for (name, value) in map.iter_mut() {
        if let (Value::Number(number), Some(text)) = (&*value, raw.get(name).map(|raw| raw.get()))
            && number.is_f64()
            && let Some(digits) = python_int(text)
        {
            *value = Value::String(digits);
        }
    }
    map
}

/// `str(int(text))` when `text` is a JSON integer literal (no fraction, no exponent).
fn python_int(text: &str) -> Option<String> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    if digits.bytes().all(|byte| byte == b'0') {
        return Some("0".to_owned());
    }
    Some(text.to_owned())
}

/// Repeated keys keep the last value, as Django's `QueryDict.get` does.
fn decode_form(bytes: &[u8]) -> FormData {
    if bytes.contains(&b'%') || bytes.contains(&b'+') {
        return form_urlencoded::parse(bytes)
            .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
            .collect();
    }
    // Nothing to decode (a token never needs it): the same pairs as `form_urlencoded::parse`
    // gives, without its byte-at-a-time decoding.
    bytes
        .split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&byte| byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let text = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
            (text(key), Value::String(text(value)))
        })
        .collect()
}

async fn decode_multipart(content_type: &str, bytes: Bytes) -> Result<FormData, ApiError> {
    let parse_error =
        |err: multer::Error| ApiError::ParseError(format!("Multipart form parse error - {err}"));
    let boundary = multer::parse_boundary(content_type).map_err(parse_error)?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut data = FormData::new();
    while let Some(field) = multipart.next_field().await.map_err(parse_error)? {
        // Uploaded files land in `request.FILES` in DRF, never in the string fields.
        if field.file_name().is_some() {
            continue;
        }
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        let text = field.text().await.map_err(parse_error)?;
        data.insert(name, Value::String(text));
    }
    Ok(data)
}

/// The Python type DRF names in "Expected a dictionary, but got <type>."
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Null => "NoneType",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn typed(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, value);
        }
        headers
    }

    async fn decoded(content_type: &str, body: &str) -> Result<FormData, ApiError> {
        decode(
            &typed(content_type),
            &RawBody::Complete(Bytes::from(body.to_owned())),
        )
        .await
    }

    fn chunks(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|part| Ok(Bytes::from_static(part.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    const LONG: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn a_body_that_does_not_arrive_in_time_is_given_up() {
        let never = futures_util::stream::pending::<Result<Bytes, std::io::Error>>();
        let body = read(&HeaderMap::new(), never, 5, Duration::from_millis(10)).await;
        assert!(matches!(body, RawBody::TimedOut));
    }

    #[tokio::test]
    async fn reading_stops_keeping_bytes_past_the_limit() {
        let body = read(&HeaderMap::new(), chunks(&["abc", "de"]), 5, LONG).await;
        assert!(matches!(body, RawBody::Complete(ref bytes) if bytes.as_ref() == b"abcde"));
        let body = read(&HeaderMap::new(), chunks(&["abc", "def"]), 5, LONG).await;
        assert!(matches!(body, RawBody::TooLarge { limit: 5 }));
        let mut declared = HeaderMap::new();
        declared.insert(CONTENT_LENGTH, HeaderValue::from_static("999999999"));
        let body = read(&declared, chunks(&[]), 5, LONG).await;
        assert!(matches!(body, RawBody::TooLarge { limit: 5 }));
        let broken =
            futures_util::stream::iter(vec![Err::<Bytes, _>(std::io::Error::other("cut"))]);
        assert!(matches!(
            read(&HeaderMap::new(), broken, 5, LONG).await,
            RawBody::Broken
        ));
    }

    #[tokio::test]
    async fn a_body_in_any_number_of_chunks_is_kept_whole() {
        for parts in [
            &["abcde"][..],
            &["", "abcde"],
            &["ab", "cde"],
            &["a", "", "bc", "de"],
        ] {
            let body = read(&HeaderMap::new(), chunks(parts), 5, LONG).await;
            assert!(
                matches!(body, RawBody::Complete(ref bytes) if bytes.as_ref() == b"abcde"),
                "{parts:?}: {body:?}"
            );
        }
        let body = read(&HeaderMap::new(), chunks(&["abcdef", "g"]), 5, LONG).await;
        assert!(matches!(body, RawBody::TooLarge { limit: 5 }), "{body:?}");
        let body = read(&HeaderMap::new(), chunks(&[]), 5, LONG).await;
        assert!(matches!(body, RawBody::Complete(ref bytes) if bytes.is_empty()));
    }

    #[tokio::test]
    async fn integers_beyond_64_bits_keep_their_digits() {
        let data = decoded(
            "application/json",
            r#"{"a":18446744073709551616,"b":-99999999999999999999999,"c":1e2,"d":1.5,"e":-0,"f":18446744073709551615,"a2":[18446744073709551616]}"#,
        )
        .await
        .unwrap_or_default();
        assert_eq!(data["a"], Value::from("18446744073709551616"));
        assert_eq!(data["b"], Value::from("-99999999999999999999999"));
        assert_eq!(data["c"], Value::from(100.0));
        assert_eq!(data["d"], Value::from(1.5));
        // Python reads -0 as the int 0.
        assert!(data["e"] == 0 || data["e"] == "0", "{}", data["e"]);
        assert_eq!(data["f"], Value::from(u64::MAX));
        assert!(data["a2"].is_array());
    }

    #[tokio::test]
    async fn json_form_and_multipart_give_the_same_data() {
        let json = decoded("application/json", r#"{"username":"a","password":"b"}"#).await;
        let form = decoded(
            "application/x-www-form-urlencoded; charset=utf-8",
            "username=a&password=b",
        )
        .await;
        let multipart = decoded(
            "multipart/form-data; boundary=XX",
            "--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\na\r\n--XX\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nb\r\n--XX--\r\n",
        )
        .await;
        for data in [json, form, multipart] {
            let data = data.unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(data.get("username"), Some(&Value::from("a")));
            assert_eq!(data.get("password"), Some(&Value::from("b")));
        }
    }

    #[test]
    fn forms_without_escapes_read_as_form_urlencoded_reads_them() {
        let bodies: [&[u8]; 8] = [
            b"token=eyJ.a-b_c.d",
            b"a=1&b=2&a=3",
            b"&&a&=x&b==y&",
            b"=",
            b"caf\xc3\xa9=\xff",
            b"a=1%262&b=x+y",
            b"",
            b"k",
        ];
        for body in bodies {
            let expected: FormData = form_urlencoded::parse(body)
                .map(|(key, value)| (key.into_owned(), Value::String(value.into_owned())))
                .collect();
            assert_eq!(decode_form(body), expected, "{body:?}");
        }
    }

    #[tokio::test]
    async fn empty_or_untyped_bodies_are_no_data() {
        assert_eq!(decoded("text/plain", "").await.ok(), Some(FormData::new()));
        let untyped = decode(
            &HeaderMap::new(),
            &RawBody::Complete(Bytes::from_static(b"x=1")),
        )
        .await;
        assert_eq!(untyped.ok(), Some(FormData::new()));
    }

    #[tokio::test]
    async fn bad_bodies_give_drf_errors() {
        assert!(matches!(
            decoded("Text/Plain; charset=utf-8", "x").await,
            Err(ApiError::UnsupportedMediaType(ref t)) if t == "Text/Plain; charset=utf-8"
        ));
        assert!(matches!(
            decoded("application/json", r#"{"a":"#).await,
            Err(ApiError::ParseError(ref m)) if m.starts_with("JSON parse error - ")
        ));
        assert!(matches!(
            decoded("application/json", "\u{ff}").await,
            Err(ApiError::ParseError(_))
        ));
        for (body, name) in [
            ("[]", "list"),
            ("\"x\"", "str"),
            ("1", "int"),
            ("1.5", "float"),
            ("true", "bool"),
        ] {
            assert!(
                matches!(decoded("application/json", body).await, Err(ApiError::NotADictionary(n)) if n == name),
                "{body}"
            );
        }
        assert!(matches!(
            decoded("application/json", "null").await,
            Err(ApiError::NoData)
        ));
        assert!(matches!(
            decoded("multipart/form-data", "--XX--").await,
            Err(ApiError::ParseError(ref m)) if m.starts_with("Multipart form parse error - ")
        ));
    }
}
