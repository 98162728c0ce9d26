//! The served app: its components' runners and route table, built from the compiled
//! components, and held where it can be swapped while the host serves: for a new build
//! ([`Reloader::reload`]) or onto a fresh instance pool after an idle period
//! ([`Current::renew`]).
//!
//! Every request reads the current app once, when it is dispatched, and keeps that `Arc`
//! to its end: a swap never touches the socket or a request in flight, which finishes on
//! the app it started on; the next request gets the new one. The old app, and with it the
//! engine and pool it was built on if they were replaced, is dropped when its last request
//! finishes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use edgeway_outbound::AllowedHosts;
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p3::bindings::ServicePre;

use crate::config::{AppComponent, HostConfig};
use crate::dispatch::Dispatcher;
use crate::engine::{self, HostEngine};
use crate::error::{HostError, chain};
use crate::instance::Runner;
use crate::key_value::KeyValueStores;
use crate::load_progress::LoadProgress;
use crate::redis_trigger::{RedisHandlerPre, RedisRunner};
use crate::response_check::ResponseCheck;
use crate::route::{RouteTable, TriggerRoute};
use crate::service::{ServiceRunner, Settings};
use crate::state::{Shared, StoreData, add_to_linker};

/// What answers HTTP requests and Redis messages: every component's trigger routes, with
/// the index of its runner, one runner per component that has routes, and one Redis
/// runner per component that has subscriptions.
pub(crate) struct App {
    pub(crate) routes: RouteTable,
    pub(crate) runners: Vec<HttpRunner>,
    /// In the order of [`Sources::redis`], which never changes while the host serves.
    pub(crate) redis_runners: Vec<Arc<RedisRunner>>,
    /// Checks answers against the app's OpenAPI document (`--check-responses`).
    pub(crate) responses: Option<ResponseCheck>,
    /// What it was built from, to build it again.
    pub(crate) sources: Sources,
}

/// What serves a component's HTTP requests, by the `wasi:http` version it exports.
#[derive(Clone)]
pub(crate) enum HttpRunner {
    /// `wasi:http/incoming-handler@0.2.x`: a fresh instance per request (Spin's WASI 0.2
    /// semantics), or one reused in turn with [`HostConfig::reuse`].
    Incoming(Arc<Runner>),
    /// `wasi:http/handler@0.3.x`: instances reused as Spin 4.1 does
    /// ([`HostConfig::instance_reuse`]).
    Service(Arc<ServiceRunner>),
}

/// The components an [`App`] is built from.
#[derive(Clone)]
pub(crate) struct Sources {
    /// Those with trigger routes, without their subscriptions.
    http: Vec<AppComponent>,
    /// Those with Redis subscriptions, without their routes.
    pub(crate) redis: Vec<AppComponent>,
}

impl Sources {
    /// Splits `components` into their HTTP and Redis sides.
    pub(crate) fn new(components: &[AppComponent]) -> Self {
        let http = components
            .iter()
            .filter(|c| !c.trigger_routes.is_empty())
            .map(|c| AppComponent {
                redis_subscriptions: Vec::new(),
                ..c.clone()
            })
            .collect();
        let redis = components
            .iter()
            .filter(|c| !c.redis_subscriptions.is_empty())
            .map(|c| AppComponent {
                trigger_routes: Vec::new(),
                ..c.clone()
            })
            .collect();
        Self { http, redis }
    }

    fn all(&self) -> Vec<AppComponent> {
        self.http.iter().chain(&self.redis).cloned().collect()
    }
}

/// The app being served, swapped whole, and what builds the next one.
pub(crate) struct Current {
    app: RwLock<Arc<App>>,
    /// Held while a new app is built, so that a reload and a renewal never interleave.
    builder: tokio::sync::Mutex<Builder>,
    /// How many times the app was taken to run something: the host is idle while this
    /// does not change.
    uses: AtomicU64,
}

impl Current {
    /// Builds the app of `components` with `builder` and serves it.
    pub(crate) async fn new(
        builder: Builder,
        components: &[AppComponent],
    ) -> Result<Self, HostError> {
        let app = builder.load(Sources::new(components)).await?;
        Ok(Self {
            app: RwLock::new(Arc::new(app)),
            builder: tokio::sync::Mutex::new(builder),
            uses: AtomicU64::new(0),
        })
    }

    /// The app a request or a message runs on, to its end.
    pub(crate) fn get(&self) -> Arc<App> {
        self.uses.fetch_add(1, Ordering::Relaxed);
        self.peek()
    }

