//! Spin's Redis trigger (`spin-trigger-redis`): components subscribed to Redis pub/sub
//! channels, each message passed to `fermyon:spin/inbound-redis#handle-message`.
//!
//! As in Spin: one connection per server address subscribes to every channel of that
//! address, and prints `Active Channels on <addr>:` with a line per channel on stdout.
//! Messages of one connection are handled one after another; for each message every
//! component subscribed to its channel runs (concurrently, all awaited before the next
//! message) in a fresh instance. A handler that returns an error or traps is logged and the
//! message is dropped: delivery is at most once. Unlike Spin, whose trigger ends when the
//! connection fails, the local host logs the failure and connects and subscribes again
//! every [`RETRY_DELAY`] (messages published meanwhile are lost, as pub/sub loses them).
//!
//! Instances get the same engine, linker, memory limit, deadline, variables and key-value
//! stores as HTTP requests; guest output is labelled with a request id of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::watch;
use wasmtime::Trap;

use crate::app::Current;
use crate::config::AppComponent;
use crate::dispatch::Dispatcher;
use crate::guest_output::RequestId;
use crate::state::{Shared, StoreData, new_store};

/// How long the host waits before connecting again after a connection failed.
pub(crate) const RETRY_DELAY: Duration = Duration::from_secs(2);

/// Host bindings for a component exporting Spin's `fermyon:spin/inbound-redis`.
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/spin-redis",
        inline: "
            package edgeway:host;
            world redis-handler {
                export fermyon:spin/inbound-redis;
            }
        ",
        world: "edgeway:host/redis-handler",
        exports: { default: async },
    });
}

pub(crate) use bindings::RedisHandlerPre;

/// One `[[trigger.redis]]` entry of a component: a channel on a Redis server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSubscription {
    /// The server, e.g. `redis://127.0.0.1:6379` (the entry's `address`, or the app's
    /// `[application.trigger.redis] address`, resolved).
    pub address: String,
    /// The channel, e.g. `orders` or `__keyevent@0__:set`.
    pub channel: String,
}

impl RedisSubscription {
    /// `channel` on the server at `address`.
    pub fn new(address: impl Into<String>, channel: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            channel: channel.into(),
        }
    }

    /// Whether the address is a Redis URL and the channel is given.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.channel.is_empty() {
            return Err(format!("has an empty channel on {}", self.address));
        }
        redis::Client::open(self.address.as_str()).map_err(|e| {
            format!(
                "has the address {:?} for channel {:?}, which is not a Redis URL \
                 (e.g. redis://127.0.0.1:6379): {e}",
                self.address, self.channel
            )
        })?;
        Ok(())
    }
}

/// Runs `handle-message` of one component in fresh instances.
pub(crate) struct RedisRunner {
    /// How logs name the component (its file name).
    pub(crate) name: String,
    pub(crate) pre: RedisHandlerPre<StoreData>,
    pub(crate) shared: Shared,
    pub(crate) max_memory_bytes: usize,
    pub(crate) timeout: Duration,
}

impl RedisRunner {
    /// Passes `payload` to a fresh instance; logs how it failed, if it did.
    async fn handle(&self, address: &str, channel: &str, payload: &Vec<u8>) {
        let id = RequestId::next();
        let deadline = Instant::now() + self.timeout;
        let mut store = new_store(
            self.pre.engine(),
            &self.shared,
            self.max_memory_bytes,
            &id,
            deadline,
        );
        let run = async {
            let handler = self.pre.instantiate_async(&mut store).await?;
            handler
                .fermyon_spin_inbound_redis()
                .call_handle_message(&mut store, payload)
                .await
        };
        let failure = match tokio::time::timeout_at(deadline.into(), run).await {
            Ok(Ok(Ok(()))) => return,
            Ok(Ok(Err(error))) => format!("returned {error:?}"),
            Ok(Err(e)) if matches!(e.downcast_ref::<Trap>(), Some(Trap::Interrupt)) => {
                format!("timed out after {:?}", self.timeout)
            }
            Ok(Err(e)) => format!("trapped: {e:#}"),
            Err(_elapsed) => format!("timed out after {:?}", self.timeout),
        };
        eprintln!(
            "{id} Redis message on {address} channel {channel:?}: component {} {failure}; \
             the message is dropped",
            self.name
        );
    }
}

