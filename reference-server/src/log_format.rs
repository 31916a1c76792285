//! The log's line format. Text (the default): tracing-subscriber's full format for every event
//! but the access log, whose line (one per request) is written field by field without `Debug`
//! formatting or styles. JSON (`--log-format json`): every event as one JSON object per line,
//! written the same cheap way: `{"timestamp":…,"level":"INFO","target":…,"message":"request",
//! "method":"POST","path":"/verifytoken/","status":200,"latency_us":41}`.
//!
//! Measured with callgrind, the full format cost about 10,000 instructions per access line
//! (timestamp, a styled `name=value` per field through `Debug`), a sixth of a verify request;
//! this one costs a tenth of that. The line reads the same way:
//! `2026-01-02T03:04:05.678901Z  INFO reference_server::access: request method=POST
//! path=/verifytoken/ status=200 latency_us=41`.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The target of the access log's events: `RUST_LOG=reference_server::access=off` (or any
/// level above INFO) turns it off.
pub const ACCESS: &str = "reference_server::access";

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Style {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The event format of the binary's subscriber.
#[derive(Debug, Default)]
pub struct LogFormat {
    full: Format<Full>,
    style: Style,
}

impl LogFormat {
    /// The format of `style`.
    pub fn new(style: Style) -> LogFormat {
        LogFormat {
            full: Format::default(),
            style,
        }
    }
}

impl<S, N> FormatEvent<S, N> for LogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        if self.style == Style::Json {
            let mut line = String::with_capacity(192);
            push_json_event(&mut line, SystemTime::now(), metadata, |fields| {
                event.record(fields);
            });
            return writer.write_str(&line);
        }
        if metadata.target() != ACCESS || writer.has_ansi_escapes() {
            return self.full.format_event(ctx, writer, event);
        }
        let mut line = String::with_capacity(160);
        push_timestamp(&mut line, SystemTime::now());
        line.push_str(match *metadata.level() {
            Level::ERROR => " ERROR ",
            Level::WARN => "  WARN ",
            Level::INFO => "  INFO ",
            Level::DEBUG => " DEBUG ",
            Level::TRACE => " TRACE ",
        });
        line.push_str(ACCESS);
        line.push(':');
        event.record(&mut PlainFields { line: &mut line });
        line.push('\n');
        writer.write_str(&line)
    }
}

/// Fields as ` name=value`, the message bare.
struct PlainFields<'a> {
    line: &'a mut String,
}

impl PlainFields<'_> {
    fn name(&mut self, field: &Field) {
        self.line.push(' ');
        if field.name() != "message" {
            self.line.push_str(field.name());
            self.line.push('=');
        }
    }
}

impl Visit for PlainFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        self.line.push_str(value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        push_decimal(self.line, value, 1);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        let _ = write!(self.line, "{value:?}");
    }
}

/// One event as a JSON object and a newline: timestamp, level, target, then its fields in the
/// order they were recorded (`message` among them).
pub fn push_json_event(
    line: &mut String,
    now: SystemTime,
    metadata: &tracing::Metadata<'_>,
    record: impl FnOnce(&mut JsonFields<'_>),
) {
    line.push_str("{\"timestamp\":\"");
    push_timestamp(line, now);
    line.push_str("\",\"level\":\"");
    line.push_str(metadata.level().as_str());
    line.push_str("\",\"target\":");
    push_json_string(line, metadata.target());
    record(&mut JsonFields { line });
    line.push_str("}\n");
}

/// Fields as `,"name":value`: numbers and booleans bare, everything else a JSON string.
#[derive(Debug)]
pub struct JsonFields<'a> {
    line: &'a mut String,
}