    /// The app, without counting a use.
    pub(crate) fn peek(&self) -> Arc<App> {
        self.app
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many times [`Current::get`] was called.
    pub(crate) fn uses(&self) -> u64 {
        self.uses.load(Ordering::Relaxed)
    }

    /// Serves `app` from the next request on.
    fn set(&self, app: App) {
        let app = Arc::new(app);
        // The old app is dropped outside the lock, once its last request lets go of it.
        let _old = std::mem::replace(
            &mut *self.app.write().unwrap_or_else(PoisonError::into_inner),
            app,
        );
    }

    /// Builds the app served now again on a new engine with a fresh instance pool (its
    /// components read from the compile cache) and serves it; the old pool, and the
    /// memory its slots kept resident, is freed when the last request on it finishes.
    pub(crate) async fn renew(&self) -> Result<(), HostError> {
        let mut builder = self.builder.lock().await;
        let renewed = builder.renewed().await?;
        let quiet = LoadProgress::new(|_| {});
        let app = renewed
            .load_telling(self.peek().sources.clone(), &quiet)
            .await?;
        self.set(app);
        *builder = renewed;
        Ok(())
    }
}

/// Everything that turns components into an [`App`], kept to build the next one.
pub(crate) struct Builder {
    engine: HostEngine,
    linker: Linker<StoreData>,
    stores: KeyValueStores,
    /// The host's settings; its components are those it was bound with.
    config: HostConfig,
}

impl Builder {
    /// Creates the engine and its pool (on a blocking thread: it probes the address
    /// space) and links WASI, `wasi:http`, `wasi:keyvalue` and `wasi:config` for it.
    pub(crate) async fn new(
        config: &HostConfig,
        stores: KeyValueStores,
    ) -> Result<Self, HostError> {
        let pool = config.pool.clone();
        let engine = tokio::task::spawn_blocking(move || engine::build(&pool))
            .await
            .map_err(|e| HostError::Engine {
                reason: format!("the engine thread failed: {e}"),
            })??;
        let mut linker = Linker::new(&engine.engine);
        add_to_linker(&mut linker).map_err(|e| HostError::Link {
            path: config.components[0].component.clone(),
            reason: chain(&e),
        })?;
        Ok(Self {
            engine,
            linker,
            stores,
            config: config.clone(),
        })
    }

    /// A builder like this one on a new engine with a fresh pool; stores are shared.
    async fn renewed(&self) -> Result<Self, HostError> {
        Self::new(&self.config, self.stores.for_component(&[])).await
    }

    /// Compiles `sources` (or reads them from the compile cache, telling the host's
    /// progress) and builds their app.
    pub(crate) async fn load(&self, sources: Sources) -> Result<App, HostError> {
        self.load_telling(sources, &self.config.progress).await
    }

    async fn load_telling(
        &self,
        sources: Sources,
        progress: &LoadProgress,
    ) -> Result<App, HostError> {
        let components = sources.all();
        let compiled = self.compile(&components, progress).await?;
        self.build(sources, &compiled)
    }

    /// Loads every component file once, from the compile cache or by compiling it, on a
    /// blocking thread (compiling can take seconds): one per component, in order.
    async fn compile(
        &self,
        components: &[AppComponent],
        progress: &LoadProgress,
    ) -> Result<Vec<Component>, HostError> {
        let paths: Vec<PathBuf> = components.iter().map(|c| c.component.clone()).collect();
        let engine = self.engine.clone();
        let cache_dir = self.config.cache_dir.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || {
            let mut loaded: HashMap<&PathBuf, Component> = HashMap::new();
            let mut compiled = Vec::new();
            for path in &paths {
                let component = match loaded.get(path) {
                    Some(component) => component.clone(),
                    None => crate::cache::load_or_compile(&engine, path, &cache_dir, &progress)?,
                };
                loaded.insert(path, component.clone());
                compiled.push(component);
            }
            Ok(compiled)
        })
        .await
        .map_err(|e| HostError::Engine {
            reason: format!("the loading thread failed: {e}"),
        })?
    }

    /// Pre-instantiates each component of `sources` (compiled in `compiled`, in the order
    /// of [`Sources::all`]) and gives their app.
    fn build(&self, sources: Sources, compiled: &[Component]) -> Result<App, HostError> {
        let mut routes = Vec::new();
        let mut runners = Vec::new();
        let mut redis_runners = Vec::new();
        for (app, component) in sources.all().iter().zip(compiled) {
            let link_error = |e: wasmtime::Error| HostError::Link {
                path: app.component.clone(),
                reason: chain(&e),
            };
            let pre = self.linker.instantiate_pre(component).map_err(link_error)?;
            let shared = Shared {
                key_value: Arc::new(self.stores.for_component(&app.key_value_stores)),
                variables: Arc::new(app.variables.clone()),
                outbound: Arc::new(
                    AllowedHosts::parse(&app.allowed_outbound_hosts)
                        .expect("checked by HostConfig::check"),
                ),
                log_format: self.config.log_format,
            };
            let config = &self.config;
            if !app.trigger_routes.is_empty() {
                for route in &app.trigger_routes {
                    routes.push((TriggerRoute::parse(route)?, runners.len()));
                }
                runners.push(self.http_runner(app, &pre, shared.clone())?);
            }
            if !app.redis_subscriptions.is_empty() {
                redis_runners.push(Arc::new(RedisRunner {
                    name: component_name(&app.component),
                    pre: RedisHandlerPre::new(pre).map_err(|e| HostError::Link {
                        path: app.component.clone(),
                        reason: format!(
                            "it has Redis subscriptions but does not export \
                             fermyon:spin/inbound-redis: {}",
                            chain(&e)
                        ),
                    })?,
                    shared,
                    max_memory_bytes: config.max_memory_bytes,
                    timeout: config.timeout,
                }));
            }
        }
        Ok(App {
            routes: RouteTable::new(routes)?,
            runners,
            redis_runners,
            responses: self.config.check_responses.clone().map(ResponseCheck::new),
            sources,
        })
    }
}

