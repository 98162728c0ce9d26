//! Guest stdout and stderr, written to the host's stderr with the request id
//! in front of every line: `[req 7f3a01c2] line`.

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
pub(crate) struct GuestOutput(pub(crate) CurrentRequest);

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        // Guests should not emit terminal escapes into a shared log.
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(LineWriter::new(self.0.clone()))
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(LineWriter::new(self.0.clone()))
    }
}

/// Writes guest bytes to stderr, starting every line with the prefix.
///
/// Writes are synchronous and whole (one `write_all` per guest write), so a
/// line printed just before a trap is not lost in a buffer.
struct LineWriter {
    request: CurrentRequest,
    at_line_start: bool,
}

impl LineWriter {
    fn new(request: CurrentRequest) -> Self {
        Self {
            request,
            at_line_start: true,
        }
    }

    fn write_prefixed(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let prefix = self.request.prefix();
        let out = prefix_lines(prefix.as_bytes(), &mut self.at_line_start, bytes);
        std::io::stderr().lock().write_all(&out)
    }
}

/// Copies `bytes`, putting `prefix` before every line start. A write may end
/// mid-line; `at_line_start` carries that over to the next write.
fn prefix_lines(prefix: &[u8], at_line_start: &mut bool, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + prefix.len());
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if *at_line_start {
            out.extend_from_slice(prefix);
        }
        out.extend_from_slice(line);
        *at_line_start = line.ends_with(b"\n");
    }
    out
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
        let mut start = true;
        let mut out = prefix_lines(b"> ", &mut start, b"one\ntw");
        out.extend(prefix_lines(b"> ", &mut start, b"o\n\nthree"));
        assert_eq!(String::from_utf8(out).unwrap(), "> one\n> two\n> \n> three");
        assert!(!start);
    }
}
