//! [`PoolConfig`]: how big the pooling allocator is, how much of it stays resident between
//! requests, and when it gives that memory back.
//!
//! Where the resident memory of a serving host goes: every linear memory an instance used
//! keeps up to `linear_memory_keep_resident` (2 MiB, Spin's setting) resident in its pool
//! slot after the instance is gone, so the next instance in that slot starts without page
//! faults. A composed app has a memory per handler and one for the gateway, so under load
//! the host holds about `(memories in use + warm slots) × 2 MiB`, plus up to 64 KiB per
//! table slot used, the compiled code and the host's own heap. [`PoolConfig::warm_slots`] bounds the slots kept warm beyond
//! those in use; [`PoolConfig::release_after_idle`] hands all of it back once the host has
//! been idle.

use std::time::Duration;

/// The largest [`PoolConfig::max_instances`]: each instance slot reserves about 6 GiB of
/// address space for its memory, and ten thousand of them is 60 TiB.
const MOST_INSTANCES: u32 = 10_000;

/// Settings of the instance pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Spin's `SPIN_MAX_INSTANCE_COUNT`: how many instances may live at once, which is how
    /// many requests can be in flight. The pool's totals of memories, stacks, tables and
    /// core instances follow from it as on Spin (1×, 1×, 2× and 4×). A composed app needs
    /// one memory per handler it composes, so a request to an app of ten handlers takes
    /// eleven of them. A request the pool cannot hold yet waits for room, up to its
    /// deadline (Spin answers it with a `500`); one it could not hold even empty gets a
    /// `500` problem at once. The pool bounds the memory a loaded host keeps. Default
    /// 1,000, Spin's.
    pub max_instances: u32,
    /// How many memory, table and stack slots that no instance uses the pool keeps warm
    /// (resident, ready for the next instance) before it reuses the least recently used
    /// warm slot instead of a new one. It bounds the memory kept for reuse to about
    /// `warm_slots × 2 MiB` on top of the memories in use. Default 100, Wasmtime's, which
    /// Spin leaves as it is.
    pub warm_slots: u32,
    /// After this long without a request (HTTP or Redis), the host moves the app onto a
    /// fresh pool, compiled code read again from the compile cache, and the old pool's
    /// memory goes back to the system; the next request starts in cold slots. `None`:
    /// never. Default 60 s.
    pub release_after_idle: Option<Duration>,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_instances: 1_000,
            warm_slots: 100,
            release_after_idle: Some(Duration::from_secs(60)),
        }
    }
}

impl PoolConfig {
    /// The field that is out of range, and why.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=MOST_INSTANCES).contains(&self.max_instances) {
            return Err((
                "pool.max_instances",
                format!(
                    "is {}; it must be between 1 and {MOST_INSTANCES}",
                    self.max_instances
                ),
            ));
        }
        if let Some(idle) = self.release_after_idle
            && (idle < Duration::from_millis(100) || idle > Duration::from_secs(86_400))
        {
            return Err((
                "pool.release_after_idle",
                format!("is {idle:?}; it must be between 100 ms and a day, or none"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_spins_and_pass() {
        let pool = PoolConfig::default();
        assert_eq!(pool.max_instances, 1_000);
        assert_eq!(pool.check(), Ok(()));
    }

    #[test]
    fn out_of_range_settings_name_their_field() {
        let field = |pool: PoolConfig| pool.check().unwrap_err().0;
        let pool = PoolConfig::default();
        assert_eq!(
            field(PoolConfig {
                max_instances: 0,
                ..pool.clone()
            }),
            "pool.max_instances"
        );
        assert_eq!(
            field(PoolConfig {
                max_instances: MOST_INSTANCES + 1,
                ..pool.clone()
            }),
            "pool.max_instances"
        );
        assert_eq!(
            field(PoolConfig {
                release_after_idle: Some(Duration::from_millis(10)),
                ..pool.clone()
            }),
            "pool.release_after_idle"
        );
        let never = PoolConfig {
            release_after_idle: None,
            warm_slots: 0,
            ..pool
        };
        assert_eq!(never.check(), Ok(()));
    }
}
