//! Serving a `wasi:http@0.3` component (one exporting `wasi:http/handler@0.3.x`) the way
//! Spin 4.1 and `wasmtime serve` do: through wasmtime-wasi-http's `ProxyHandler`, which
//! runs every instance on a task of its own and hands it requests while [`Limits`] allow
//! (reused for up to 128 requests, up to 16 at once, kept 1 s when idle: [`InstanceReuse`]).
//!
//! What the local host adds, as for WASI 0.2 components:
//!
//! - Each request has the host's deadline (`--timeout`), counted from its dispatch: past it
//!   the client gets the `504` problem. The instance is dropped once even its most recent
//!   request is past its deadline, which also stops a guest that loops: the epoch callback
//!   of such an instance only yields ([`new_shared_store`]), so a busy guest gives the
//!   runtime a chance to drop it.
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

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{Request, Response, Uri};
use tokio::sync::oneshot;
use tokio::time::Sleep;
use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut, Trap};
use wasmtime_wasi_http::handler::{
    ExpirationError, HandlerState, Instance, InstantiationError, ProxyHandler, ProxyPre,
    ShouldAccept, TrapOrPanicError, WorkerExpiration, WorkerState, WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

use crate::guest_output::{CurrentRequest, RequestId};
use crate::instance::Outcome;
use crate::pool_room::{Attempt, PoolRoom, StoreToken};
use crate::reuse::{InstanceReuse, Limits};
use crate::state::{Shared, StoreData, new_shared_store};

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
            Err(_elapsed) if progress.taken.load(Ordering::SeqCst) => {
                return Err(Outcome::TimedOut);
            }
            Err(_elapsed) => return Err(Outcome::NoRoom),
        };
        Err(classify(error, why, deadline).await)
    }
}

impl ServiceRunner {
    /// Hands the request to an instance, again and again while none has room for it.
    async fn offer(
        &self,
        mut ticket: Ticket,
        mut request: Request<WasiBody>,
    ) -> wasmtime::Result<Response<WasiBody>> {
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

/// Whether `error` is how `ProxyHandler` ends a worker still busy past its expiration
/// (`format_err!("guest timed out")`, which has no type of its own).
fn is_worker_timeout(error: &wasmtime::Error) -> bool {
    error.to_string() == "guest timed out"
}

/// A new instance found no room in the pool, while other stores hold it: the request is
/// offered again later.
#[derive(Debug)]
struct PoolFull;

impl std::fmt::Display for PoolFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the instance pool is full")
    }
}

impl std::error::Error for PoolFull {}

/// What the handler knows of one request.
pub(crate) struct Ticket {
    id: RequestId,
    deadline: Instant,
    progress: Arc<Progress>,
    /// Told why the instance failed, if it does while the request waits for its response.
    ended: oneshot::Sender<Arc<wasmtime::Error>>,
}

/// How far a request got, as its caller and its instance see it.
#[derive(Default)]
struct Progress {
    /// An instance took it.
    taken: AtomicBool,
    /// Its caller has the response.
    answered: AtomicBool,
}

/// A request an instance took, until it is answered.
struct Taken {
    id: RequestId,
    progress: Arc<Progress>,
    ended: oneshot::Sender<Arc<wasmtime::Error>>,
}

/// Makes instances (`HandlerState`).
struct Instances {
    engine: Engine,
    pre: ProxyPre<StoreData>,
    settings: Settings,
}

impl HandlerState for Instances {
    type StoreData = StoreData;
    type WorkerExpiration = Expiry;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<StoreData, Expiry, Worker>> {
        let Settings {
            room,
            shared,
            max_memory_bytes,
            timeout,
            reuse,
        } = &self.settings;
        let store = new_shared_store(&self.engine, shared, *max_memory_bytes);
        let instantiate =
            async |store: &mut Store<StoreData>| self.pre.instantiate_async(store).await;
        let (store, proxy, token) = match room.attempt(store, instantiate).await {
            Attempt::Done(done) => done?,
            Attempt::Full(error) if room.is_empty() => return Err(PoolRoom::never_fits(&error)),
            Attempt::Full(_) => return Err(wasmtime::Error::new(PoolFull)),
        };
        let limits = reuse.draw(*timeout);
        let current = store.data().current.clone();
        Ok(Instance {
            store,
            proxy,
            view: <StoreData as WasiHttpView>::http,
            expiration: Expiry::new(limits),
            state: Worker {
                limits,
                current,
                taken: Mutex::default(),
                _token: token,
            },
        })
    }
}

