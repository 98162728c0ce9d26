//! Giving memory back once the host is idle: the instance pool keeps the slots it used
//! resident for the next instance, which is right under load and waste when no request
//! comes. After [`PoolConfig::release_after_idle`](crate::PoolConfig::release_after_idle)
//! without a request, the app moves onto a fresh pool and the old one is freed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::dispatch::Dispatcher;

/// Watches the app's uses until `stop`; once none came for `idle` since the last one (and
/// some came since the last release), renews the app's pool and trims the heap.
pub(crate) async fn release_when_idle(
    dispatcher: Arc<Dispatcher>,
    idle: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let current = &dispatcher.app;
    let check_every = idle / 4;
    let mut seen = current.uses();
    let mut released_at = seen;
    let mut last_use = Instant::now();
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => return,
            () = tokio::time::sleep(check_every) => {}
        }
        let uses = current.uses();
        if uses != seen {
            (seen, last_use) = (uses, Instant::now());
            continue;
        }
        if uses == released_at || last_use.elapsed() < idle {
            continue;
        }
        match current.renew().await {
            Ok(()) => {
                // The old pool is freed when its last request lets go of it: usually now.
                trim_heap();
                eprintln!(
                    "Idle for {}s: the instance pool's memory went back to the system",
                    idle.as_secs_f64()
                );
            }
            Err(e) => eprintln!("Idle, but the instance pool could not be renewed: {e}"),
        }
        released_at = current.uses();
        seen = released_at;
    }
}

/// Returns the free pages of the host's heap to the system: glibc keeps what it freed,
/// such as the compiler's working memory, for later allocations.
pub(crate) fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
