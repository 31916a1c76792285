//! Log output off the request path: each line goes through a bounded queue to one thread that
//! writes the lines to stderr in batches, through a buffer, and flushes when the queue is empty.
//!
//! A request never waits for the terminal or the file behind stderr, nor for the lock every
//! direct writer to stderr takes: queueing a line is a copy and a lock-free send. When the
//! queue is full (stderr slower than the requests, for long) lines are dropped, counted, and
//! the count is written once the writer catches up.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting to be written before new ones are dropped.
const QUEUE_LINES: usize = 64 * 1024;
/// The writer thread's buffer: a batch of lines is one write to stderr.
const BUFFER_BYTES: usize = 64 * 1024;
/// How long [`FlushGuard`] waits, at exit, for the queued lines to be written.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

enum Message {
    Line(Vec<u8>),
    /// Write everything queued before this, then answer.
    Flush(mpsc::Sender<()>),
}

/// The `MakeWriter` of the log: cheap to clone, never blocks.
#[derive(Debug, Clone)]
pub struct NonBlocking {
    queue: SyncSender<Message>,
    dropped: Arc<AtomicU64>,
}

/// Flushes the queued lines when dropped (at the end of `main`), waiting up to two seconds.
#[derive(Debug)]
pub struct FlushGuard {
    queue: SyncSender<Message>,
}

/// A writer to stderr on its own thread, and the guard that flushes it at exit.
pub fn stderr() -> io::Result<(NonBlocking, FlushGuard)> {
    spawn(io::stderr())
}

/// As [`stderr`], to any writer (tests write to a buffer).
pub fn spawn<W: Write + Send + 'static>(out: W) -> io::Result<(NonBlocking, FlushGuard)> {
    let (queue, lines) = mpsc::sync_channel(QUEUE_LINES);
    let dropped = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&dropped);
    std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || write_lines(&lines, out, &counted))?;
    let guard = FlushGuard {
        queue: queue.clone(),
    };
    Ok((NonBlocking { queue, dropped }, guard))
}

fn write_lines<W: Write>(lines: &Receiver<Message>, out: W, dropped: &AtomicU64) {
    let mut out = BufWriter::with_capacity(BUFFER_BYTES, out);
    let mut reported = 0;
    // Errors writing the log have nowhere to be reported: they are ignored, as stderr's are.
    while let Ok(first) = lines.recv() {
        let mut acks = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line) => {
                    let _ = out.write_all(&line);
                }
                Message::Flush(ack) => acks.push(ack),
            }
            next = lines.try_recv().ok();
        }
        let now = dropped.load(Ordering::Relaxed);
        if now != reported {
            let _ = writeln!(
                out,
                "log-writer: {} log lines dropped: stderr could not keep up",
                now - reported
            );
            reported = now;
        }
        let _ = out.flush();
        for ack in acks {
            let _ = ack.send(());
        }
    }
}

impl NonBlocking {
    fn queue(&self, line: &[u8]) {
        match self.queue.try_send(Message::Line(line.to_vec())) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            // The writer thread is gone (only at exit): nothing more can be written.
            Err(TrySendError::Disconnected(_)) => {}
        }
    }
}

/// One event's writer: `tracing_subscriber::fmt` formats a whole line, then writes it at once.
#[derive(Debug)]
pub struct LineWriter<'a> {
    log: &'a NonBlocking,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.log.queue(buf);
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
    /// Waits until every line queued so far is written (at most two seconds).
    pub fn flush(&self) {
        let (ack, done) = mpsc::channel();
        if self.queue.send(Message::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(FLUSH_WAIT);
        }
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
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
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

    #[test]
    fn lines_arrive_in_order_once_flushed() {
        let out = Shared::default();
        let (log, guard) = spawn(out.clone()).unwrap_or_else(|err| panic!("{err}"));
        for i in 0..1000 {
            let _ = writeln!(log.make_writer(), "line {i}");
        }
        guard.flush();
        let written = out.0.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&written);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[999], "line 999");
    }
}
