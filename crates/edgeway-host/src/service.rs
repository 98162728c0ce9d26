//! Serving a `wasi:http@0.3` component (one exporting `wasi:http/handler@0.3.x`) the way
//! Spin 4.1 and `wasmtime serve` do: through wasmtime-wasi-http's `ProxyHandler`, which
//! runs every instance on a task of its own and hands it requests while its limits allow
//! (reused for up to 128 requests, up to 16 at once, kept 1 s when idle: [`InstanceReuse`]).
//!
//! What the local host adds, as for WASI 0.2 components:
//!
//! - Each request has the host's deadline (`--timeout`), counted from its dispatch: past it
//!   the client gets the `504` problem. The instance is dropped once even its most recent
//!   request is past its deadline, which also stops a guest that loops: the epoch callback
//!   of such an instance only yields (`state::new_shared_store`), so a busy guest gives the
//!   runtime a chance to drop it. Starting an instance is bounded by the timeout too.
//! - When the pool is full, a request that needs a new instance waits, as one for a fresh
//!   instance does (`pool_room`): it is offered again whenever a store of the pool is freed,
//!   and at least every [`RETRY`], so that an instance that becomes ready for more takes
//!   it. Still not taken by its deadline, it gets the `503` problem.
//! - A trap ends the instance: it is never reused, and every request in flight on it gets
//!   the `500` problem naming the trap (Spin answers a `500` with an empty body); the next
//!   requests go to other or new instances.
//! - Each linear memory of an instance is limited by `--max-memory`, for all the requests
//!   it serves together.
//!
//! [`InstanceReuse`]: crate::InstanceReuse

mod worker;

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use tokio::sync::oneshot;
use wasmtime::{Engine, Trap};
use wasmtime_wasi_http::WasiBody;
use wasmtime_wasi_http::handler::{
    ExpirationError, InstantiationError, ProxyHandler, ProxyPre, TrapOrPanicError,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;

use crate::guest_output::RequestId;
use crate::instance::Outcome;
use crate::pool_room::PoolRoom;
use crate::reuse::InstanceReuse;
use crate::state::{Shared, StoreData};
use worker::{Instances, PoolFull, Progress, Ticket, is_worker_timeout};

/// How long a request whose instance failed waits to be told why (the worker says so just
/// after it dropped the request).
const CAUSE_WAIT: Duration = Duration::from_secs(1);

/// A request no new instance could take for want of room is offered again after at most
/// this long (at once when a store of the pool is freed).
const RETRY: Duration = Duration::from_millis(20);

/// Serves requests with reused instances of one `wasi:http@0.3` component.
pub(crate) struct ServiceRunner {
    handler: ProxyHandler<Instances>,
    room: Arc<PoolRoom>,
    timeout: Duration,
}

/// The settings every instance of the runner is made with.
pub(crate) struct Settings {
    pub(crate) room: Arc<PoolRoom>,
    pub(crate) shared: Shared,
    pub(crate) max_memory_bytes: usize,
    pub(crate) timeout: Duration,
    pub(crate) reuse: InstanceReuse,
}

impl ServiceRunner {
    /// A runner for `pre`, built on `engine`.
    pub(crate) fn new(engine: Engine, pre: ServicePre<StoreData>, settings: Settings) -> Self {
        let timeout = settings.timeout;
        let room = settings.room.clone();
        let instances = Instances {
            engine,
            pre: ProxyPre::P3(pre),
            settings,
        };
        Self {
            handler: ProxyHandler::new(instances),
            room,
            timeout,
        }
    }

    /// The per-request wall-clock limit.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Answers `request`, which went to `authority` (the `Host` header), as request `id`:
    /// the component's response, whose body may still be streaming, or why there is none.
    pub(crate) async fn handle<B>(
        &self,
        id: &RequestId,
        authority: Authority,
        request: Request<B>,
    ) -> Result<Response<WasiBody>, Outcome>
    where
        B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let request = absolute(authority, request);
        let deadline = Instant::now() + self.timeout;
        let progress = Arc::new(Progress::default());
        let (ended, why) = oneshot::channel();
        let ticket = Ticket {
            id: id.clone(),
            deadline,
            progress: progress.clone(),
            ended,
        };
        let handled = self.offer(ticket, request);
        let error = match tokio::time::timeout_at(deadline.into(), handled).await {
            Ok(Ok(response)) => {
                progress.answered.store(true, Ordering::SeqCst);
                return Ok(response);
            }
            Ok(Err(error)) => error,
            // Not taken, and offered again for want of room: the pool stayed full.
            Err(_elapsed) if progress.waited_for_room.load(Ordering::SeqCst) => {
                return Err(Outcome::NoRoom);
            }
            Err(_elapsed) => return Err(Outcome::TimedOut),
        };
        Err(classify(error, why, deadline).await)
    }

    /// Hands the request to an instance, again and again while none has room for it.
    async fn offer(
        &self,
        mut ticket: Ticket,
        mut request: Request<WasiBody>,
    ) -> wasmtime::Result<Response<WasiBody>> {
        let progress = ticket.progress.clone();
        loop {
            let error = match self.handler.handle(ticket, request).await {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let full = error
                .downcast_ref::<InstantiationError<Ticket>>()
                .is_some_and(|failed| failed.error.is::<PoolFull>());
            if !full {
                return Err(error);
            }
            let failed = error.downcast::<InstantiationError<Ticket>>()?;
            ticket = failed.request_data;
            request = failed
                .request
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            progress.waited_for_room.store(true, Ordering::SeqCst);
            self.room.freed_within(RETRY).await;
        }
    }
}

/// The request as `wasi:http@0.3` reads it: scheme and authority in its URI (where Spin
/// puts them too), the body boxed.
fn absolute<B>(authority: Authority, request: Request<B>) -> Request<WasiBody>
where
    B: hyper::body::Body<Data = hyper::body::Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    use http_body_util::BodyExt;

    let (mut parts, body) = request.into_parts();
    let mut uri = std::mem::take(&mut parts.uri).into_parts();
    uri.scheme = Some(Scheme::HTTP);
    uri.authority = Some(authority);
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    // Scheme, authority and path are all set: nothing left to refuse.
    parts.uri = Uri::from_parts(uri).unwrap_or_default();
    Request::from_parts(parts, body.map_err(Into::into).boxed_unsync())
}

