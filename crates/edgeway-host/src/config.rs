//! [`HostConfig`]: what to serve, where, and within which limits.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use edgeway_outbound::AllowedHosts;

use crate::access_log::LogFormat;
use crate::error::HostError;
use crate::key_value::KeyValueBackend;
use crate::load_progress::LoadProgress;
use crate::pool::PoolConfig;
use crate::redis_trigger::RedisSubscription;
use crate::reuse::InstanceReuse;
use crate::schedule::Schedule;

/// The smallest memory limit that lets a component instantiate at all: one
/// 64 KiB Wasm page.
const MIN_MEMORY_BYTES: usize = 64 * 1024;

/// The largest memory limit: Spin's pooling allocator caps every linear
/// memory at 4 GiB, so a larger limit would never apply.
const MAX_MEMORY_BYTES: usize = 4 << 30;

/// One component of the app, with the `[[trigger.http]]` routes and the `[[trigger.redis]]`
/// channels that reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppComponent {
    /// The composed component (`.wasm`): it exports `wasi:http/incoming-handler@0.2.x` or
    /// `wasi:http/handler@0.3.x` (not both) if it has trigger routes, and
    /// `fermyon:spin/inbound-redis` if it has Redis subscriptions.
    pub component: PathBuf,
    /// Its Spin trigger routes, e.g. `/...`, `/api/...`, `/users/:id` or an exact
    /// `/health`. Across all components, a request goes to the most specific route that
    /// matches its path, as Spin's router does; a path no route matches gets `404`. Empty
    /// for a component that only Redis messages reach.
    pub trigger_routes: Vec<String>,
    /// The Redis channels it handles (Spin's `[[trigger.redis]]` entries naming it, with
    /// the address already resolved). Each message on a channel is passed to a fresh
    /// instance's `fermyon:spin/inbound-redis#handle-message`. Default: none.
    pub redis_subscriptions: Vec<RedisSubscription>,
    /// The stores it may open with `wasi:keyvalue/store.open` (spin.toml
    /// `key_value_stores`, e.g. `["default"]`); opening any other gives `access-denied`, as
    /// on Spin. Labels are lowercase kebab- or snake-case, e.g. `default`,
    /// `user-sessions`. Components share the stores' data.
    pub key_value_stores: Vec<String>,
    /// Its variables, already resolved (spin.toml `[variables]` and `SPIN_VARIABLE_*`), as
    /// `wasi:config/store` returns them. Names follow Spin's rules: lowercase letters,
    /// digits and single underscores, starting with a letter.
    pub variables: BTreeMap<String, String>,
    /// The hosts `wasi:http/outgoing-handler` may reach (spin.toml `allowed_outbound_hosts`,
    /// Spin's syntax, e.g. `https://api.example.com`, `http://127.0.0.1:*`); a request to any
    /// other gets `HTTP-request-denied`, as on Spin. Default: none.
    pub allowed_outbound_hosts: Vec<String>,
}

impl AppComponent {
    /// `component` on Spin's default route `/...`, with no stores and no variables.
    pub fn new(component: impl Into<PathBuf>) -> Self {
        Self {
            component: component.into(),
            trigger_routes: vec!["/...".to_owned()],
            redis_subscriptions: Vec::new(),
            key_value_stores: Vec::new(),
            variables: BTreeMap::new(),
            allowed_outbound_hosts: Vec::new(),
        }
    }
}