/// One instance's state (`WorkerState`).
struct Worker {
    limits: Limits,
    /// The instance's output label, for what it logs once no request waits.
    current: CurrentRequest,
    /// The requests it took, to tell those waiting why it failed (those answered are pruned
    /// as new ones come).
    taken: Mutex<Vec<Taken>>,
    /// Dropped after the store, to tell the pool's waiters its slots are free.
    _token: StoreToken,
}

impl WorkerState for Worker {
    type StoreData = StoreData;
    type RequestData = Ticket;

    fn should_accept_request(&self, concurrent_count: usize, total_count: usize) -> ShouldAccept {
        self.limits.should_accept(concurrent_count, total_count)
    }

    fn on_request_start(
        &self,
        mut store: StoreContextMut<'_, StoreData>,
        ticket: Ticket,
        task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        ticket.progress.taken.store(true, Ordering::SeqCst);
        store.data_mut().start_task(task, ticket.id.clone());
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        taken.retain(|request| !request.progress.answered.load(Ordering::SeqCst));
        taken.push(Taken {
            id: ticket.id,
            progress: ticket.progress,
            ended: ticket.ended,
        });
        Box::pin(tokio::time::sleep_until(ticket.deadline.into()))
    }

    fn drop(&self, store: Store<StoreData>, result: wasmtime::Result<()>) {
        drop(store);
        let taken = std::mem::take(&mut *self.taken.lock().unwrap_or_else(PoisonError::into_inner));
        let Err(error) = result else { return };
        let error = Arc::new(error);
        let mut unanswered = None;
        let mut told = false;
        for request in taken {
            if request.progress.answered.load(Ordering::SeqCst) {
                continue;
            }
            // Those still waiting say why they failed; the rest gave up (a timeout, or a
            // client gone) before their instance failed.
            told |= request.ended.send(error.clone()).is_ok();
            unanswered = Some(request.id);
        }
        if !told {
            report(&error, unanswered, &self.current);
        }
    }
}

/// Logs why an instance no request waits on failed: after answering all its requests, or
/// after one whose client no longer waits.
fn report(error: &wasmtime::Error, unanswered: Option<RequestId>, current: &CurrentRequest) {
    match (unanswered, is_worker_timeout(error)) {
        (None, true) => eprintln!(
            "{}the component timed out after the response started and was stopped",
            current.prefix()
        ),
        (None, false) => eprintln!(
            "{}the instance failed after the response started: {error:#}",
            current.prefix()
        ),
        (Some(id), true) => {
            eprintln!(
                "{id} the instance was stopped: it was still busy past the request's timeout"
            );
        }
        (Some(id), false) => eprintln!("{id} the instance failed: {error:#}"),
    }
}

/// When an instance is dropped (`WorkerExpiration`): idle past its idle timeout, or busy
/// past the request timeout of its most recent request.
struct Expiry {
    limits: Limits,
    sleep: Pin<Box<Sleep>>,
}

impl Expiry {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            sleep: Box::pin(tokio::time::sleep(Duration::MAX)),
        }
    }
}

impl WorkerExpiration for Expiry {
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let this = self.get_mut();
        let Some(at) = this.limits.expires_at(status, start) else {
            return Poll::Pending;
        };
        let at = tokio::time::Instant::from_std(at);
        if this.sleep.deadline() != at {
            this.sleep.as_mut().reset(at);
        }
        this.sleep.as_mut().poll(cx)
    }
}
