//! Per-instance host state (the `T` of `Store<T>`), the linker, and what the
//! component may reach: what Spin gives a component that declares no files or
//! environment, plus its declared key-value stores, variables and outbound hosts.

use std::sync::Arc;
use std::time::Instant;

use edgeway_outbound::AllowedHosts;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::access_log::LogFormat;
use crate::config_store::{self, ConfigView, Variables};
use crate::guest_output::{CurrentRequest, GuestOutput, RequestId};
use crate::key_value::{self, KeyValueStores, KeyValueView};
use crate::outbound::OutboundPolicy;

/// What all instances of the component share.
#[derive(Clone)]
pub(crate) struct Shared {
    /// The stores behind `wasi:keyvalue`.
    pub(crate) key_value: Arc<KeyValueStores>,
    /// The resolved variables behind `wasi:config`.
    pub(crate) variables: Arc<Variables>,
    /// The hosts `wasi:http/outgoing-handler` may reach.
    pub(crate) outbound: Arc<AllowedHosts>,
    /// How guest output shows the gateway's access-log lines.
    pub(crate) log_format: LogFormat,
}

/// The host state of one component instance.
pub(crate) struct StoreData {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundPolicy,
    limits: StoreLimits,
    shared: Shared,
    /// When the current request must be finished; read by the epoch callback.
    deadline: Instant,
    /// The request being served, for guest output and host logs.
    pub(crate) current: CurrentRequest,
}

impl WasiView for StoreData {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StoreData {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

impl StoreData {
    fn key_value(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            table: &mut self.table,
            stores: &self.shared.key_value,
        }
    }

    fn config(&mut self) -> ConfigView<'_> {
        ConfigView(&self.shared.variables)
    }
}

/// Adds every interface the component may import to `linker`.
///
/// All of WASI 0.2 (components built with Rust std, Python or JavaScript
/// import `wasi:cli`, `wasi:filesystem` and `wasi:sockets` even when unused;
/// Spin provides them too), `wasi:http`, and Spin's versions of
/// `wasi:keyvalue` (`@0.2.0-draft2`) and `wasi:config`
/// (`@0.2.0-draft-2024-09-27`).
pub(crate) fn add_to_linker(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    key_value::add_to_linker(linker, StoreData::key_value)?;
    config_store::add_to_linker(linker, StoreData::config)
}

/// Creates a store for one instance, with the memory limit and the deadline
/// check installed, and `id` and `deadline` as the first request's (they must be
/// set before instantiation, which may already run guest code).
pub(crate) fn new_store(
    engine: &Engine,
    shared: &Shared,
    max_memory_bytes: usize,
    id: &RequestId,
    deadline: Instant,
) -> Store<StoreData> {
    let current = CurrentRequest::default();
    current.set(id.clone());
    // Nothing is inherited: no environment, arguments, preopened directories
    // or network. Guest stdout and stderr go to the host's stderr, labelled.
    let wasi = WasiCtxBuilder::new()
        .stdout(GuestOutput(current.clone(), shared.log_format))
        .stderr(GuestOutput(current.clone(), shared.log_format))
        .build();
    let data = StoreData {
        table: ResourceTable::new(),
        wasi,
        http: WasiHttpCtx::new(),
        hooks: OutboundPolicy {
            allowed: shared.outbound.clone(),
            current: current.clone(),
        },
        limits: StoreLimitsBuilder::new()
            .memory_size(max_memory_bytes)
            .build(),
        shared: shared.clone(),
        deadline,
        current,
    };
    let mut store = Store::new(engine, data);
    store.limiter(|data| &mut data.limits);
    // Once per epoch tick: past the deadline, interrupt the guest (a trap
    // the caller reports as a timeout); before it, yield to the runtime so a
    // busy guest cannot starve other requests on its worker thread.
    store.epoch_deadline_callback(|context| {
        Ok(if Instant::now() >= context.data().deadline {
            UpdateDeadline::Interrupt
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store.set_epoch_deadline(1);
    store
}

/// Prepares a (new or reused) store for the next request.
pub(crate) fn begin_request(store: &mut Store<StoreData>, deadline: Instant) {
    store.data_mut().deadline = deadline;
    store.set_epoch_deadline(1);
}