/// Settings for [`Host::bind`](crate::Host::bind).
///
/// `HostConfig::default()` gives Spin's defaults; set at least
/// [`components`](HostConfig::components).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    /// Address to listen on; port 0 picks a free port (see
    /// [`Host::local_addr`](crate::Host::local_addr)). Default `127.0.0.1:3000`,
    /// as `spin up`.
    pub listen: SocketAddr,
    /// The app's components: one for a composed app, one per group of routes for a split
    /// deployment. Default: none.
    pub components: Vec<AppComponent>,
    /// Directory for compiled components (`<key>.cwasm`), created if missing.
    /// Default `.edgeway/cache`.
    pub cache_dir: PathBuf,
    /// How many requests one instance of a WASI 0.2 component may serve, one after
    /// another. `1` (default) gives every request a fresh instance, which is what Spin does
    /// for WASI 0.2 components; more trades isolation for throughput. `wasi:http@0.3`
    /// components follow [`instance_reuse`](HostConfig::instance_reuse) instead.
    pub reuse: u32,
    /// How instances of a `wasi:http@0.3` component are reused: Spin 4.1's settings and
    /// defaults (128 requests per instance, 16 at once, dropped after 1 s idle). WASI 0.2
    /// components are not affected.
    pub instance_reuse: InstanceReuse,
    /// Limit for each linear memory of an instance, in bytes (Spin's
    /// per-memory semantics). Default 128 MiB.
    pub max_memory_bytes: usize,
    /// Wall-clock limit for one request, from the moment it reaches the
    /// component until the component returns (WASI 0.2) or answers (`wasi:http@0.3`,
    /// whose instance may then go on streaming the body, and working, for as long
    /// again). Default 30 s.
    pub timeout: Duration,
    /// The app's OpenAPI document, to check each answer against the response its operation
    /// declares (`edgeway up --check-responses`): violations are logged on stderr with the
    /// request id and a JSON pointer, and the answer is sent unchanged (read whole first).
    /// Default: none, nothing is checked.
    pub check_responses: Option<serde_json::Value>,
    /// Directory of the key-value stores, one SQLite file `<label>.db` per
    /// store, created when first opened. Created if missing. Default
    /// `.edgeway/key-value`.
    pub key_value_dir: PathBuf,
    /// Stores kept elsewhere, by label (Spin's runtime config file, see
    /// [`parse_runtime_config`](crate::parse_runtime_config)): another SQLite file, SQLite
    /// in memory, or Redis. Labels not listed use `key_value_dir`. Default: none.
    pub key_value_backends: BTreeMap<String, KeyValueBackend>,
    /// Requests the host sends itself on a cron schedule (through its own routes, never
    /// two runs of one schedule at once). Default: none.
    pub schedules: Vec<Schedule>,
    /// How long a client has to send a request head (the request line and headers), from
    /// the first byte it may send: a connection still without a complete head then is
    /// closed without an answer, and so is a keep-alive connection idle that long. Bounds
    /// slow-header ("slowloris") clients. Default 10 s.
    pub header_timeout: Duration,
    /// How many connections are served at once. A connection beyond the limit is answered
    /// `503` (an `application/problem+json` with `Connection: close` and `Retry-After`)
    /// and closed; while many such refusals are under way, further connections are
    /// closed at accept. Default 1024.
    pub max_connections: usize,
    /// On shutdown, how long in-flight requests may take to finish once the host stops
    /// accepting; connections still open then are closed. Zero closes them at once.
    /// Default 30 s.
    pub shutdown_timeout: Duration,
    /// How the gateway's access-log lines reach stderr: as JSON (default), or as short
    /// lines for a person ([`render_access_log`](crate::render_access_log)).
    pub log_format: LogFormat,
    /// Told when a component is compiled, or read from the compile cache, while the host
    /// loads the app. Default: a line on stderr.
    pub progress: LoadProgress,
    /// The instance pool's size, and when it gives memory back. Default: Spin's sizes,
    /// released after 60 s idle.
    pub pool: PoolConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 3000)),
            components: Vec::new(),
            cache_dir: PathBuf::from(".edgeway/cache"),
            reuse: 1,
            instance_reuse: InstanceReuse::default(),
            max_memory_bytes: 128 << 20,
            timeout: Duration::from_secs(30),
            check_responses: None,
            key_value_dir: PathBuf::from(".edgeway/key-value"),
            key_value_backends: BTreeMap::new(),
            schedules: Vec::new(),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(30),
            log_format: LogFormat::Json,
            progress: LoadProgress::default(),
            pool: PoolConfig::default(),
        }
    }
}

