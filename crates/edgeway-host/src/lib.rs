//! A local HTTP/1.1 host for an app's components (`wasi:http` 0.2 or 0.3), with `spin up`'s
//! semantics: the runtime the edgeway CLI uses to serve an app locally.
//!
//! How a request travels (each step in its own module):
//!
//! 1. [`Host::bind`] builds the engine the way Spin does (pooling allocator
//!    with Spin's limits, including at most 32 linear memories per component,
//!    sized and kept warm by [`HostConfig::pool`]; epoch interruption;
//!    copy-on-write memory images), loads the compiled
//!    component from the cache or compiles it, links WASI 0.2 and 0.3, `wasi:http` 0.2
//!    and 0.3 and Spin's `wasi:keyvalue` (SQLite files under
//!    [`HostConfig::key_value_dir`]) and `wasi:config` (the resolved
//!    [`AppComponent::variables`]), lets outbound `wasi:http` requests reach the
//!    [`AppComponent::allowed_outbound_hosts`] only, pre-instantiates, and binds the
//!    socket (`engine`, `cache`, `state`, `key_value`, `config_store`, `outbound`).
//! 2. [`Host::serve`] accepts connections, one task each, at most
//!    [`HostConfig::max_connections`] at once (a `503` beyond), and closes a connection
//!    whose client takes longer than [`HostConfig::header_timeout`] to send a request head
//!    (`serve`, `connection`). A [`Reloader`] from [`Host::reloader`] swaps the app
//!    for a new build meanwhile; each request runs on the app it was dispatched to (`app`).
//!    An idle host moves the app onto a fresh pool and gives the old one's memory back
//!    (`idle`, `pool`).
//! 3. A request with more than one `Host` header gets `400`, as RFC 9112 asks;
//!    `/.well-known/spin/health` is answered by the host; the most specific
//!    trigger route of the app's components (one for a composed app, several
//!    for a split deployment) picks the component, as Spin's router does; a
//!    path outside every route gets `404`; otherwise Spin's `spin-*` headers
//!    are added (`dispatch`, `route`, `spin_headers`).
//! 4. For a WASI 0.2 component (`wasi:http/incoming-handler@0.2.x`) the request runs in a
//!    fresh instance (or a reused one when [`HostConfig::reuse`] > 1); a `wasi:http@0.3`
//!    component (`wasi:http/handler@0.3.x`) gets it in an instance reused as Spin 4.1 does,
//!    for many requests and several at once ([`HostConfig::instance_reuse`], `reuse`,
//!    `service`). Either way with a memory limit and a deadline, waiting for room
//!    first if the instance pool is full (`pool_room`); guest
//!    stdout/stderr go to the host's stderr as `[req <id>] line` (`instance`,
//!    `guest_output`); with [`LogFormat::Human`], the gateway's access-log lines go as
//!    short lines for a person instead (`access_log`).
//! 5. The component's response streams back. A trap before it answered gives
//!    `500`, the deadline `504`, both as `application/problem+json`
//!    (`problem`); the next request gets a fresh instance either way (a trapped
//!    `wasi:http@0.3` instance is dropped, and every request in flight on it gets the
//!    `500`).
//!
//! Besides HTTP, as Spin's other triggers and `spin aka crons` would:
//!
//! - Components with [`AppComponent::redis_subscriptions`] get each message of their
//!   Redis channels in a fresh instance (`redis_trigger`, Spin's Redis trigger).
//! - [`HostConfig::schedules`] send the app a request at every cron tick, through the
//!   same dispatch as step 3 (`schedule`).
//! - Key-value stores can live in Redis or elsewhere, as Spin's runtime config file
//!   says ([`parse_runtime_config`], [`HostConfig::key_value_backends`]); [`KeyValueStore`]
//!   reads a store from outside a component.
#![deny(missing_docs)]

mod access_log;
mod app;
mod body;
mod cache;
mod config;
mod config_store;
mod connection;
mod dispatch;
mod engine;
mod error;
mod guest_output;
mod idle;
mod instance;
mod key_value;
mod load_progress;
mod outbound;
mod pool;
mod pool_room;
mod problem;
mod redis_trigger;
mod response_check;
mod reuse;
mod route;
mod runtime_config;
mod schedule;
mod serve;
mod service;
mod spin_headers;
mod state;

pub use access_log::{LogFormat, render as render_access_log};
pub use app::Reloader;
pub use config::{AppComponent, HostConfig};
pub use error::HostError;
pub use key_value::{KeyValueBackend, KeyValueStore};
pub use load_progress::{LoadProgress, LoadStep};
pub use pool::PoolConfig;
pub use redis_trigger::RedisSubscription;
pub use reuse::{InstanceReuse, Sampled};
pub use runtime_config::parse_runtime_config;
pub use schedule::Schedule;
pub use serve::Host;