impl Builder {
    /// The runner of `app`'s HTTP requests, by the `wasi:http` handler `pre` exports: exactly
    /// one of `wasi:http/incoming-handler@0.2.x` and `wasi:http/handler@0.3.x`, as Spin
    /// requires.
    fn http_runner(
        &self,
        app: &AppComponent,
        pre: &InstancePre<StoreData>,
        shared: Shared,
    ) -> Result<HttpRunner, HostError> {
        let config = &self.config;
        let link_error = |reason: &str| HostError::Link {
            path: app.component.clone(),
            reason: reason.to_owned(),
        };
        match (ProxyPre::new(pre.clone()), ServicePre::new(pre.clone())) {
            (Ok(incoming), Err(_)) => Ok(HttpRunner::Incoming(Arc::new(Runner::new(
                incoming,
                self.engine.room.clone(),
                shared,
                config.max_memory_bytes,
                config.timeout,
                config.reuse,
            )))),
            (Err(_), Ok(service)) => {
                let settings = Settings {
                    room: self.engine.room.clone(),
                    shared,
                    max_memory_bytes: config.max_memory_bytes,
                    timeout: config.timeout,
                    reuse: config.instance_reuse,
                };
                let engine = self.engine.engine.clone();
                Ok(HttpRunner::Service(Arc::new(ServiceRunner::new(
                    engine, service, settings,
                ))))
            }
            (Ok(_), Ok(_)) => Err(link_error(
                "it exports two wasi:http handlers, of 0.2 and of 0.3, as Spin refuses too",
            )),
            (Err(_), Err(_)) => Err(link_error(
                "it has trigger routes but exports no wasi:http handler",
            )),
        }
    }
}

/// Swaps the app a [`Host`](crate::Host) serves for a new build, while it serves; from
/// [`Host::reloader`](crate::Host::reloader). Cheap to clone.
///
/// ```no_run
/// # async fn run(host: edgeway_host::Host) -> Result<(), edgeway_host::HostError> {
/// use edgeway_host::AppComponent;
///
/// let reloader = host.reloader();
/// tokio::spawn(host.serve(std::future::pending()));
/// // … after the component file was rebuilt:
/// reloader.reload(vec![AppComponent::new("app.wasm")], None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Reloader {
    dispatcher: Arc<Dispatcher>,
}

impl Reloader {
    pub(crate) fn new(dispatcher: Arc<Dispatcher>) -> Self {
        Self { dispatcher }
    }

    /// Validates `components` as [`Host::bind`](crate::Host::bind) would, loads them from
    /// the compile cache or compiles them (on a blocking thread, off the serving path),
    /// pre-instantiates them with the host's engine, stores and limits, and then serves
    /// them, routes and all, from the next request on. Requests in flight finish on the
    /// app they started on; the socket stays open. On an error the app served stays as it
    /// was.
    ///
    /// Only the components' HTTP side is swapped: Redis subscriptions, and schedules, stay
    /// those the host was bound with (schedules reach the new app through its routes).
    /// `document` is the new build's OpenAPI document: a host that checks responses
    /// ([`HostConfig::check_responses`]) checks the new build's answers against it (`None`
    /// keeps the document it has); a host that does not ignores it.
    pub async fn reload(
        &self,
        components: Vec<AppComponent>,
        document: Option<serde_json::Value>,
    ) -> Result<(), HostError> {
        let current = &self.dispatcher.app;
        let mut builder = current.builder.lock().await;
        let sources = Sources {
            redis: current.peek().sources.redis.clone(),
            ..Sources::new(&components)
        };
        HostConfig {
            components: sources.all(),
            ..builder.config.clone()
        }
        .validate()?;
        let document = document.filter(|_| builder.config.check_responses.is_some());
        let previous = document.map(|new| builder.config.check_responses.replace(new));
        match builder.load(sources).await {
            Ok(app) => {
                current.set(app);
                Ok(())
            }
            Err(e) => {
                if let Some(previous) = previous {
                    builder.config.check_responses = previous;
                }
                Err(e)
            }
        }
    }
}

/// How logs name a component: its file name.
pub(crate) fn component_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}