impl HostConfig {
    /// Checks the plain fields; routes and components are checked by the modules that parse
    /// them.
    pub(crate) fn validate(&self) -> Result<(), HostError> {
        let invalid = |field, problem: &str| {
            Err(HostError::InvalidConfig {
                field,
                problem: problem.to_owned(),
            })
        };
        if self.components.is_empty() {
            return invalid("components", "is empty: give at least one component");
        }
        for app in &self.components {
            if app.component.as_os_str().is_empty() {
                return invalid("component", "is empty: give the path of a .wasm component");
            }
            if app.trigger_routes.is_empty() && app.redis_subscriptions.is_empty() {
                return invalid(
                    "trigger_routes",
                    "is empty: give at least one route (or a Redis subscription)",
                );
            }
            for subscription in &app.redis_subscriptions {
                if let Err(problem) = subscription.check() {
                    return invalid("redis_subscriptions", &problem);
                }
            }
            for label in &app.key_value_stores {
                if let Err(problem) = check_store_label(label) {
                    return invalid(
                        "key_value_stores",
                        &format!("has the invalid label {label:?}: {problem}"),
                    );
                }
            }
            if let Err((_, problem)) = AllowedHosts::parse(&app.allowed_outbound_hosts) {
                return invalid("allowed_outbound_hosts", &problem.to_string());
            }
            for name in app.variables.keys() {
                if let Err(problem) = check_variable_name(name) {
                    return invalid(
                        "variables",
                        &format!("has the invalid name {name:?}: {problem}"),
                    );
                }
            }
        }
        if self.cache_dir.as_os_str().is_empty() {
            return invalid("cache_dir", "is empty");
        }
        if self.reuse == 0 {
            return invalid(
                "reuse",
                "must be at least 1 (1 = a fresh instance per request)",
            );
        }
        if let Err((field, problem)) = self.instance_reuse.check() {
            return invalid(field, &problem);
        }
        if !(MIN_MEMORY_BYTES..=MAX_MEMORY_BYTES).contains(&self.max_memory_bytes) {
            return invalid(
                "max_memory_bytes",
                &format!(
                    "is {}; it must be between {MIN_MEMORY_BYTES} (one Wasm page) and \
                     {MAX_MEMORY_BYTES} (4 GiB)",
                    self.max_memory_bytes
                ),
            );
        }
        for (field, duration, zero_allowed) in [
            ("timeout", self.timeout, false),
            ("header_timeout", self.header_timeout, false),
            ("shutdown_timeout", self.shutdown_timeout, true),
        ] {
            if let Err(problem) = check_duration(duration, zero_allowed) {
                return invalid(field, problem);
            }
        }
        if let Err((field, problem)) = self.pool.check() {
            return invalid(field, &problem);
        }
        let most = tokio::sync::Semaphore::MAX_PERMITS;
        if !(1..=most).contains(&self.max_connections) {
            return invalid("max_connections", &format!("must be between 1 and {most}"));
        }
        if self.key_value_dir.as_os_str().is_empty() {
            return invalid("key_value_dir", "is empty");
        }
        for label in self.key_value_backends.keys() {
            if let Err(problem) = check_store_label(label) {
                return invalid(
                    "key_value_backends",
                    &format!("has the invalid label {label:?}: {problem}"),
                );
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for schedule in &self.schedules {
            if !names.insert(schedule.name.as_str()) {
                let problem = format!("has two schedules named {:?}", schedule.name);
                return invalid("schedules", &problem);
            }
            if let Err(problem) = schedule.check() {
                return invalid("schedules", &problem);
            }
        }
        Ok(())
    }
}

/// Deadlines are `Instant::now() + duration`: refuse what would overflow later, while
/// serving.
fn check_duration(duration: Duration, zero_allowed: bool) -> Result<(), &'static str> {
    if duration.is_zero() && !zero_allowed {
        return Err("must be longer than zero");
    }
    if std::time::Instant::now().checked_add(duration).is_none() {
        return Err("is too long to compute a deadline");
    }
    Ok(())
}

/// A store label is also a file name: lowercase ASCII words of letters and
/// digits joined by single `-` or `_` (Spin's kebab- or snake-case ids),
/// starting with a letter, at most 64 bytes.
pub(crate) fn check_store_label(label: &str) -> Result<(), &'static str> {
    if label.is_empty() || label.len() > 64 {
        return Err("a label has 1 to 64 characters");
    }
    check_words(label, &['-', '_']).map_err(|()| {
        "use lowercase letters and digits in words joined by single `-` or `_`, \
         starting with a letter (e.g. `default`, `user-sessions`)"
    })
}

