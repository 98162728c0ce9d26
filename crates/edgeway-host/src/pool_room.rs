//! Waiting for room in the instance pool. When an instance cannot be created because every
//! slot of some kind (memories, tables, core instances) is taken, Spin answers `500`; the
//! local host makes the request wait, first come first served, until an instance ends and
//! frees its slots. Every request ahead in the queue ends by its own deadline, which comes
//! before the waiter's, so under load a request is slower rather than lost, and the pool
//! (what [`PoolConfig::max_instances`](crate::PoolConfig::max_instances) sets) bounds the
//! resident memory. A request the pool could not hold even when empty is refused at once.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
}

/// How an attempt to create an instance ended.
pub(crate) enum Attempt<T> {
    /// Created, or failed for a reason other than a full pool.
    Done(Result<T, wasmtime::Error>),
    /// The pool had no room; whatever the attempt allocated has been freed.
    Full(wasmtime::Error),
}

/// Whether `error` is the pool's refusal for want of free slots.
pub(crate) fn is_pool_full(error: &wasmtime::Error) -> bool {
    error.downcast_ref::<PoolConcurrencyLimitError>().is_some()
}

impl PoolRoom {
    /// Counts a new store of this pool until the returned token is dropped, which must
    /// happen after the store itself is dropped.
    pub(crate) fn store_token(self: &Arc<Self>) -> StoreToken {
        self.stores.fetch_add(1, Ordering::SeqCst);
        StoreToken(self.clone())
    }

    /// One attempt at an instance in `store`, counted as a store of this pool while it lives:
    /// on success the store, what `instantiate` made in it and the token to drop after the
    /// store; on failure both are dropped here, and a full pool is told apart.
    pub(crate) async fn attempt<T, P>(
        self: &Arc<Self>,
        mut store: Store<T>,
        instantiate: impl AsyncFnOnce(&mut Store<T>) -> wasmtime::Result<P>,
    ) -> Attempt<(Store<T>, P, StoreToken)> {
        let token = self.store_token();
        match instantiate(&mut store).await {
            Ok(instance) => Attempt::Done(Ok((store, instance, token))),
            Err(e) => {
                drop(store);
                drop(token);
                if is_pool_full(&e) {
                    Attempt::Full(e)
                } else {
                    Attempt::Done(Err(e))
                }
            }
        }
    }

    /// Runs `attempt` (which creates a store with [`PoolRoom::store_token`] and instantiates
    /// in it, dropping both on failure) until the pool has room for it. Never returns
    /// [`Attempt::Full`] unless the pool could not hold the instance with no other store
    /// alive. The caller bounds the wait with its deadline.
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
            // Listen before trying, so that a store freed during the attempt is not missed.
            let mut freed = pin!(self.freed.notified());
            freed.as_mut().enable();
            match attempt().await {
                Attempt::Done(done) => return done,
                Attempt::Full(error) if self.is_empty() => return Err(Self::never_fits(&error)),
                Attempt::Full(_) => freed.await,
            }
        }
    }
}

impl PoolRoom {
    /// Whether no store of this pool is alive: a pool that is full then cannot hold the
    /// instance at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.stores.load(Ordering::SeqCst) == 0
    }

    /// Resolves once a store of this pool is dropped, or after `at_most`.
    pub(crate) async fn freed_within(&self, at_most: std::time::Duration) {
        let _ = tokio::time::timeout(at_most, self.freed.notified()).await;
    }

    /// The error for an instance the pool cannot hold even when no other store is alive.
    pub(crate) fn never_fits(error: &wasmtime::Error) -> wasmtime::Error {
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

    use super::*;

    fn full_error() -> wasmtime::Error {
        wasmtime::Error::msg("no slot")
    }

    #[tokio::test]
    async fn a_request_waits_until_a_store_ends_then_runs() {
        let room = Arc::new(PoolRoom::default());
        let holder = Arc::new(std::sync::Mutex::new(Some(room.store_token())));
        let waiter = tokio::spawn({
            let (room, holder) = (room.clone(), holder.clone());
            async move {
                room.instantiate(|| {
                    let full = holder.lock().unwrap().is_some();
                    async move {
                        if full {
                            Attempt::Full(full_error())
                        } else {
                            Attempt::Done(Ok("created"))
                        }
                    }
                })
                .await
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!waiter.is_finished(), "it must wait while the pool is full");
        holder.lock().unwrap().take();
        let created = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert_eq!(created.unwrap().unwrap().unwrap(), "created");
    }

    #[tokio::test]
    async fn a_request_that_never_fits_is_refused_at_once() {
        let room = Arc::new(PoolRoom::default());
        let refused = room
            .instantiate(|| async { Attempt::<()>::Full(full_error()) })
            .await
            .unwrap_err();
        assert!(format!("{refused:#}").contains("raise --max-instances"));
    }
}