impl JsonFields<'_> {
    fn name(&mut self, field: &Field) {
        self.line.push(',');
        push_json_string(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        push_json_string(self.line, value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        push_decimal(self.line, value, 1);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        if value < 0 {
            self.line.push('-');
        }
        push_decimal(self.line, value.unsigned_abs(), 1);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        self.line.push_str(if value { "true" } else { "false" });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        push_json_string(self.line, &text);
    }
}

/// `value` as a JSON string literal.
pub fn push_json_string(line: &mut String, value: &str) {
    line.push('"');
    for c in value.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(line, "\\u{:04x}", u32::from(c));
            }
            c => line.push(c),
        }
    }
    line.push('"');
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_decimal(line: &mut String, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len() - width.clamp(1, 20);
    let mut rest = value;
    let mut at = digits.len();
    while rest > 0 {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    start = start.min(at);
    if let Ok(text) = std::str::from_utf8(&digits[start..]) {
        line.push_str(text);
    }
}

/// `value`'s last `slot.len()` decimal digits, zero-padded, into `slot`.
fn put_digits(slot: &mut [u8], value: u64) {
    let mut rest = value;
    for digit in slot.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
}

/// RFC 3339 in UTC with microseconds, as tracing-subscriber's default timer writes it.
pub fn push_timestamp(line: &mut String, now: SystemTime) {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (year, month, day) = civil_from_days((seconds / 86_400) as i64);
    let time = seconds % 86_400;
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut text[0..4], year.clamp(0, 9999) as u64);
    put_digits(&mut text[5..7], u64::from(month));
    put_digits(&mut text[8..10], u64::from(day));
    put_digits(&mut text[11..13], time / 3600);
    put_digits(&mut text[14..16], time / 60 % 60);
    put_digits(&mut text[17..19], time % 60);
    put_digits(&mut text[20..26], u64::from(since.subsec_micros()));
    if let Ok(text) = std::str::from_utf8(&text) {
        line.push_str(text);
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let mut text = String::new();
        let at = UNIX_EPOCH + Duration::from_micros(1_767_323_045_678_901);
        push_timestamp(&mut text, at);
        assert_eq!(text, "2026-01-02T03:04:05.678901Z");
        text.clear();
        push_timestamp(&mut text, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(text, "2000-02-29T00:00:00.000000Z");
        text.clear();
        push_timestamp(&mut text, UNIX_EPOCH);
        assert_eq!(text, "1970-01-01T00:00:00.000000Z");
        text.clear();
        push_decimal(&mut text, 0, 1);
        push_decimal(&mut text, 18_446_744_073_709_551_615, 1);
        assert_eq!(text, "018446744073709551615");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut bytes) = self.0.lock() {
                bytes.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(event: impl FnOnce()) -> String {
        logged_as(Style::Text, event)
    }

    fn logged_as(style: Style, event: impl FnOnce()) -> String {
        let out = Captured::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .event_format(LogFormat::new(style))
            .finish();
        tracing::subscriber::with_default(subscriber, event);
        let bytes = out.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn access_lines_are_plain_name_value_pairs() {
        let line = logged(|| {
            tracing::info!(
                target: ACCESS,
                method = "POST",
                path = "/verifytoken/",
                status = 200u16,
                latency_us = 41u64,
                "request"
            );
        });
        let (timestamp, rest) = line.split_once(' ').unwrap_or_default();
        assert_eq!(
            timestamp.len(),
            "2026-01-02T03:04:05.678901Z".len(),
            "{line}"
        );
        assert_eq!(
            rest,
            " INFO reference_server::access: request method=POST path=/verifytoken/ status=200 latency_us=41\n"
        );
    }

    #[test]
    fn other_events_keep_the_full_format() {
        let line = logged(|| tracing::warn!(port = 1, "cannot listen"));
        assert!(line.contains(" WARN "), "{line}");
        assert!(line.contains("cannot listen port=1"), "{line}");
    }

    #[test]
    fn json_lines_are_one_object_each_with_typed_fields() {
        let text = logged_as(Style::Json, || {
            tracing::info!(
                target: ACCESS,
                method = "POST",
                path = "/verifytoken/",
                status = 200u16,
                latency_us = 41u64,
                "request"
            );
            tracing::warn!(port = -1i64, ok = false, "can't \"listen\"\n\u{1}");
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let access: serde_json::Value =
            serde_json::from_str(lines[0]).unwrap_or_else(|err| panic!("{err}: {}", lines[0]));
        assert_eq!(access["level"], "INFO");
        assert_eq!(access["target"], ACCESS);
        assert_eq!(access["message"], "request");
        assert_eq!(access["method"], "POST");
        assert_eq!(access["path"], "/verifytoken/");
        assert_eq!(access["status"], 200);
        assert_eq!(access["latency_us"], 41);
        assert_eq!(
            access["timestamp"].as_str().map(str::len),
            Some("2026-01-02T03:04:05.678901Z".len())
        );
        let other: serde_json::Value =
            serde_json::from_str(lines[1]).unwrap_or_else(|err| panic!("{err}: {}", lines[1]));
        assert_eq!(other["level"], "WARN");
        assert_eq!(other["message"], "can't \"listen\"\n\u{1}");
        assert_eq!(other["port"], -1);
        assert_eq!(other["ok"], false);
    }
}
