//! Per-instance host state (the `T` of `Store<T>`), the linker, and what the
//! component may reach: what Spin gives a component that declares no files or
//! environment, plus its declared key-value stores, variables and outbound hosts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use edgeway_outbound::AllowedHosts;
use wasmtime::component::{GuestTaskId, Linker, ResourceTable};
use wasmtime::{CallHook, Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
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
    /// When the current request must be finished; read by the epoch callback. `None` for an
    /// instance serving several requests at once, whose requests each have their own.
    deadline: Option<Instant>,
    /// The request being served, for guest output and host logs.
    pub(crate) current: CurrentRequest,
    /// An instance serving several requests at once: the request of each task the host
    /// started, and the task whose request `current` names.
    tasks: HashMap<GuestTaskId, RequestId>,
    labelled: Option<GuestTaskId>,
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

    /// Records that `task`, just started, serves request `id`, which from now on labels
    /// the instance's output until a host call says otherwise (see [`label_by_task`]).
    /// Task ids are reused once a task is gone: the newest request of an id wins.
    pub(crate) fn start_task(&mut self, task: GuestTaskId, id: RequestId) {
        self.current.set(id.clone());
        self.labelled = Some(task);
        self.tasks.insert(task, id);
    }
}

/// Adds every interface the component may import to `linker`.
///
/// All of WASI 0.2 and 0.3 (components built with Rust std, Python or JavaScript
/// import `wasi:cli`, `wasi:filesystem` and `wasi:sockets` even when unused, and a
/// `wasi:http@0.3` component built for `wasm32-wasip2` imports WASI 0.2 as well; Spin
/// provides them too), `wasi:http` 0.2 and 0.3, and Spin's versions of
/// `wasi:keyvalue` (`@0.2.0-draft2`) and `wasi:config`
/// (`@0.2.0-draft-2024-09-27`). Outbound requests of both `wasi:http` versions go
/// through the same [`OutboundPolicy`].
pub(crate) fn add_to_linker(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    wasmtime_wasi::p3::add_to_linker(linker)?;
    wasmtime_wasi_http::p3::add_to_linker(linker)?;
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
    store_with(engine, shared, max_memory_bytes, current, Some(deadline))
}

/// Creates a store for an instance that serves several requests, maybe at once, each with
/// its own deadline (enforced by the caller): the epoch callback only yields. Its output is
/// labelled `[instantiating]` until its first request starts, then by [`label_by_task`].
pub(crate) fn new_shared_store(
    engine: &Engine,
    shared: &Shared,
    max_memory_bytes: usize,
) -> Store<StoreData> {
    let mut store = store_with(
        engine,
        shared,
        max_memory_bytes,
        CurrentRequest::default(),
        None,
    );
    label_by_task(&mut store);
    store
}

fn store_with(
    engine: &Engine,
    shared: &Shared,
    max_memory_bytes: usize,
    current: CurrentRequest,
    deadline: Option<Instant>,
) -> Store<StoreData> {
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
        tasks: HashMap::new(),
        labelled: None,
    };
    let mut store = Store::new(engine, data);
    store.limiter(|data| &mut data.limits);
    // Once per epoch tick: past the deadline, interrupt the guest (a trap
    // the caller reports as a timeout); before it, yield to the runtime so a
    // busy guest cannot starve other requests on its worker thread.
    store.epoch_deadline_callback(|context| {
        Ok(match context.data().deadline {
            Some(deadline) if Instant::now() >= deadline => UpdateDeadline::Interrupt,
            _ => UpdateDeadline::Yield(1),
        })
    });
    store.set_epoch_deadline(1);
    store
}

/// Prepares a (new or reused) store for the next request.
pub(crate) fn begin_request(store: &mut Store<StoreData>, deadline: Instant) {
    store.data_mut().deadline = Some(deadline);
    store.set_epoch_deadline(1);
}

/// Labels the output of an instance serving several requests at once with the request of
/// the task that writes it: at every call into the host, the task at the root of the
/// current call stack (the `wasi:http/handler` call the host started, recorded by
/// [`StoreData::start_task`]) names the request. Output written through a host call (WASI
/// 0.2 `wasi:cli/stdout`, what Rust std uses on `wasm32-wasip2`) is labelled exactly; output
/// a guest streams through WASI 0.3 `wasi:cli/stdout` is written by the host later, and
/// carries the request of the most recent host call.
fn label_by_task(store: &mut Store<StoreData>) {
    store.call_hook(|mut store, hook| {
        if !matches!(hook, CallHook::CallingHost) {
            return Ok(());
        }
        let root = store.async_call_stack().ok().and_then(Iterator::last);
        let data = store.data_mut();
        if let Some(task) = root
            && data.labelled != Some(task)
            && let Some(id) = data.tasks.get(&task)
        {
            data.current.set(id.clone());
            data.labelled = Some(task);
        }
        Ok(())
    });
}