/// The components subscribed to each channel of one server, as indices of
/// [`App::redis_runners`](crate::app::App::redis_runners) (the app is read anew for each message: it may have moved onto a
/// fresh pool meanwhile).
pub(crate) type Channels = BTreeMap<String, Vec<usize>>;

/// Groups the subscriptions of `components` (the app's [`Sources::redis`](crate::app::Sources::redis), in order) by
/// server address: one connection each.
pub(crate) fn by_address(components: &[AppComponent]) -> HashMap<String, Channels> {
    let mut servers: HashMap<String, Channels> = HashMap::new();
    for (runner, component) in components.iter().enumerate() {
        for subscription in &component.redis_subscriptions {
            servers
                .entry(subscription.address.clone())
                .or_default()
                .entry(subscription.channel.clone())
                .or_default()
                .push(runner);
        }
    }
    servers
}

/// Subscribes to `channels` on `address` and handles messages until `stop`, connecting
/// again after a failure.
pub(crate) async fn subscribe(
    address: String,
    channels: Channels,
    dispatcher: Arc<Dispatcher>,
    mut stop: watch::Receiver<bool>,
) {
    // The address was checked when the host was bound.
    let client = match redis::Client::open(address.as_str()) {
        Ok(client) => client,
        Err(e) => return eprintln!("Redis trigger: invalid address {address}: {e}"),
    };
    let server = client.get_connection_info().addr().to_string();
    loop {
        match listen(&client, &server, &channels, &dispatcher.app, &mut stop).await {
            Ok(Stopped) => return,
            Err(e) => eprintln!(
                "Redis trigger: {e}; connecting again in {}s",
                RETRY_DELAY.as_secs()
            ),
        }
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => return,
            () = tokio::time::sleep(RETRY_DELAY) => {}
        }
    }
}

/// `listen` ended because the host stops.
struct Stopped;

/// One connection: subscribe, then handle messages one after another.
async fn listen(
    client: &redis::Client,
    server: &str,
    channels: &Channels,
    current: &Current,
    stop: &mut watch::Receiver<bool>,
) -> Result<Stopped, String> {
    let mut pubsub = client
        .get_async_pubsub()
        .await
        .map_err(|e| format!("cannot connect to {server}: {e}"))?;
    for channel in channels.keys() {
        pubsub
            .subscribe(channel)
            .await
            .map_err(|e| format!("cannot subscribe to channel {channel:?} on {server}: {e}"))?;
    }
    let mut active = format!("Active Channels on {server}:");
    let app = current.peek();
    for (channel, runners) in channels {
        let names: Vec<&str> = runners
            .iter()
            .map(|&r| app.redis_runners[r].name.as_str())
            .collect();
        active.push_str(&format!("\n\t{server}/{channel}: [{}]", names.join(",")));
    }
    println!("{active}");
    let mut messages = pubsub.into_on_message();
    loop {
        let message = tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => return Ok(Stopped),
            message = messages.next() => message,
        };
        let Some(message) = message else {
            return Err(format!("disconnected from {server}"));
        };
        let channel = message.get_channel_name();
        let Some(indices) = channels.get(channel) else {
            eprintln!("Redis trigger: message from unexpected channel {channel:?} on {server}");
            continue;
        };
        let payload = message.get_payload_bytes().to_vec();
        let payload = &payload;
        let app = current.get();
        let runs = indices
            .iter()
            .map(|&r| app.redis_runners[r].handle(server, channel, payload));
        futures_util::future::join_all(runs).await;
    }
}
