//! Guest stdout and stderr, written to the host's stderr with the request id
//! in front of every line: `[req 7f3a01c2] line`; with [`LogFormat::Human`], the
//! gateway's access-log lines are rendered for a person instead.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use hyper::body::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::access_log::{LogFormat, render};

/// A short id for one request, used in logs and problem documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestId(String);

impl RequestId {
    /// A new id: 8 hex digits, unlikely to repeat within a run and different
    /// between runs (the process's random hasher keys mix in).
    pub(crate) fn next() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        static KEYS: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let hash = KEYS.get_or_init(RandomState::new).hash_one(n);
        Self(format!("{:08x}", hash as u32))
    }

    /// The id as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[req {}]", self.0)
    }
}

/// The request an instance is serving now. Shared by its output streams, so
/// an instance reused for several requests labels each line correctly.
#[derive(Debug, Clone, Default)]
pub(crate) struct CurrentRequest(Arc<Mutex<Option<RequestId>>>);

impl CurrentRequest {
    /// Records the request the instance starts serving.
    pub(crate) fn set(&self, id: RequestId) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(id);
    }

    /// The line prefix for the current request, e.g. `[req 7f3a01c2] `.
    pub(crate) fn prefix(&self) -> String {
        match &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(id) => format!("{id} "),
            None => "[instantiating] ".to_owned(),
        }
    }
}

/// A guest output (stdout or stderr) that prefixes lines; a `StdoutStream`
/// for `WasiCtxBuilder::stdout` / `stderr`.
pub(crate) struct GuestOutput(pub(crate) CurrentRequest, pub(crate) LogFormat);

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        // Guests should not emit terminal escapes into a shared log.
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(LineWriter::new(self.0.clone(), self.1))
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineWriter::new(self.0.clone(), self.1))
    }
}

/// Writes guest bytes to stderr, starting every line with the prefix.
///
/// Writes are synchronous and whole (one `write_all` per guest write), so a
/// line printed just before a trap is not lost in a buffer. Only in the human
/// format is a line that starts with `{` held until its end (it may be an
/// access-log record to render); what is held when the instance goes is written
/// then.
struct LineWriter {
    request: CurrentRequest,
    lines: Lines,
}

impl LineWriter {
    fn new(request: CurrentRequest, format: LogFormat) -> Self {
        Self {
            request,
            lines: Lines::new(format),
        }
    }

    fn write_prefixed(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let prefix = self.request.prefix();
        let out = self.lines.push(prefix.as_bytes(), bytes);
        std::io::stderr().lock().write_all(&out)
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let out = self.lines.finish(self.request.prefix().as_bytes());
        // Nowhere to report a failed write to stderr.
        let _ = std::io::stderr().lock().write_all(&out);
    }
}

/// Splits a guest's output into lines and labels them; a write may end mid-line.
struct Lines {
    /// `Some(color)` in the human format.
    human: Option<bool>,
    at_line_start: bool,
    /// Human format: the start of a line that may be an access-log record.
    held: Vec<u8>,
}

impl Lines {
    fn new(format: LogFormat) -> Self {
        Self {
            human: match format {
                LogFormat::Json => None,
                LogFormat::Human { color } => Some(color),
            },
            at_line_start: true,
            held: Vec::new(),
        }
    }

    /// What to write for `bytes`: `prefix` before every line start, and in the
    /// human format access-log records rendered (without the prefix).
    fn push(&mut self, prefix: &[u8], bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len() + prefix.len());
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let holding = !self.held.is_empty()
                || (self.at_line_start && line.starts_with(b"{") && self.human.is_some());
            if holding {
                self.held.extend_from_slice(line);
                if line.ends_with(b"\n") {
                    let held = std::mem::take(&mut self.held);
                    self.render_held(prefix, &held, &mut out);
                }
                continue;
            }
            if self.at_line_start {
                out.extend_from_slice(prefix);
            }
            out.extend_from_slice(line);
            self.at_line_start = line.ends_with(b"\n");
        }
        out
    }

    /// Whatever is still held, written as plain output.
    fn finish(&mut self, prefix: &[u8]) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        if held.is_empty() {
            return held;
        }
        [prefix, &held].concat()
    }

    /// Writes the whole line `held`: rendered if it is an access-log record, else prefixed.
    fn render_held(&mut self, prefix: &[u8], held: &[u8], out: &mut Vec<u8>) {
        let color = self.human.unwrap_or(false);
        let line = std::str::from_utf8(held).ok();
        match line.and_then(|line| render(line, color)) {
            Some(rendered) => {
                out.extend_from_slice(rendered.as_bytes());
                out.push(b'\n');
            }
            None => {
                out.extend_from_slice(prefix);
                out.extend_from_slice(held);
            }
        }
        self.at_line_start = true;
    }
}

impl OutputStream for LineWriter {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.write_prefixed(&bytes)
            .map_err(|e| wasmtime_wasi::p2::StreamError::LastOperationFailed(e.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Writes go straight to stderr: any size is fine right now.
        Ok(1024 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LineWriter {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for LineWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.write_prefixed(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_hex_and_distinct() {
        let a = RequestId::next();
        let b = RequestId::next();
        assert_eq!(a.as_str().len(), 8);
        assert!(a.as_str().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(a.to_string(), format!("[req {}]", a.as_str()));
    }

    #[test]
    fn every_line_gets_the_prefix_once() {
        let mut lines = Lines::new(LogFormat::Json);
        let mut out = lines.push(b"> ", b"one\ntw");
        out.extend(lines.push(b"> ", b"o\n\nthree"));
        assert_eq!(String::from_utf8(out).unwrap(), "> one\n> two\n> \n> three");
        assert!(!lines.at_line_start);
        assert!(lines.finish(b"> ").is_empty());
    }

    const RECORD: &str = r#"{"time":"2026-01-01T00:00:00.000000Z","request_id":"r1","method":"GET","path":"/hello","route":"/hello","handler":"greet","status":200,"duration_us":1500,"request_bytes":0,"response_bytes":27,"client_addr":"127.0.0.1:5000"}"#;

    #[test]
    fn json_format_keeps_records_as_they_are() {
        let mut lines = Lines::new(LogFormat::Json);
        let out = lines.push(b"> ", format!("{RECORD}\n").as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), format!("> {RECORD}\n"));
    }

    #[test]
    fn human_format_renders_records_and_prefixes_the_rest() {
        let mut lines = Lines::new(LogFormat::Human { color: false });
        let (head, tail) = RECORD.split_at(40);
        let mut out = lines.push(b"> ", b"starting\n{\"not\": \"a record\"}\n");
        // A record may come in pieces: it is held until its line ends.
        out.extend(lines.push(b"> ", head.as_bytes()));
        out.extend(lines.push(b"> ", tail.as_bytes()));
        out.extend(lines.push(b"> ", b"\ndone"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "> starting\n> {\"not\": \"a record\"}\n\
             GET /hello 200 1.5ms greet\n\
             > done"
        );
    }

    #[test]
    fn human_format_writes_a_held_line_when_the_instance_goes() {
        let mut lines = Lines::new(LogFormat::Human { color: false });
        assert!(lines.push(b"> ", b"{\"partial\":").is_empty());
        assert_eq!(lines.finish(b"> "), b"> {\"partial\":");
    }
}
