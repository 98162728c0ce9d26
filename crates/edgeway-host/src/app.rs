//! The served app: its components' runners and route table, built from the compiled
//! components, and held where [`Reloader::reload`] can swap it while the host serves.
//!
//! Every request reads the current app once, when it is dispatched, and keeps that `Arc`
//! to its end: a swap never touches the socket or a request in flight, which finishes on
//! the app it started on; the next request gets the new one. The old app is dropped when
//! its last request finishes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use wasmtime::component::{Component, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::config::{AppComponent, HostConfig};
use crate::dispatch::Dispatcher;
use crate::engine::HostEngine;
use crate::error::{HostError, chain};
use crate::instance::Runner;
use crate::key_value::KeyValueStores;
use crate::redis_trigger::{RedisHandlerPre, RedisRunner, RedisSubscription};
use crate::route::{RouteTable, TriggerRoute};
use crate::state::{Shared, StoreData, add_to_linker};

/// What answers HTTP requests: every component's trigger routes, with the index of its
/// runner, and one runner per component that has routes.
pub(crate) struct App {
    pub(crate) routes: RouteTable,
    pub(crate) runners: Vec<Arc<Runner>>,
}

/// The app being served, swapped whole.
pub(crate) struct Current(RwLock<Arc<App>>);

impl Current {
    pub(crate) fn new(app: App) -> Self {
        Self(RwLock::new(Arc::new(app)))
    }

    /// The app a request runs on, to its end.
    pub(crate) fn get(&self) -> Arc<App> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves `app` from the next request on.
    fn set(&self, app: App) {
        let app = Arc::new(app);
        // The old app is dropped outside the lock, once its last request lets go of it.
        let _old = std::mem::replace(
            &mut *self.0.write().unwrap_or_else(PoisonError::into_inner),
            app,
        );
    }
}

/// A Redis subscription and the runner its messages go to.
pub(crate) type Subscription = (RedisSubscription, Arc<RedisRunner>);

/// Everything that turns components into an [`App`], kept to build the next one.
pub(crate) struct Builder {
    engine: HostEngine,
    linker: Linker<StoreData>,
    stores: KeyValueStores,
    /// The host's settings; its components are those it was bound with.
    config: HostConfig,
}

impl Builder {
    /// Links WASI, `wasi:http`, `wasi:keyvalue` and `wasi:config` for `config`'s engine.
    pub(crate) fn new(
        engine: HostEngine,
        config: &HostConfig,
        stores: KeyValueStores,
    ) -> Result<Self, HostError> {
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

    /// Loads every component file once, from the compile cache or by compiling it, on a
    /// blocking thread (compiling can take seconds): one per component, in order.
    pub(crate) async fn compile(
        &self,
        components: &[AppComponent],
    ) -> Result<Vec<Component>, HostError> {
        let paths: Vec<PathBuf> = components.iter().map(|c| c.component.clone()).collect();
        let engine = self.engine.clone();
        let cache_dir = self.config.cache_dir.clone();
        let progress = self.config.progress.clone();
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

    /// Pre-instantiates each of `components` (compiled in `compiled`), and gives the app
    /// of those with trigger routes and the Redis subscriptions of the others.
    pub(crate) fn build(
        &self,
        components: &[AppComponent],
        compiled: &[Component],
    ) -> Result<(App, Vec<Subscription>), HostError> {
        let mut routes = Vec::new();
        let mut runners = Vec::new();
        let mut subscriptions = Vec::new();
        for (app, component) in components.iter().zip(compiled) {
            let link_error = |e: wasmtime::Error| HostError::Link {
                path: app.component.clone(),
                reason: chain(&e),
            };
            let pre = self.linker.instantiate_pre(component).map_err(link_error)?;
            let shared = Shared {
                key_value: Arc::new(self.stores.for_component(&app.key_value_stores)),
                variables: Arc::new(app.variables.clone()),
                log_format: self.config.log_format,
            };
            let config = &self.config;
            if !app.trigger_routes.is_empty() {
                for route in &app.trigger_routes {
                    routes.push((TriggerRoute::parse(route)?, runners.len()));
                }
                let http = ProxyPre::new(pre.clone()).map_err(link_error)?;
                runners.push(Arc::new(Runner::new(
                    http,
                    shared.clone(),
                    config.max_memory_bytes,
                    config.timeout,
                    config.reuse,
                )));
            }
            if !app.redis_subscriptions.is_empty() {
                let runner = Arc::new(RedisRunner {
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
                });
                for subscription in &app.redis_subscriptions {
                    subscriptions.push((subscription.clone(), runner.clone()));
                }
            }
        }
        let routes = RouteTable::new(routes)?;
        Ok((App { routes, runners }, subscriptions))
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
/// reloader.reload(vec![AppComponent::new("app.wasm")]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Reloader {
    builder: Arc<Builder>,
    dispatcher: Arc<Dispatcher>,
}

impl Reloader {
    pub(crate) fn new(builder: Arc<Builder>, dispatcher: Arc<Dispatcher>) -> Self {
        Self {
            builder,
            dispatcher,
        }
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
    pub async fn reload(&self, components: Vec<AppComponent>) -> Result<(), HostError> {
        let components: Vec<AppComponent> = components
            .into_iter()
            .filter(|c| !c.trigger_routes.is_empty())
            .map(|c| AppComponent {
                redis_subscriptions: Vec::new(),
                ..c
            })
            .collect();
        HostConfig {
            components: components.clone(),
            ..self.builder.config.clone()
        }
        .validate()?;
        let compiled = self.builder.compile(&components).await?;
        let (app, _) = self.builder.build(&components, &compiled)?;
        self.dispatcher.app.set(app);
        Ok(())
    }
}

/// How logs name a component: its file name.
pub(crate) fn component_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}