/// Spin's variable-name rules (`spin_expressions::Key`).
fn check_variable_name(name: &str) -> Result<(), &'static str> {
    check_words(name, &['_']).map_err(|()| {
        "variable names have lowercase letters, digits and single underscores, start \
         with a letter and end with a letter or digit (e.g. `api_url`)"
    })
}

/// Non-empty, starts with a lowercase ASCII letter, then lowercase letters,
/// digits and single `separators`, not at the end.
fn check_words(s: &str, separators: &[char]) -> Result<(), ()> {
    let mut previous_was_separator = true;
    for (i, c) in s.chars().enumerate() {
        let ok = match c {
            'a'..='z' => true,
            '0'..='9' => i > 0,
            c if separators.contains(&c) => !previous_was_separator,
            _ => false,
        };
        if !ok {
            return Err(());
        }
        previous_was_separator = separators.contains(&c);
    }
    if previous_was_separator {
        return Err(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> HostConfig {
        HostConfig {
            components: vec![AppComponent::new("app.wasm")],
            ..HostConfig::default()
        }
    }

    #[test]
    fn defaults_are_spins() {
        let config = HostConfig::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert!(config.components.is_empty());
        assert_eq!(AppComponent::new("a.wasm").trigger_routes, ["/..."]);
        assert_eq!(config.reuse, 1);
        assert_eq!(config.instance_reuse, InstanceReuse::default());
        assert_eq!(config.max_memory_bytes, 128 * 1024 * 1024);
        assert_eq!(config.timeout, Duration::from_secs(30));
        assert_eq!(config.key_value_dir, PathBuf::from(".edgeway/key-value"));
        assert_eq!(config.header_timeout, Duration::from_secs(10));
        assert_eq!(config.max_connections, 1024);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
    }

    #[test]
    fn store_labels_and_variable_names() {
        for good in ["default", "a", "user-sessions", "cache_2", "a1-b2_c3"] {
            assert_eq!(check_store_label(good), Ok(()), "{good}");
        }
        let long = "a".repeat(65);
        for bad in [
            "", "Default", "1abc", "-a", "a-", "a--b", "a/b", "..", "a.db", &long,
        ] {
            assert!(check_store_label(bad).is_err(), "{bad}");
        }
        for good in ["a", "abc", "a1b2c3", "a_1", "a_1_b_3"] {
            assert_eq!(check_variable_name(good), Ok(()), "{good}");
        }
        // Spin's own `keys_bad` list.
        for bad in ["", "aX", "1bc", "_x", "x.y", "x_", "a__b", "x-y"] {
            assert!(check_variable_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_subscriptions_backends_and_schedules() {
        let redis_only = AppComponent {
            trigger_routes: Vec::new(),
            redis_subscriptions: vec![RedisSubscription::new("redis://127.0.0.1:6379", "orders")],
            ..AppComponent::new("events.wasm")
        };
        let with = |app: AppComponent| HostConfig {
            components: vec![app],
            ..valid()
        };
        assert!(with(redis_only.clone()).validate().is_ok());
        let cases: [(HostConfig, &str, &str); 6] = [
            (
                with(AppComponent {
                    redis_subscriptions: Vec::new(),
                    ..redis_only.clone()
                }),
                "trigger_routes",
                "or a Redis subscription",
            ),
            (
                with(AppComponent {
                    redis_subscriptions: vec![RedisSubscription::new("127.0.0.1:6379", "orders")],
                    ..redis_only.clone()
                }),
                "redis_subscriptions",
                "not a Redis URL",
            ),
            (
                with(AppComponent {
                    redis_subscriptions: vec![RedisSubscription::new("redis://h", "")],
                    ..redis_only
                }),
                "redis_subscriptions",
                "empty channel",
            ),
            (
                HostConfig {
                    key_value_backends: BTreeMap::from([(
                        "Bad".to_owned(),
                        KeyValueBackend::SqliteInMemory,
                    )]),
                    ..valid()
                },
                "key_value_backends",
                "\"Bad\"",
            ),
            (
                HostConfig {
                    schedules: vec![
                        Schedule::post("tick", "* * * * * *", "/a"),
                        Schedule::post("tick", "* * * * * *", "/b"),
                    ],
                    ..valid()
                },
                "schedules",
                "two schedules named \"tick\"",
            ),
            (
                HostConfig {
                    schedules: vec![Schedule::post("tick", "60 * * * * *", "/a")],
                    ..valid()
                },
                "schedules",
                "not a cron expression",
            ),
        ];
        for (config, expected, says) in cases {
            match config.validate() {
                Err(HostError::InvalidConfig { field, problem }) => {
                    assert_eq!(field, expected, "{problem}");
                    assert!(problem.contains(says), "{problem}");
                }
                other => panic!("{expected}: expected InvalidConfig, got {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_unusable_values() {
        let component = |app: AppComponent| HostConfig {
            components: vec![AppComponent::new("app.wasm"), app],
            ..valid()
        };
        let cases: [(HostConfig, &str); 14] = [
            (HostConfig::default(), "components"),
            (component(AppComponent::new("")), "component"),
            (
                component(AppComponent {
                    trigger_routes: Vec::new(),
                    ..AppComponent::new("b.wasm")
                }),
                "trigger_routes",
            ),
            (
                HostConfig {
                    reuse: 0,
                    ..valid()
                },
                "reuse",
            ),
            (
                HostConfig {
                    max_memory_bytes: 10,
                    ..valid()
                },
                "max_memory_bytes",
            ),
            (
                HostConfig {
                    timeout: Duration::ZERO,
                    ..valid()
                },
                "timeout",
            ),
            (
                HostConfig {
                    header_timeout: Duration::ZERO,
                    ..valid()
                },
                "header_timeout",
            ),
            (
                HostConfig {
                    header_timeout: Duration::MAX,
                    ..valid()
                },
                "header_timeout",
            ),
            (
                HostConfig {
                    shutdown_timeout: Duration::MAX,
                    ..valid()
                },
                "shutdown_timeout",
            ),
            (
                HostConfig {
                    max_connections: 0,
                    ..valid()
                },
                "max_connections",
            ),
            (
                HostConfig {
                    cache_dir: PathBuf::new(),
                    ..valid()
                },
                "cache_dir",
            ),
            (
                HostConfig {
                    key_value_dir: PathBuf::new(),
                    ..valid()
                },
                "key_value_dir",
            ),
            (
                component(AppComponent {
                    key_value_stores: vec!["default".into(), "../escape".into()],
                    ..AppComponent::new("b.wasm")
                }),
                "key_value_stores",
            ),
            (
                component(AppComponent {
                    variables: BTreeMap::from([("API_URL".into(), "x".into())]),
                    ..AppComponent::new("b.wasm")
                }),
                "variables",
            ),
        ];
        for (config, expected) in cases {
            match config.validate() {
                Err(HostError::InvalidConfig { field, .. }) => assert_eq!(field, expected),
                other => panic!("{expected}: expected InvalidConfig, got {other:?}"),
            }
        }
        assert!(valid().validate().is_ok());
        let stop_at_once = HostConfig {
            shutdown_timeout: Duration::ZERO,
            ..valid()
        };
        assert!(stop_at_once.validate().is_ok());
    }
}
