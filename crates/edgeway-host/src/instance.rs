//! Running one request in a component instance, within its deadline.
//!
//! By default every request gets a fresh store and instance, created from the
//! pre-instantiated component: Spin's WASI 0.2 semantics. When the instance pool is
//! full the request waits for room (`pool_room`). With `reuse > 1` an
//! instance whose handler returned normally is kept in a small idle pool and
//! serves up to `reuse` requests, one at a time; one that trapped or timed out
//! is always dropped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper::body::{Body, Bytes};
use tokio::sync::oneshot;
use wasmtime::{Store, Trap};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::bindings::{Proxy, ProxyPre};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::guest_output::RequestId;
use crate::pool_room::{Attempt, PoolRoom, StoreToken};
use crate::state::{Shared, StoreData, begin_request, new_store};

/// At most this many idle instances are kept for reuse; more would only hold
/// memory (concurrency above it instantiates fresh instances).
const MAX_IDLE: usize = 16;

/// Where the component's `response-outparam::set` delivers its answer.
pub(crate) type ResponseSender =
    oneshot::Sender<Result<hyper::Response<HyperOutgoingBody>, ErrorCode>>;

/// How a request's run in the component ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The component's handler returned.
    Returned,
    /// The component trapped (a panic, `unreachable`, running out of memory)
    /// or a host call it made failed fatally.
    Trapped(wasmtime::Error),
    /// The deadline passed before the handler returned.
    TimedOut,
    /// No instance could be created, or the request could not be passed in.
    NotStarted(wasmtime::Error),
    /// The deadline passed while the request waited for room in the instance pool.
    NoRoom,
    /// The instance serving it, with other requests (a `wasi:http@0.3` component), failed
    /// before it answered: a trap in any of its requests, or the host task running it.
    InstanceFailed(Arc<wasmtime::Error>),
    /// The component answered with a `wasi:http` error code instead of a response.
    ErrorCode(String),
}

/// An instance kept for further requests.
struct Warm {
    store: Store<StoreData>,
    proxy: Proxy,
    served: u32,
    /// Dropped after the store (fields drop in order), to tell waiters its slots are free.
    _token: StoreToken,
}

/// Runs requests in instances of one pre-instantiated component.
pub(crate) struct Runner {
    pre: ProxyPre<StoreData>,
    room: Arc<PoolRoom>,
    shared: Shared,
    max_memory_bytes: usize,
    timeout: Duration,
    reuse: u32,
    idle: Mutex<Vec<Warm>>,
}

impl Runner {
    /// A runner for `pre`, whose instances share `shared`, with the
    /// per-request limits.
    pub(crate) fn new(
        pre: ProxyPre<StoreData>,
        room: Arc<PoolRoom>,
        shared: Shared,
        max_memory_bytes: usize,
        timeout: Duration,
        reuse: u32,
    ) -> Self {
        Self {
            pre,
            room,
            shared,
            max_memory_bytes,
            timeout,
            reuse,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The per-request wall-clock limit.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `request` to the end of the component's handler. The response
    /// itself arrives on `respond`, possibly long before this returns (the
    /// component may go on streaming the body).
    pub(crate) async fn run<B>(
        &self,
        id: RequestId,
        request: hyper::Request<B>,
        respond: ResponseSender,
    ) -> Outcome
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let deadline = Instant::now() + self.timeout;
        // The epoch callback interrupts a busy guest; this also ends a guest
        // that waits in a host call (a sleep, a body read) past the deadline.
        match tokio::time::timeout_at(
            deadline.into(),
            self.run_until(id, deadline, request, respond),
        )
        .await
        {
            Ok(outcome) => outcome,
            Err(_elapsed) => Outcome::TimedOut,
        }
    }

    async fn run_until<B>(
        &self,
        id: RequestId,
        deadline: Instant,
        request: hyper::Request<B>,
        respond: ResponseSender,
    ) -> Outcome
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let mut warm = match self.take_idle() {
            Some(mut warm) => {
                begin_request(&mut warm.store, deadline);
                warm
            }
            None => {
                let waited = self.room.instantiate(|| self.instantiate(&id, deadline));
                match tokio::time::timeout_at(deadline.into(), waited).await {
                    Ok(Ok(warm)) => warm,
                    Ok(Err(e)) => return classify(e, Outcome::NotStarted),
                    Err(_elapsed) => return Outcome::NoRoom,
                }
            }
        };
        warm.store.data().current.set(id);

        let mut http = warm.store.data_mut().http();
        let resources = http
            .new_incoming_request(Scheme::Http, request)
            .and_then(|req| Ok((req, http.new_response_outparam(respond)?)));
        let (req, out) = match resources {
            Ok(resources) => resources,
            Err(e) => return Outcome::NotStarted(e),
        };

        let handler = warm.proxy.wasi_http_incoming_handler();
        match handler.call_handle(&mut warm.store, req, out).await {
            Ok(()) => {
                warm.served += 1;
                self.keep(warm);
                Outcome::Returned
            }
            Err(e) => classify(e, Outcome::Trapped),
        }
    }

    /// One attempt at a fresh instance; on failure its store is dropped, and with it
    /// whatever slots it took.
    async fn instantiate(&self, id: &RequestId, deadline: Instant) -> Attempt<Warm> {
        let store = new_store(
            self.pre.engine(),
            &self.shared,
            self.max_memory_bytes,
            id,
            deadline,
        );
        let instantiate =
            async |store: &mut Store<StoreData>| self.pre.instantiate_async(store).await;
        match self.room.attempt(store, instantiate).await {
            Attempt::Done(done) => Attempt::Done(done.map(|(store, proxy, token)| Warm {
                store,
                proxy,
                served: 0,
                _token: token,
            })),
            Attempt::Full(e) => Attempt::Full(e),
        }
    }

    fn take_idle(&self) -> Option<Warm> {
        if self.reuse <= 1 {
            return None;
        }
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    /// Keeps `warm` for another request if it may serve more.
    fn keep(&self, warm: Warm) {
        if warm.served >= self.reuse {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(warm);
        }
    }
}

/// Sorts a Wasmtime error: an epoch interruption is the deadline, any other
/// trap is the guest's fault, the rest is `otherwise`.
fn classify(error: wasmtime::Error, otherwise: fn(wasmtime::Error) -> Outcome) -> Outcome {
    match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => Outcome::TimedOut,
        Some(_) => Outcome::Trapped(error),
        None => otherwise(error),
    }
}
