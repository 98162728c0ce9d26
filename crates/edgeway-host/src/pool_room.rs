//! Waiting for room in the instance pool. When an instance cannot be created because every
//! slot of some kind (memories, tables, core instances) is taken, Spin answers `500`; the
//! local host makes the request wait, first come first served, until an instance ends and
//! frees its slots. Every request ahead in the queue ends by its own deadline, which comes
//! before the waiter's, so under load a request is slower rather than lost, and the pool
//! (what [`PoolConfig::max_instances`](crate::PoolConfig::max_instances) sets) bounds the
//! resident memory. A request the pool could not hold even when empty is refused at once.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Mutex, Notify};
use wasmtime::{PoolConcurrencyLimitError, Store};

/// The queue for one engine's pool, shared by every runner built on that engine.
#[derive(Default)]
pub(crate) struct PoolRoom {
    /// Signalled whenever a store of this pool is dropped, which frees its slots.
    freed: Notify,
    /// Held by the request at the head of the queue; the others wait for it in order.
    head: Mutex<()>,
    /// How many requests are queued, so that a newcomer does not overtake them.
    queued: AtomicUsize,
    /// How many stores of this pool exist: instances in use, and attempts to create one.
    stores: AtomicUsize,
    /// How many stores of this pool have ended, to tell whether any ended during an attempt.
    ended: AtomicU64,
}

/// How an attempt to create an instance ended.
pub(crate) enum Attempt<T> {
    /// Created, or failed for a reason other than a full pool.
    Done(Result<T, wasmtime::Error>),
    /// The pool had no room while other stores held some of it; whatever the attempt
    /// allocated has been freed.
    Full(wasmtime::Error),
}

/// Whether `error` is the pool's refusal for want of free slots.
pub(crate) fn is_pool_full(error: &wasmtime::Error) -> bool {
    error.downcast_ref::<PoolConcurrencyLimitError>().is_some()
}

impl PoolRoom {
    /// Counts a new store of this pool until the returned token is dropped, which must
    /// happen after the store itself is dropped.
    fn store_token(self: &Arc<Self>) -> StoreToken {
        self.stores.fetch_add(1, Ordering::SeqCst);
        StoreToken(self.clone())
    }

    /// One attempt at an instance in `store`, counted as a store of this pool while it lives:
    /// on success the store, what `instantiate` made in it and the token to drop after the
    /// store; on failure both are dropped here. A full pool is [`Attempt::Full`] if another
    /// store was alive at any moment of the attempt (its slots may be what was missing), and
    /// otherwise an error: the pool cannot hold the instance at all.
    pub(crate) async fn attempt<T, P>(
        self: &Arc<Self>,
        mut store: Store<T>,
        instantiate: impl AsyncFnOnce(&mut Store<T>) -> wasmtime::Result<P>,
    ) -> Attempt<(Store<T>, P, StoreToken)> {
        let before = self.census();
        let token = self.store_token();
        match instantiate(&mut store).await {
            Ok(instance) => Attempt::Done(Ok((store, instance, token))),
            Err(e) => {
                drop(store);
                drop(token);
                if !is_pool_full(&e) {
                    Attempt::Done(Err(e))
                } else if self.alone_since(before) {
                    Attempt::Done(Err(Self::never_fits(&e)))
                } else {
                    Attempt::Full(e)
                }
            }
        }
    }

    /// Runs `attempt` (a call of [`PoolRoom::attempt`]) until the pool has room for it. The
    /// caller bounds the wait with its deadline.
    pub(crate) async fn instantiate<T, F, Fut>(&self, mut attempt: F) -> Result<T, wasmtime::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        if self.queued.load(Ordering::SeqCst) == 0 {
            match attempt().await {
                Attempt::Done(done) => return done,
                Attempt::Full(_) => {}
            }
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        let _leaves_queue = LeavesQueue(&self.queued);
        let _head = self.head.lock().await;
        loop {
            let before = self.ended.load(Ordering::SeqCst);
            match attempt().await {
                Attempt::Done(done) => return done,
                // The attempt's own store has ended too: that one freed nothing.
                Attempt::Full(_) => self.more_ended_than(before + 1).await,
            }
        }
    }

    /// Resolves once more than `count` stores of this pool have ended in all: at once if
    /// they already have, so that a store that ended during an attempt is not missed.
    async fn more_ended_than(&self, count: u64) {
        loop {
            let mut freed = pin!(self.freed.notified());
            freed.as_mut().enable();
            if self.ended.load(Ordering::SeqCst) > count {
                return;
            }
            freed.await;
        }
    }
}

/// What a census saw: whether any store of the pool was alive, and how many had ended.
#[derive(Clone, Copy)]
struct Census {
    alive: usize,
    ended: u64,
}

impl PoolRoom {
    fn census(&self) -> Census {
        // `ended` first: a store that ends between the two reads is then seen either way.
        let ended = self.ended.load(Ordering::SeqCst);
        let alive = self.stores.load(Ordering::SeqCst);
        Census { alive, ended }
    }

