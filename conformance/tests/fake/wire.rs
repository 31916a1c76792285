//! The byte stream under hyper. It passes everything through untouched, except for two defects
//! that hyper itself will not commit: `BodyOn204` (hyper sends no body on a 204, so each 204
//! response head is rewritten on its way out) and `MalformedRequestsDropped` (hyper answers an
//! unparsable request with 400, so the connection is ended before hyper sees it).

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};

/// What source document 000 shows after its DELETE 204.
const BODY: &str = r#"{"detail": "Resource deleted successfully."}"#;

/// A connection, with the wire-level defects it was given.
#[derive(Debug)]
pub struct Wire {
    stream: TcpStream,
    body_on_204: bool,
    /// Whether the first read is still to be looked at (`MalformedRequestsDropped`).
    vet_first_read: bool,
    /// Rewritten bytes not yet on the socket.
    pending: Vec<u8>,
}

impl Wire {
    pub fn new(stream: TcpStream, body_on_204: bool, drop_malformed: bool) -> Self {
        Wire {
            stream,
            body_on_204,
            vet_first_read: drop_malformed,
            pending: Vec::new(),
        }
    }
}

/// A rough look at a request head: `METHOD target HTTP/1.x`, then `Name: value` lines, a
/// numeric Content-Length. Good enough for a first read that holds the whole head.
fn looks_parsable(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let request_line: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let request_line_ok = matches!(request_line[..], [method, _, version]
        if !method.is_empty()
            && method.bytes().all(|b| b.is_ascii_uppercase())
            && version.starts_with("HTTP/1."));
    request_line_ok
        && lines.all(|line| match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                value.trim().parse::<u64>().is_ok()
            }
            Some(_) => true,
            None => false,
        })
}

/// `bytes` with a Content-Type, a Content-Length and `BODY` added if they start a 204 response.
fn with_body_on_204(bytes: &[u8]) -> Vec<u8> {
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n");
    match head_end {
        Some(end) if bytes.starts_with(b"HTTP/1.1 204") => {
            let mut out = bytes[..end + 2].to_vec();
            out.extend_from_slice(
                format!(
                    "content-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                    BODY.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&bytes[end + 4..]);
            out
        }
        _ => bytes.to_vec(),
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        if std::mem::take(&mut this.vet_first_read) && !looks_parsable(&buf.filled()[before..]) {
            // Nothing read is an end of stream: hyper closes without a word.
            buf.set_filled(before);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Wire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if !this.body_on_204 {
            return Pin::new(&mut this.stream).poll_write(cx, buf);
        }
        // hyper writes each response head in one piece, and flushes after it.
        this.pending.extend_from_slice(&with_body_on_204(buf));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while !this.pending.is_empty() {
            let n = ready!(Pin::new(&mut this.stream).poll_write(cx, &this.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.pending.drain(..n);
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
