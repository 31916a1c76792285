//! Log output off the request path: each line is appended to a shared buffer, and one thread
//! writes the buffer to stderr every 20 ms, in one write, then reuses it.
//!
//! A request never waits for the terminal or the file behind stderr, never takes the lock of
//! stderr, and never wakes a thread: appending a line is a short lock and a copy. (A queue
//! whose reader sleeps until a line comes costs a wake-up, a system call, for nearly every
//! line under load.) When stderr cannot keep up and the buffer holds 8 MiB, lines are dropped,
//! counted, and the count is written once the writer catches up. Lines reach stderr at most
//! 20 ms late; [`FlushGuard`] writes what is left at exit.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

use crate::log_format::{Style, push_json_string, push_timestamp};

/// How often the buffered lines are written.
const INTERVAL: Duration = Duration::from_millis(20);
/// Past this many buffered bytes, new lines are dropped.
const MAX_PENDING: usize = 8 * 1024 * 1024;

struct Shared {
    pending: Mutex<Vec<u8>>,
    /// Held while a batch is taken and written, so that batches keep their order.
    out: Mutex<Output>,
    dropped: AtomicU64,
}

struct Output {
    sink: Box<dyn Write + Send>,
    /// The previous batch's buffer, cleared: swapped in for the next one.
    spare: Vec<u8>,
    reported: u64,
    /// The notice of dropped lines is a log line too, in the log's style.
    style: Style,
}

impl Shared {
    fn append(&self, line: &[u8]) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if pending.len() + line.len() > MAX_PENDING {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            pending.extend_from_slice(line);
        }
    }

    /// Writes every line appended so far. Errors writing the log have nowhere to be
    /// reported: they are ignored, as stderr's are.
    fn flush(&self) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let Output {
            sink,
            spare,
            reported,
            style,
        } = &mut *out;
        std::mem::swap(
            &mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner),
            spare,
        );
        if !spare.is_empty() {
            let _ = sink.write_all(spare);
            spare.clear();
        }
        let dropped = self.dropped.load(Ordering::Relaxed);
        if dropped != *reported {
            let _ = sink.write_all(dropped_notice(*style, dropped - *reported).as_bytes());
            *reported = dropped;
        }
        let _ = sink.flush();
    }
}

/// The line that says how many lines were dropped.
fn dropped_notice(style: Style, count: u64) -> String {
    let message = format!("{count} log lines dropped: stderr could not keep up");
    match style {
        Style::Text => format!("log-writer: {message}\n"),
        Style::Json => {
            let mut line = String::from("{\"timestamp\":\"");
            push_timestamp(&mut line, std::time::SystemTime::now());
            line.push_str(
                "\",\"level\":\"WARN\",\"target\":\"reference_server::log_writer\",\"message\":",
            );
            push_json_string(&mut line, &message);
            line.push_str("}\n");
            line
        }
    }
}

/// The `MakeWriter` of the log: cheap to clone, never blocks on output.
#[derive(Clone)]
pub struct NonBlocking {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for NonBlocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonBlocking").finish_non_exhaustive()
    }
}

/// Writes the buffered lines when dropped (at the end of `main`).
pub struct FlushGuard {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FlushGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlushGuard").finish_non_exhaustive()
    }
}

/// A buffered writer to stderr with its own thread, and the guard that flushes it at exit.
pub fn stderr(style: Style) -> io::Result<(NonBlocking, FlushGuard)> {
    spawn_styled(io::stderr(), style)
}

/// As [`stderr`], to any writer (tests write to a buffer), text style.
pub fn spawn<W: Write + Send + 'static>(sink: W) -> io::Result<(NonBlocking, FlushGuard)> {
    spawn_styled(sink, Style::Text)
}

/// As [`spawn`], with the notice of dropped lines in `style`.
pub fn spawn_styled<W: Write + Send + 'static>(
    sink: W,
    style: Style,
) -> io::Result<(NonBlocking, FlushGuard)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Vec::with_capacity(64 * 1024)),
        out: Mutex::new(Output {
            sink: Box::new(sink),
            spare: Vec::with_capacity(64 * 1024),
            reported: 0,
            style,
        }),
        dropped: AtomicU64::new(0),
    });
    let writer = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            loop {
                std::thread::sleep(INTERVAL);
                writer.flush();
            }
        })?;
    let guard = FlushGuard {
        shared: Arc::clone(&shared),
    };
    Ok((NonBlocking { shared }, guard))
}

/// One event's writer: `tracing_subscriber::fmt` formats a whole line, then writes it at once.
#[derive(Debug)]
pub struct LineWriter<'a> {
    log: &'a NonBlocking,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.log.shared.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for NonBlocking {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter { log: self }
    }
}

impl FlushGuard {
    /// Writes every line buffered so far, now.
    pub fn flush(&self) {
        self.shared.flush();
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Ok(mut bytes) = self.0.lock() {
                bytes.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn written(out: &Captured) -> String {
        let bytes = out.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn lines_arrive_in_order_once_flushed() {
        let out = Captured::default();
        let (log, guard) = spawn(out.clone()).unwrap_or_else(|err| panic!("{err}"));
        for i in 0..1000 {
            let _ = writeln!(log.make_writer(), "line {i}");
        }
        guard.flush();
        let text = written(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[999], "line 999");
    }

    #[test]
    fn the_writer_thread_writes_without_being_asked() {
        let out = Captured::default();
        let (log, _guard) = spawn(out.clone()).unwrap_or_else(|err| panic!("{err}"));
        let _ = writeln!(log.make_writer(), "listening");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while written(&out).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(INTERVAL);
        }
        assert_eq!(written(&out), "listening\n");
    }

    #[test]
    fn lines_past_the_limit_are_dropped_and_counted() {
        let out = Captured::default();
        let (log, guard) = spawn(out.clone()).unwrap_or_else(|err| panic!("{err}"));
        let big = vec![b'x'; MAX_PENDING];
        // The writer thread waits for this before it takes the buffer.
        let writing = log
            .shared
            .out
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut pending = log
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pending.extend_from_slice(&big);
        drop(pending);
        let _ = writeln!(log.make_writer(), "lost");
        drop(writing);
        guard.flush();
        let text = written(&out);
        assert!(!text.contains("lost"));
        assert!(text.ends_with("log-writer: 1 log lines dropped: stderr could not keep up\n"));
    }
}
