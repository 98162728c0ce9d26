//! The instances of a `wasi:http@0.3` component, as Wasmtime's `ProxyHandler` asks for them:
//! how one is made ([`Instances`], its `HandlerState`), which requests it takes and what it
//! says when it fails ([`Worker`], its `WorkerState`), and when it is dropped ([`Expiry`],
//! its `WorkerExpiration`).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::time::Sleep;
use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};

use super::Settings;
use crate::guest_output::{CurrentRequest, RequestId};
use crate::pool_room::{Attempt, StoreToken};
use crate::reuse::Limits;
use crate::state::{StoreData, new_shared_store};

/// A new instance found no room in the pool, while other stores hold it: the request is
/// offered again later.
#[derive(Debug)]
pub(super) struct PoolFull;

impl std::fmt::Display for PoolFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the instance pool is full")
    }
}

impl std::error::Error for PoolFull {}

/// What the handler knows of one request.
pub(crate) struct Ticket {
    pub(super) id: RequestId,
    pub(super) deadline: Instant,
    pub(super) progress: Arc<Progress>,
    /// Told why the instance failed, if it does while the request waits for its response.
    pub(super) ended: oneshot::Sender<Arc<wasmtime::Error>>,
}

/// How far a request got, as its caller and its instance see it.
#[derive(Default)]
pub(super) struct Progress {
    /// An instance took it.
    pub(super) taken: AtomicBool,
    /// Its caller has the response.
    pub(super) answered: AtomicBool,
    /// No new instance had room for it, once at least.
    pub(super) waited_for_room: AtomicBool,
}

/// A request an instance took, until it is answered.
struct Taken {
    id: RequestId,
    progress: Arc<Progress>,
    ended: oneshot::Sender<Arc<wasmtime::Error>>,
}

/// Makes instances (`HandlerState`).
pub(super) struct Instances {
    pub(super) engine: Engine,
    pub(super) pre: ProxyPre<StoreData>,
    pub(super) settings: Settings,
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
        // The epoch callback makes a guest that loops while it starts yield, so this ends it.
        let attempt = tokio::time::timeout(*timeout, room.attempt(store, instantiate)).await;
        let attempt = attempt.map_err(|_elapsed| {
            wasmtime::format_err!("the component did not finish starting within {timeout:?}")
        })?;
        let (store, proxy, token) = match attempt {
            Attempt::Done(done) => done?,
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
pub(super) struct Worker {
    limits: Limits,
    /// The instance's output label, for what it logs once no request waits.
    current: CurrentRequest,
    /// The requests it took, to tell those waiting why it failed (those answered are pruned
    /// as new ones come; the others stay, at most one per request the instance takes).
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
        let (told, unanswered) = tell(taken, &error);
        if !told {
            report(&error, unanswered, &self.current);
        }
    }
}

/// Tells the requests still waiting on an instance why it failed: whether any was told, and
/// the last one taken that got no answer (its client gave up, or it is told now).
fn tell(taken: Vec<Taken>, error: &Arc<wasmtime::Error>) -> (bool, Option<RequestId>) {
    let mut unanswered = None;
    let mut told = false;
    for request in taken {
        if request.progress.answered.load(Ordering::SeqCst) {
            continue;
        }
        // Those still waiting say why they failed; the rest gave up (a timeout, or a client
        // gone) before their instance failed.
        told |= request.ended.send(error.clone()).is_ok();
        unanswered = Some(request.id);
    }
    (told, unanswered)
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
pub(super) struct Expiry {
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

/// Whether `error` is how `ProxyHandler` ends a worker still busy past its expiration
/// (`format_err!("guest timed out")`, which has no type of its own).
pub(super) fn is_worker_timeout(error: &wasmtime::Error) -> bool {
    error.to_string() == "guest timed out"
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::reuse::InstanceReuse;

    fn taken(answered: bool) -> (Taken, oneshot::Receiver<Arc<wasmtime::Error>>) {
        let (ended, why) = oneshot::channel();
        let progress = Arc::new(Progress::default());
        progress.answered.store(answered, Ordering::SeqCst);
        let id = RequestId::next();
        (
            Taken {
                id,
                progress,
                ended,
            },
            why,
        )
    }

    #[test]
    fn a_failed_instance_tells_the_requests_still_waiting() {
        let error = Arc::new(wasmtime::Error::msg("wasm trap"));
        let (answered, _kept) = taken(true);
        let (waiting, mut why) = taken(false);
        let (gave_up, dropped) = taken(false);
        drop(dropped);
        let gave_up_id = gave_up.id.clone();
        let (told, unanswered) = tell(vec![answered, waiting, gave_up], &error);
        assert!(told);
        assert_eq!(unanswered, Some(gave_up_id.clone()));
        assert_eq!(why.try_recv().unwrap().to_string(), "wasm trap");

        // Nobody waits: the instance reports it itself, naming the request that gave up.
        let (gave_up, dropped) = taken(false);
        drop(dropped);
        let id = gave_up.id.clone();
        assert_eq!(tell(vec![gave_up], &error), (false, Some(id)));
        let (answered, _kept) = taken(true);
        assert_eq!(tell(vec![answered], &error), (false, None));
    }

    #[tokio::test]
    async fn expiry_drops_idle_instances_after_the_idle_timeout() {
        let limits = InstanceReuse::default().draw(Duration::from_secs(30));
        let mut expiry = Box::pin(Expiry::new(limits));
        let mut cx = Context::from_waker(Waker::noop());
        let now = Instant::now();
        let mut poll = |status, start| expiry.as_mut().poll(&mut cx, status, start);
        assert!(poll(WorkerStatus::Idle, now).is_pending());
        assert!(poll(WorkerStatus::Requests, now - Duration::from_secs(2)).is_pending());
        assert!(poll(WorkerStatus::Idle, now - Duration::from_secs(2)).is_ready());
        assert!(poll(WorkerStatus::PostReturn, now - Duration::from_secs(31)).is_ready());
    }

    #[test]
    fn the_worker_timeout_is_told_apart() {
        assert!(is_worker_timeout(&wasmtime::format_err!("guest timed out")));
        assert!(!is_worker_timeout(&wasmtime::Error::msg("wasm trap")));
    }
}
