//! [`Host`]: everything that can fail happens in [`Host::bind`]; then
//! [`Host::serve`] accepts HTTP/1.1 connections until told to stop.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::{Builder, Current, Reloader};
use crate::config::HostConfig;
use crate::connection::Acceptor;
use crate::dispatch::Dispatcher;
use crate::error::HostError;
use crate::idle;
use crate::key_value::KeyValueStores;
use crate::redis_trigger;
use crate::schedule::{self, Schedule};

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
    /// [`PoolConfig::release_after_idle`](crate::PoolConfig::release_after_idle).
    release_after_idle: Option<Duration>,
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
        let stores = KeyValueStores::new(&config.key_value_dir, &config.key_value_backends, &[])?;
        let builder = Builder::new(&config, stores).await?;
        let current = Current::new(builder, &config.components).await?;
        let redis = redis_trigger::by_address(&current.peek().sources.redis);
        // Compiling leaves the allocator holding memory the host will not use again.
        idle::trim_heap();

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
            dispatcher: Arc::new(Dispatcher { app: current }),
            redis,
            schedules: config.schedules,
            header_timeout: config.header_timeout,
            max_connections: config.max_connections,
            shutdown_timeout: config.shutdown_timeout,
            release_after_idle: config.pool.release_after_idle,
        })
    }

    /// A handle that swaps the app served for a new build while [`Host::serve`] runs.
    pub fn reloader(&self) -> Reloader {
        Reloader::new(self.dispatcher.clone())
    }

    /// The address the host listens on (with the real port when `listen`
    /// had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then stops accepting connections (new ones are
    /// refused by the system), lets in-flight requests finish for up to
    /// [`HostConfig::shutdown_timeout`], closes the connections still open and returns.
    /// Meanwhile it handles the Redis messages of the components' subscriptions, fires the
    /// schedules and, once no request came for the pool's idle period, gives the instance
    /// pool's memory back.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), HostError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut triggers = JoinSet::new();
        for (address, channels) in self.redis {
            triggers.spawn(redis_trigger::subscribe(
                address,
                channels,
                self.dispatcher.clone(),
                stop_rx.clone(),
            ));
        }
        if let Some(idle) = self.release_after_idle {
            triggers.spawn(idle::release_when_idle(
                self.dispatcher.clone(),
                idle,
                stop_rx.clone(),
            ));
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

/// Prints the one line on stdout that callers wait for.
fn announce(local_addr: SocketAddr) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Serving http://{local_addr}")?;
    stdout.flush()
}
