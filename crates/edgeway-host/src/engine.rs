//! The Wasmtime engine, configured like Spin's (`spin_core::Config::default`).

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::{HostError, chain};
use crate::pool::PoolConfig;
use crate::pool_room::PoolRoom;

/// How often the epoch advances; Spin's `DEFAULT_EPOCH_TICK_INTERVAL`.
/// Deadlines are checked (and a busy guest yields) once per tick.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Spin's `SPIN_WASMTIME_INSTANCE_MEMORIES`: a composed component holding more
/// linear memories than this does not load on Spin, so it must not load here.
pub(crate) const MAX_MEMORIES_PER_COMPONENT: u32 = 32;

const MIB: usize = 1 << 20;

/// What a free table slot keeps resident for the next instance (see [`pooling_config`]).
const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// A ready engine plus the description of its settings, used in cache keys.
#[derive(Clone)]
pub(crate) struct HostEngine {
    /// The engine; its epoch ticker stops when the last clone is dropped.
    pub(crate) engine: Engine,
    /// Everything that decides whether a compiled component fits this engine.
    pub(crate) fingerprint: String,
    /// Where requests wait when the engine's instance pool is full.
    pub(crate) room: Arc<PoolRoom>,
}

/// Builds the engine, with its instance pool sized by `pool`, and starts its epoch ticker.
pub(crate) fn build(pool: &PoolConfig) -> Result<HostEngine, HostError> {
    let pooling = pooling_is_usable();
    if !pooling {
        eprintln!(
            "The pooling allocator needs 2^42 bytes of virtual address space, which this \
             machine does not give; instances are allocated on demand (as Spin does here)"
        );
    }
    let engine = Engine::new(&config(pooling.then_some(pool)))
        .map_err(|e| HostError::Engine { reason: chain(&e) })?;
    start_epoch_ticker(&engine).map_err(|e| HostError::Engine {
        reason: format!("cannot start the epoch thread: {e}"),
    })?;
    let fingerprint = fingerprint(&engine, pooling);
    Ok(HostEngine {
        engine,
        fingerprint,
        room: Arc::default(),
    })
}

/// Spin's engine settings: epoch interruption, the component model (with its
/// async ABI, as Spin enables it), copy-on-write memory images and, given its
/// settings, the pooling allocator.
fn config(pooling: Option<&PoolConfig>) -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.memory_init_cow(true);
    if let Some(pool) = pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(pool)));
    }
    config
}

/// The pool Spin configures for its `SPIN_MAX_INSTANCE_COUNT` (here
/// [`PoolConfig::max_instances`]) when no other `SPIN_WASMTIME_*` variable overrides it,
/// plus the warm-slot bound, one reset strategy and less table memory kept resident, which
/// change no limit and no behaviour a guest can see.
fn pooling_config(settings: &PoolConfig) -> PoolingAllocationConfig {
    let instances = settings.max_instances;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_memories(instances)
        .total_tables(2 * instances)
        .total_stacks(instances)
        .total_core_instances(4 * instances)
        .max_unused_warm_slots(settings.warm_slots)
        .table_elements(100_000)
        .max_component_instance_size(10 * MIB)
        .max_core_instance_size(10 * MIB)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(MAX_MEMORIES_PER_COMPONENT)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 << 30)
        .linear_memory_keep_resident(2 * MIB)
        // Table slots, unlike memory slots, go to any module: a slot keeps the zeroed pages
        // of the largest table it ever held, up to this much, so with Spin's 512 KiB the
        // table pool crept up by 30 MiB over five minutes of steady load as the Python and
        // JavaScript handlers' large tables visited slot after slot. 64 KiB keeps every
        // Rust handler's table whole and caps the creep at an eighth.
        .table_keep_resident(TABLE_KEEP_RESIDENT)
        // Where the kernel offers it (Linux 6.7+), reset only the pages an instance
        // actually touched instead of `memset`ting the first `keep_resident` bytes of
        // every memory: measured +15% requests/s for gateway + 1 handler with a fresh
        // instance per request (docs/benchmarks.md). Elsewhere `Auto` keeps the plain reset.
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// Spin's probe: the pooling allocator reserves about 2^42 bytes of address
/// space, which some systems (39-bit address spaces, `ulimit -v`) refuse. Try
/// to reserve that much once, and fall back to on-demand allocation if not.
fn pooling_is_usable() -> bool {
    const BITS_TO_TEST: u32 = 42;
    let mut config = Config::new();
    config.wasm_memory64(true);
    config.memory_reservation(1 << BITS_TO_TEST);
    let Ok(engine) = Engine::new(&config) else {
        return false;
    };
    let mut store = wasmtime::Store::new(&engine, ());
    // The maximum is in 64 KiB pages, hence the 16 bits taken off.
    let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS_TO_TEST - 16)));
    wasmtime::Memory::new(&mut store, ty).is_ok()
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a plain thread, so
/// ticks keep coming even when every runtime worker runs guest code. Holds a
/// weak reference: the thread ends with the engine.
fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("edgeway-epoch".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                let Some(engine) = weak.upgrade() else { break };
                engine.increment_epoch();
            }
        })?;
    Ok(())
}

/// Describes the settings a compiled component depends on. Wasmtime's own
/// compatibility hash covers the Wasmtime version, target, compiler flags,
/// tunables and Wasm features; the allocator and its limits are added because
/// they decide whether a component is accepted at all.
fn fingerprint(engine: &Engine, pooling: bool) -> String {
    let mut hasher = DigestHasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    let compat = hex(&hasher.0.finalize());
    let allocator = if pooling {
        format!("pooling(max-memories-per-component={MAX_MEMORIES_PER_COMPONENT})")
    } else {
        "on-demand".to_owned()
    };
    format!(
        "wasmtime-compat={compat};allocator={allocator};epoch-interruption;component-model-async"
    )
}

/// Feeds `std::hash::Hash` output into SHA-256, which, unlike std's hashers,
/// is stable across Rust releases.
struct DigestHasher(Sha256);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        unreachable!("only the digest is read")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_follows_settings() {
        let engine = |config: &Config| Engine::new(config).unwrap();
        let pool = PoolConfig::default();
        let pooled = fingerprint(&engine(&config(Some(&pool))), true);
        assert_eq!(pooled, fingerprint(&engine(&config(Some(&pool))), true));
        assert_ne!(pooled, fingerprint(&engine(&config(None)), false));
        // The pool's size does not decide which components load.
        let smaller = PoolConfig {
            max_instances: 10,
            warm_slots: 0,
            ..pool.clone()
        };
        assert_eq!(pooled, fingerprint(&engine(&config(Some(&smaller))), true));

        // A codegen setting changes Wasmtime's part of the fingerprint.
        let mut no_epochs = config(Some(&pool));
        no_epochs.epoch_interruption(false);
        let compat = |f: &str| f.split(';').next().unwrap().to_owned();
        assert_ne!(
            compat(&pooled),
            compat(&fingerprint(&engine(&no_epochs), true))
        );
    }
}
