//! [`Host`]: everything that can fail happens in [`Host::bind`]; then
//! [`Host::serve`] accepts HTTP/1.1 connections until told to stop.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi_http::p2::bindings::ProxyPre;

use crate::config::HostConfig;
use crate::connection::Acceptor;
use crate::dispatch::Dispatcher;
use crate::engine::{self, HostEngine};
use crate::error::{HostError, chain};
use crate::instance::Runner;
use crate::key_value::KeyValueStores;
use crate::redis_trigger::{self, RedisHandlerPre, RedisRunner};
use crate::route::{RouteTable, TriggerRoute};
use crate::schedule::{self, Schedule};
use crate::state::{Shared, add_to_linker};

/// A bound host, ready to serve one component.
///
/// ```no_run
/// # async fn run() -> Result<(), edgeway_host::HostError> {
/// use edgeway_host::{AppComponent, Host, HostConfig};
///
/// let config = HostConfig {
///     components: vec![AppComponent::new("app.wasm")],
///     ..HostConfig::default()
/// };
/// let host = Host::bind(config).await?; // prints `Serving http://127.0.0.1:3000`
/// host.serve(async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await?;
/// # Ok(()) }
/// ```
pub struct Host {
    listener: TcpListener,
    local_addr: SocketAddr,
    dispatcher: Arc<Dispatcher>,
    /// The Redis channels to subscribe to, by server address.
    redis: HashMap<String, redis_trigger::Channels>,
    /// The requests to send on a schedule.
    schedules: Vec<Schedule>,
    /// [`HostConfig::header_timeout`].
    header_timeout: Duration,
    /// [`HostConfig::max_connections`].
    max_connections: usize,
    /// [`HostConfig::shutdown_timeout`].
    shutdown_timeout: Duration,
}

impl Host {
    /// Validates `config`, creates the key-value directory, creates the
    /// engine (pooling allocator, as Spin's),
    /// loads the component from the compile cache or compiles it (and fills
    /// the cache), pre-instantiates it and binds the listener. Everything that
    /// can fail fails here, before serving.
    ///
    /// Once bound it prints `Serving http://<addr>` on stdout (the real port
    /// when `listen` has port 0); progress notes go to stderr.
    pub async fn bind(config: HostConfig) -> Result<Host, HostError> {
        config.validate()?;
        let mut routes = Vec::new();
        let mut http_components = 0;
        for app in &config.components {
            for route in &app.trigger_routes {
                routes.push((TriggerRoute::parse(route)?, http_components));
            }
            if !app.trigger_routes.is_empty() {
                http_components += 1;
            }
        }
        let routes = RouteTable::new(routes)?;
        let stores = KeyValueStores::new(&config.key_value_dir, &config.key_value_backends, &[])?;
        let (host_engine, components) = load(&config).await?;

        let mut linker = Linker::new(&host_engine.engine);
        add_to_linker(&mut linker).map_err(|e| HostError::Link {
            path: config.components[0].component.clone(),
            reason: chain(&e),
        })?;
        let mut runners = Vec::new();
        let mut subscriptions = Vec::new();
        for (app, component) in config.components.iter().zip(&components) {
            let link_error = |e: wasmtime::Error| HostError::Link {
                path: app.component.clone(),
                reason: chain(&e),
            };
            let pre = linker.instantiate_pre(component).map_err(link_error)?;
            let shared = Shared {
                key_value: Arc::new(stores.for_component(&app.key_value_stores)),
                variables: Arc::new(app.variables.clone()),
                log_format: config.log_format,
            };
            if !app.trigger_routes.is_empty() {
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

        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| HostError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| HostError::Bind {
            addr: config.listen,
            source,
        })?;

        announce(local_addr).map_err(HostError::Stdout)?;
        Ok(Host {
            listener,
            local_addr,
            dispatcher: Arc::new(Dispatcher { routes, runners }),
            redis: redis_trigger::by_address(subscriptions),
            schedules: config.schedules,
            header_timeout: config.header_timeout,
            max_connections: config.max_connections,
            shutdown_timeout: config.shutdown_timeout,
        })
    }

    /// The address the host listens on (with the real port when `listen`
    /// had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then stops accepting connections (new ones are
    /// refused by the system), lets in-flight requests finish for up to
    /// [`HostConfig::shutdown_timeout`], closes the connections still open and returns.
    /// Meanwhile it handles the Redis messages of the components' subscriptions and fires
    /// the schedules.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), HostError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut triggers = JoinSet::new();
        for (address, channels) in self.redis {
            triggers.spawn(redis_trigger::subscribe(address, channels, stop_rx.clone()));
        }
        for schedule in self.schedules {
            let dispatcher = self.dispatcher.clone();
            triggers.spawn(schedule::run(
                schedule,
                dispatcher,
                self.local_addr,
                stop_rx.clone(),
            ));
        }
        let mut acceptor = Acceptor::new(
            self.dispatcher,
            stop_rx,
            self.header_timeout,
            self.max_connections,
        );
        let mut connections = JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, client_addr)) => {
                        acceptor.accept(stream, client_addr, &mut connections);
                    }
                    // Per-connection failures (reset before accept, out of
                    // file descriptors) must not stop the server.
                    Err(e) => {
                        eprintln!("Cannot accept a connection: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                // Reap finished connections so the set does not grow.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }

        drop(self.listener);
        eprintln!(
            "Shutting down: finishing {} open connection(s), for at most {:?}",
            connections.len(),
            self.shutdown_timeout
        );
        // Send fails only when no connection listens any more: nothing to stop.
        let _ = stop_tx.send(true);
        let finished = async {
            while connections.join_next().await.is_some() {}
            while triggers.join_next().await.is_some() {}
        };
        if tokio::time::timeout(self.shutdown_timeout, finished)
            .await
            .is_err()
        {
            eprintln!(
                "Shutdown timeout: closing {} connection(s) still open",
                connections.len()
            );
            connections.shutdown().await;
            triggers.shutdown().await;
        }
        Ok(())
    }
}

/// Loads (or compiles) every component file once, on a blocking thread: engine creation
/// probes the address space and compiling can take seconds. One compiled component per
/// component of the app, in order.
async fn load(config: &HostConfig) -> Result<(HostEngine, Vec<Component>), HostError> {
    let paths: Vec<PathBuf> = config
        .components
        .iter()
        .map(|c| c.component.clone())
        .collect();
    let cache_dir = config.cache_dir.clone();
    let progress = config.progress.clone();
    tokio::task::spawn_blocking(move || {
        let host_engine = engine::build()?;
        let mut loaded: HashMap<&PathBuf, Component> = HashMap::new();
        let mut components = Vec::new();
        for path in &paths {
            let component = match loaded.get(path) {
                Some(component) => component.clone(),
                None => crate::cache::load_or_compile(&host_engine, path, &cache_dir, &progress)?,
            };
            loaded.insert(path, component.clone());
            components.push(component);
        }
        Ok::<_, HostError>((host_engine, components))
    })
    .await
    .map_err(|e| HostError::Engine {
        reason: format!("the loading thread failed: {e}"),
    })?
}

/// How logs name a component: its file name.
fn component_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// Prints the one line on stdout that callers wait for.
fn announce(local_addr: SocketAddr) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Serving http://{local_addr}")?;
    stdout.flush()
}