    /// Whether no other store of the pool was alive at any moment since `before`, taken
    /// just before an attempt whose own store has ended since: none alive then or now, and
    /// no store but the attempt's own ended in between. Judging by "none alive now" alone
    /// would blame the pool's size when another store ended during the attempt.
    fn alone_since(&self, before: Census) -> bool {
        let now = self.census();
        before.alive == 0 && now.alive == 0 && now.ended == before.ended + 1
    }

    /// Resolves once a store of this pool is dropped, or after `at_most`.
    pub(crate) async fn freed_within(&self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.freed.notified()).await;
    }

    /// The error for an instance the pool cannot hold even when no other store is alive.
    fn never_fits(error: &wasmtime::Error) -> wasmtime::Error {
        wasmtime::Error::msg(format!(
            "the instance pool cannot hold one request of this component even when \
             no other runs ({error}): raise --max-instances"
        ))
    }
}

/// Held for the life of a store; dropping it tells the queue that slots were freed.
pub(crate) struct StoreToken(Arc<PoolRoom>);

impl Drop for StoreToken {
    fn drop(&mut self) {
        self.0.ended.fetch_add(1, Ordering::SeqCst);
        self.0.stores.fetch_sub(1, Ordering::SeqCst);
        self.0.freed.notify_waiters();
    }
}

struct LeavesQueue<'a>(&'a AtomicUsize);

impl Drop for LeavesQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wasmtime::{
        Config, Engine, Instance, InstanceAllocationStrategy, Module, PoolingAllocationConfig,
    };

    use super::*;

    const EMPTY: &str = "(module)";

    #[tokio::test]
    async fn a_request_waits_until_a_store_ends_then_runs() {
        let (room, engine) = (Arc::new(PoolRoom::default()), tiny_pool());
        let Attempt::Done(Ok(holder)) = attempt_module(&room, &engine, EMPTY, || {}).await else {
            panic!("an empty pool holds one instance");
        };
        let attempts = Arc::new(AtomicUsize::new(0));
        let waiter = tokio::spawn({
            let (room, attempts) = (room.clone(), attempts.clone());
            async move {
                let created = room.instantiate(|| {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    let (room, engine) = (room.clone(), engine.clone());
                    async move {
                        // Yield as a real instantiation may, so that a waiter which kept
                        // trying would let this test see it.
                        tokio::task::yield_now().await;
                        attempt_module(&room, &engine, EMPTY, || {}).await
                    }
                });
                created.await.is_ok()
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiter.is_finished(), "it must wait while the pool is full");
        // Once on arrival and once in the queue; its own failed attempts wake it no more.
        assert_eq!(attempts.load(Ordering::SeqCst), 2);
        drop(holder);
        let created = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert!(created.unwrap().unwrap(), "it runs once the holder ends");
    }

    /// An engine whose pool holds one core instance and one memory.
    fn tiny_pool() -> Engine {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(1)
            .total_core_instances(1)
            .total_memories(1)
            .max_memories_per_module(2)
            .total_tables(1)
            .total_stacks(1);
        let mut config = Config::new();
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        Engine::new(&config).expect("a tiny pool")
    }

    /// One attempt at instantiating `wat`, calling `meanwhile` after the instantiation
    /// and before the attempt ends.
    async fn attempt_module(
        room: &Arc<PoolRoom>,
        engine: &Engine,
        wat: &str,
        meanwhile: impl FnOnce(),
    ) -> Attempt<(Store<()>, Instance, StoreToken)> {
        let module = Module::new(engine, wat).expect("a valid module");
        let instantiate = async |store: &mut Store<()>| {
            let instance = Instance::new_async(store, &module, &[]).await;
            meanwhile();
            instance
        };
        room.attempt(Store::new(engine, ()), instantiate).await
    }

    #[tokio::test]
    async fn an_instance_the_pool_cannot_hold_even_alone_is_refused() {
        let (room, engine) = (Arc::new(PoolRoom::default()), tiny_pool());
        let two_memories = "(module (memory 1) (memory 1))";
        match attempt_module(&room, &engine, two_memories, || {}).await {
            Attempt::Done(Err(refused)) => {
                assert!(format!("{refused:#}").contains("raise --max-instances"));
            }
            _ => panic!("two memories cannot fit a pool of one"),
        }
    }

    #[tokio::test]
    async fn a_full_pool_is_waited_for_even_if_its_other_store_ends_during_the_attempt() {
        let (room, engine) = (Arc::new(PoolRoom::default()), tiny_pool());
        let Attempt::Done(Ok(holder)) = attempt_module(&room, &engine, EMPTY, || {}).await else {
            panic!("an empty pool holds one instance");
        };
        assert!(matches!(
            attempt_module(&room, &engine, EMPTY, || {}).await,
            Attempt::Full(_)
        ));
        // The holder ends after the attempt found the pool full, before the attempt ends:
        // the pool is empty by then, but it was not what refused the instance.
        let ends_holder = || drop(holder);
        assert!(matches!(
            attempt_module(&room, &engine, EMPTY, ends_holder).await,
            Attempt::Full(_)
        ));
        assert!(matches!(
            attempt_module(&room, &engine, EMPTY, || {}).await,
            Attempt::Done(Ok(_))
        ));
    }
}
