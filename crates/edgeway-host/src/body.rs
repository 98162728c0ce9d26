//! A response body that stops the component when the client goes away.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use hyper::body::{Body, Bytes, Frame, SizeHint};
use tokio::task::AbortHandle;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// Wraps the component's response body. If hyper drops it before its end
/// (the client disconnected), the task running the component is aborted,
/// which drops its store and every outbound request it holds: Spin's
/// `AbortOnDropBody`.
///
/// Unlike Spin's, it disarms once the body has ended, so a component that
/// does a little work after finishing its body (or an instance about to be
/// kept for reuse) is not cut off; that work is still bound by the deadline.
pub(crate) struct GuardedBody {
    inner: HyperOutgoingBody,
    abort: AbortHandle,
    /// Set once the body is known to be complete; `is_end_stream` takes
    /// `&self`, hence the atomic.
    ended: AtomicBool,
}

impl GuardedBody {
    /// Guards `inner` with the handle of the task running the component.
    pub(crate) fn new(inner: HyperOutgoingBody, abort: AbortHandle) -> Self {
        Self {
            inner,
            abort,
            ended: AtomicBool::new(false),
        }
    }
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.ended.store(true, Ordering::Relaxed);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        let ended = self.inner.is_end_stream();
        if ended {
            self.ended.store(true, Ordering::Relaxed);
        }
        ended
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for GuardedBody {
    fn drop(&mut self) {
        if !self.ended.load(Ordering::Relaxed) {
            self.abort.abort();
        }
    }
}