/// Why `handle` gave `error` instead of a response.
async fn classify(
    error: wasmtime::Error,
    why: oneshot::Receiver<Arc<wasmtime::Error>>,
    deadline: Instant,
) -> Outcome {
    if error.is::<ExpirationError>() {
        return Outcome::TimedOut;
    }
    if let Some(failed) = error.downcast_ref::<InstantiationError<Ticket>>() {
        return Outcome::NotStarted(wasmtime::Error::msg(format!("{:#}", failed.error)));
    }
    if let Some(code) = error.downcast_ref::<ErrorCode>() {
        return Outcome::ErrorCode(format!("{code:?}"));
    }
    let past_deadline = || Instant::now() >= deadline;
    if error.is::<TrapOrPanicError>() {
        // The instance failed while this request was in flight; its worker says why.
        return match tokio::time::timeout(CAUSE_WAIT, why).await {
            Ok(Ok(cause)) if is_worker_timeout(&cause) || past_deadline() => Outcome::TimedOut,
            Ok(Ok(cause)) => Outcome::InstanceFailed(cause),
            _ if past_deadline() => Outcome::TimedOut,
            _ => Outcome::InstanceFailed(Arc::new(error)),
        };
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Outcome::TimedOut,
        _ if past_deadline() => Outcome::TimedOut,
        _ => Outcome::Trapped(error),
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::Empty;
    use hyper::body::Bytes;

    use super::*;

    #[test]
    fn the_request_carries_scheme_and_authority() {
        let request = Request::get("/hello/ana?x=1")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let authority = Authority::from_static("localhost:3000");
        let request = absolute(authority, request);
        assert_eq!(request.uri(), "http://localhost:3000/hello/ana?x=1");
    }

    async fn outcome(error: wasmtime::Error, cause: Option<wasmtime::Error>) -> Outcome {
        let (ended, why) = oneshot::channel();
        if let Some(cause) = cause {
            ended.send(Arc::new(cause)).unwrap();
        }
        classify(error, why, Instant::now() + Duration::from_secs(30)).await
    }

    #[tokio::test]
    async fn failures_become_outcomes() {
        let expired = outcome(ExpirationError.into(), None).await;
        assert!(matches!(expired, Outcome::TimedOut), "{expired:?}");
        let code = outcome(ErrorCode::HttpRequestDenied.into(), None).await;
        assert!(
            matches!(&code, Outcome::ErrorCode(code) if code == "ErrorCode::HttpRequestDenied"),
            "{code:?}"
        );
        let interrupted = outcome(Trap::Interrupt.into(), None).await;
        assert!(matches!(interrupted, Outcome::TimedOut), "{interrupted:?}");
        let trapped = outcome(Trap::UnreachableCodeReached.into(), None).await;
        assert!(matches!(trapped, Outcome::Trapped(_)), "{trapped:?}");

        // The instance failed: its worker says why.
        let cause = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let failed = outcome(TrapOrPanicError.into(), Some(cause)).await;
        assert!(
            matches!(&failed, Outcome::InstanceFailed(e) if e.is::<Trap>()),
            "{failed:?}"
        );
        let cause = wasmtime::format_err!("guest timed out");
        let stopped = outcome(TrapOrPanicError.into(), Some(cause)).await;
        assert!(matches!(stopped, Outcome::TimedOut), "{stopped:?}");
        let unsaid = outcome(TrapOrPanicError.into(), None).await;
        assert!(matches!(unsaid, Outcome::InstanceFailed(_)), "{unsaid:?}");
    }
}
