//! Events in the manifest: subscriptions (which handler receives which events, and how
//! failed deliveries are retried), schedules, the webhook endpoint, and the Redis triggers
//! that carry messages to the app on Spin.
use std::collections::BTreeMap;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::check::Checker;
use crate::policies::{RawSettings, RouteSettings};
use crate::{Handler, Location};

/// The variable that tells a Spin component serving Redis messages which channel it serves:
/// Spin passes a message's payload but not its channel.
pub const CHANNEL_VARIABLE: &str = "edgeway_channel";

/// The app's events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Events {
    /// Who receives what, in manifest order.
    pub subscriptions: Vec<Subscription>,
    /// Cron schedules, in manifest order.
    pub schedules: Vec<Schedule>,
    /// The webhook endpoint, when a subscription has a `webhook:` source.
    pub webhook: Option<Webhook>,
    /// Where schedules are fired over HTTP: `POST <schedule_path>/<name>`.
    pub schedule_path: String,
    /// The gateway variable holding the bearer secret of the schedule path.
    pub schedule_secret: Option<String>,
    /// The key-value store dead letters are written to.
    pub dead_letters: String,
    /// Spin's Redis triggers that deliver to the app (`[[trigger.redis]]`).
    pub redis: Vec<RedisTrigger>,
    /// `[application.trigger.redis] address`, a template.
    pub redis_address: Option<String>,
}

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A Redis pub/sub channel (key-space notifications included).
    Redis(String),
    /// `POST <webhook path>/<topic>`.
    Webhook(String),
    /// A schedule declared in the manifest.
    Schedule(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Redis(channel) => write!(f, "redis:{channel}"),
            Source::Webhook(topic) => write!(f, "webhook:{topic}"),
            Source::Schedule(name) => write!(f, "schedule:{name}"),
        }
    }
}

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Where its events come from.
    pub source: Source,
    /// The handler that receives them.
    pub handler: String,
    /// Event types it takes (a trailing `*` takes a prefix); empty takes all.
    pub types: Vec<String>,
    /// Deliveries in all, the first included.
    pub attempts: u32,
    /// The wait before the second attempt, in milliseconds; later waits double.
    pub backoff_ms: u64,
    /// Where it is declared.
    pub location: Location,
}

/// A cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Its name (`schedule:<name>` in subscriptions).
    pub name: String,
    /// The expression with seconds: `sec min hour day-of-month month day-of-week [year]`.
    pub cron: String,
    /// Where it is declared.
    pub location: Location,
}

/// The webhook endpoint: `POST <path>/<topic>`, with a route's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The path before the topic (`/events`).
    pub path: String,
    /// Its policies: the app's defaults with the `webhook` table's settings applied.
    pub settings: RouteSettings,
}

/// A `[[trigger.redis]]` whose component serves the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTrigger {
    /// The channel.
    pub channel: String,
    /// The Spin component.
    pub component: String,
    /// The trigger's own address template, if it overrides the app's.
    pub address: Option<String>,
    /// The component's key-value stores.
    pub key_value_stores: Vec<String>,
    /// The component's variables (templates).
    pub variables: BTreeMap<String, String>,
}

impl Events {
    /// The subscriptions to `source`, in manifest order.
    pub fn subscribers<'a>(&'a self, source: &'a Source) -> impl Iterator<Item = &'a Subscription> {
        self.subscriptions
            .iter()
            .filter(move |s| &s.source == source)
    }

    /// Whether `handler` receives events.
    pub fn is_subscriber(&self, handler: &str) -> bool {
        self.subscriptions.iter().any(|s| s.handler == handler)
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEvents {
    webhook: Option<Spanned<toml::Table>>,
    schedule_path: Option<Spanned<String>>,
    schedule_secret: Option<Spanned<String>>,
    dead_letters: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubscription {
    source: Spanned<String>,
    handler: Spanned<String>,
    #[serde(default)]
    types: Vec<String>,
    retry: Option<Spanned<RawRetry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    attempts: Option<u32>,
    backoff: Option<String>,
}

/// A `[[trigger.redis]]`, as written.
#[derive(Deserialize)]
pub(crate) struct RawRedisTrigger {
    channel: String,
    component: String,
    address: Option<String>,
}

/// A Spin component's source, key-value stores and variables (templates).
pub(crate) type SpinComponent = (Option<String>, Vec<String>, BTreeMap<String, String>);

/// The parts of the manifest events are checked against.
pub(crate) struct EventContext<'a> {
    pub handlers: &'a [Handler],
    pub defaults: &'a RouteSettings,
    pub component_id: &'a str,
    pub component_offset: usize,
    pub output: &'a std::path::Path,
    pub stores: &'a [String],
    pub variables: &'a [String],
    pub components: &'a IndexMap<String, SpinComponent>,
}

const DEFAULT_ATTEMPTS: u32 = 3;
const DEFAULT_BACKOFF_MS: u64 = 100;
const MAX_ATTEMPTS: u32 = 10;

pub(crate) fn check_events(
    checker: &mut Checker<'_>,
    context: &EventContext<'_>,
    raw: Option<Spanned<RawEvents>>,
    raw_schedules: IndexMap<Spanned<String>, Spanned<String>>,
    raw_subscriptions: Vec<Spanned<RawSubscription>>,
    redis_triggers: Vec<Spanned<RawRedisTrigger>>,
    redis_address: Option<String>,
) -> Events {
    let events_offset = raw
        .as_ref()
        .map_or(context.component_offset, |r| r.span().start);
    let raw = raw.map(Spanned::into_inner).unwrap_or_default();
    // Declared names, the invalid included, so a bad expression is reported once.
    let declared: Vec<String> = raw_schedules.keys().map(|k| k.get_ref().clone()).collect();
    let schedules = check_schedules(checker, raw_schedules);
    let subscriptions = check_subscriptions(checker, context, &declared, raw_subscriptions);
    for schedule in &schedules {
        if !subscriptions
            .iter()
            .any(|s| s.source == Source::Schedule(schedule.name.clone()))
        {
            checker.error_at(
                schedule.location.clone(),
                format!("schedule `{}` has no subscriber", schedule.name),
                Some(format!(
                    "subscribe a handler: source = \"schedule:{}\"",
                    schedule.name
                )),
            );
        }
    }
    let mut events = Events {
        subscriptions,
        schedules,
        webhook: None,
        schedule_path: "/_edgeway/schedules".into(),
        schedule_secret: None,
        dead_letters: "default".into(),
        redis: Vec::new(),
        redis_address,
    };
    if let Some(path) = raw.schedule_path {
        match check_prefix(path.get_ref()) {
            Ok(()) => events.schedule_path = path.get_ref().trim_end_matches('/').to_owned(),
            Err(message) => checker.error(
                path.span().start,
                format!("`schedule_path` {message}"),
                None,
            ),
        }
    }
    let webhook_used = events
        .subscriptions
        .iter()
        .any(|s| matches!(s.source, Source::Webhook(_)));
    match raw.webhook {
        Some(table) => {
            let offset = table.span().start;
            events.webhook = check_webhook(checker, offset, table.into_inner(), context.defaults);
        }
        None if webhook_used => {
            events.webhook = Some(Webhook {
                path: "/events".into(),
                settings: context.defaults.clone(),
            });
        }
        None => {}
    }
    if let Some(store) = raw.dead_letters {
        events.dead_letters = store.get_ref().clone();
    }
    let component = context.component_id;
    if !events.subscriptions.is_empty() && !context.stores.contains(&events.dead_letters) {
        checker.error(
            events_offset,
            format!(
                "dead letters are written to the key-value store `{}`, which component `{component}` does not have",
                events.dead_letters
            ),
            Some(format!("add `key_value_stores = [\"{}\"]` to the component", events.dead_letters)),
        );
    }
    match raw.schedule_secret {
        Some(secret) => {
            if !context.variables.iter().any(|v| v == secret.get_ref()) {
                let name = secret.get_ref();
                checker.error(
                    secret.span().start,
                    format!("`schedule_secret` names the variable `{name}`, which component `{component}` does not have"),
                    Some(format!(
                        "add `{name} = \"{{{{ {name} }}}}\"` under [component.{component}.variables], and `{name} = {{ required = true, secret = true }}` under [variables]"
                    )),
                );
            }
            events.schedule_secret = Some(secret.into_inner());
        }
        None if !events.schedules.is_empty() => checker.error(
            events_offset,
            "schedules are fired through a path protected by a secret, but `schedule_secret` is not set".into(),
            Some(format!(
                "add `schedule_secret = \"schedule_secret\"` under [component.{component}.tool.edgeway.events], naming a variable of the component"
            )),
        ),
        None => {}
    }
    events.redis = check_redis(checker, context, &events, redis_triggers);
    events
}

fn check_schedules(
    checker: &mut Checker<'_>,
    raw: IndexMap<Spanned<String>, Spanned<String>>,
) -> Vec<Schedule> {
    let mut schedules = Vec::new();
    for (name, expression) in raw {
        let offset = name.span().start;
        if !is_name(name.get_ref()) {
            checker.error(
                offset,
                format!("schedule name `{}` cannot be used", name.get_ref()),
                Some("use letters, digits, `-` and `_`".into()),
            );
            continue;
        }
        match normalise_cron(expression.get_ref()) {
            Ok(cron) => schedules.push(Schedule {
                name: name.into_inner(),
                cron,
                location: checker.location(offset),
            }),
            Err(message) => checker.error(
                expression.span().start,
                format!("schedule `{}`: {message}", name.get_ref()),
                Some("write 5 fields (`*/5 * * * *`: minute hour day month weekday) or 6 with seconds first (`*/10 * * * * *`)".into()),
            ),
        }
    }
    schedules
}

/// A cron expression with seconds: 5 fields get `0` seconds in front; the result must parse.
/// Days of the week are numbered as in Unix cron (0 or 7 is Sunday, 1 Monday) and written
/// out for the `cron` crate, which numbers Sunday 1.
pub fn normalise_cron(expression: &str) -> Result<String, String> {
    let mut fields: Vec<String> = expression.split_whitespace().map(str::to_owned).collect();
    let day_of_week = match fields.len() {
        5 => {
            fields.insert(0, "0".into());
            5
        }
        6 | 7 => 5,
        n => {
            return Err(format!(
                "`{expression}` has {n} fields; cron expressions have 5 or 6"
            ));
        }
    };
    fields[day_of_week] = cron_days(&fields[day_of_week])
        .map_err(|reason| format!("`{expression}`: day of the week {reason}"))?;
    let cron = fields.join(" ");
    cron::Schedule::from_str(&cron)
        .map_err(|error| format!("`{expression}` is not a cron expression: {error}"))?;
    Ok(cron)
}

/// A day-of-week field from Unix numbering (0–7, Sunday 0 or 7) to the `cron` crate's (1–7,
/// Sunday 1). Names (`MON-FRI`) and `*` stay as written.
fn cron_days(field: &str) -> Result<String, String> {
    let day = |text: &str| -> Result<Option<u32>, String> {
        match text.parse::<u32>() {
            Ok(day @ 0..=7) => Ok(Some(day)),
            Ok(day) => Err(format!("`{day}` is not 0 to 7")),
            Err(_) => Ok(None),
        }
    };
    let items: Result<Vec<String>, String> = field
        .split(',')
        .map(|item| {
            let (range, step) = match item.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (item, None),
            };
            let step = step.map_or(String::new(), |s| format!("/{s}"));
            let shifted = match range.split_once('-') {
                Some((from, to)) => match (day(from)?, day(to)?) {
                    (Some(from), Some(7)) if step.is_empty() && from > 0 => {
                        format!("{}-7,1", from + 1)
                    }
                    (Some(0), Some(7)) => format!("1-7{step}"),
                    (Some(_), Some(7)) => {
                        return Err(format!("`{item}`: end the range at 6, or list Sunday as 0"));
                    }
                    (Some(from), Some(to)) => format!("{}-{}{step}", from + 1, to + 1),
                    _ => format!("{range}{step}"),
                },
                None => match day(range)? {
                    Some(day) => format!("{}{step}", day % 7 + 1),
                    None => format!("{range}{step}"),
                },
            };
            Ok(shifted)
        })
        .collect();
    Ok(items?.join(","))
}

fn check_subscriptions(
    checker: &mut Checker<'_>,
    context: &EventContext<'_>,
    schedules: &[String],
    raw: Vec<Spanned<RawSubscription>>,
) -> Vec<Subscription> {
    let mut subscriptions = Vec::new();
    for entry in raw {
        let offset = entry.span().start;
        let entry = entry.into_inner();
        let source = match parse_source(entry.source.get_ref()) {
            Ok(source) => source,
            Err(message) => {
                checker.error(
                    entry.source.span().start,
                    message,
                    Some("write `redis:<channel>`, `webhook:<topic>` or `schedule:<name>`".into()),
                );
                continue;
            }
        };
        if let Source::Schedule(name) = &source
            && !schedules.contains(name)
        {
            checker.error(
                entry.source.span().start,
                format!("subscription to `schedule:{name}`, but no schedule is called `{name}`"),
                Some(format!(
                    "declare it: [component.{}.tool.edgeway.schedules] {name} = \"*/5 * * * *\"",
                    context.component_id
                )),
            );
        }
        let handler = entry.handler.get_ref();
        // The gateway imports a subscriber's `deliver` as `<handler>-deliver`.
        let import = format!("{handler}-deliver");
        if context.handlers.iter().any(|h| h.name == import) {
            checker.error(
                entry.handler.span().start,
                format!("`{handler}` receives events, and a handler is called `{import}`: their imports in the gateway would share a name"),
                Some(format!("rename the handler `{import}`")),
            );
        }
        if !context.handlers.iter().any(|h| &h.name == handler) {
            checker.error(
                entry.handler.span().start,
                format!(
                    "subscription to `{source}` names handler `{handler}`, which is not declared"
                ),
                Some(format!(
                    "declare it under [component.{}.tool.edgeway.handlers]",
                    context.component_id
                )),
            );
        }
        if entry
            .types
            .iter()
            .any(|t| t.trim().is_empty() || t.trim_end_matches('*').contains('*'))
        {
            checker.error(
                offset,
                "`types` must be event types, with at most one `*` at the end".into(),
                None,
            );
        }
        let (attempts, backoff_ms) = match &entry.retry {
            None => (DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS),
            Some(retry) => {
                let attempts = retry.get_ref().attempts.unwrap_or(DEFAULT_ATTEMPTS);
                if !(1..=MAX_ATTEMPTS).contains(&attempts) {
                    checker.error(
                        retry.span().start,
                        format!("`retry.attempts` must be 1 to {MAX_ATTEMPTS}, not {attempts}"),
                        None,
                    );
                }
                let backoff = match &retry.get_ref().backoff {
                    None => DEFAULT_BACKOFF_MS,
                    Some(text) => parse_millis(text).unwrap_or_else(|message| {
                        checker.error(
                            retry.span().start,
                            format!("`retry.backoff`: {message}"),
                            None,
                        );
                        DEFAULT_BACKOFF_MS
                    }),
                };
                (attempts, backoff)
            }
        };
        if let Some(earlier) = subscriptions
            .iter()
            .find(|s: &&Subscription| s.source == source && &s.handler == handler)
        {
            checker.error(
                offset,
                format!(
                    "`{handler}` is subscribed to `{source}` twice (first at line {})",
                    earlier.location.line
                ),
                Some("list every type in one subscription's `types`".into()),
            );
        }
        subscriptions.push(Subscription {
            source,
            handler: handler.clone(),
            types: entry.types,
            attempts,
            backoff_ms,
            location: checker.location(offset),
        });
    }
    subscriptions
}

/// `redis:<channel>`, `webhook:<topic>` or `schedule:<name>`.
pub fn parse_source(text: &str) -> Result<Source, String> {
    let (kind, name) = text
        .split_once(':')
        .ok_or_else(|| format!("source `{text}` has no kind"))?;
    if name.is_empty() {
        return Err(format!("source `{text}` names nothing after `{kind}:`"));
    }
    match kind {
        "redis" if !name.contains(char::is_whitespace) => Ok(Source::Redis(name.to_owned())),
        "webhook" if is_name(name) => Ok(Source::Webhook(name.to_owned())),
        "schedule" if is_name(name) => Ok(Source::Schedule(name.to_owned())),
        "redis" | "webhook" | "schedule" => Err(format!(
            "source `{text}`: `{name}` cannot be used as a {kind} name"
        )),
        _ => Err(format!("source `{text}` has unknown kind `{kind}`")),
    }
}

/// Topic and schedule names: one path segment that needs no escaping.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name != "."
        && name != ".."
}

/// `"250ms"`, `"2s"`, `"1m"` to milliseconds.
fn parse_millis(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration"))?;
    let unit = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        _ => {
            return Err(format!(
                "`{text}` is not a duration; write e.g. \"250ms\", \"2s\" or \"1m\""
            ));
        }
    };
    Ok(number.saturating_mul(unit))
}

/// A path prefix: starts with `/`, plain segments only.
fn check_prefix(path: &str) -> Result<(), String> {
    let trimmed = path.trim_end_matches('/');
    if !path.starts_with('/') || trimmed.is_empty() {
        return Err(format!("must be a path such as \"/events\", not `{path}`"));
    }
    if trimmed[1..].split('/').all(is_name) {
        Ok(())
    } else {
        Err(format!(
            "`{path}` may only have plain segments (letters, digits, `-`, `_`, `.`)"
        ))
    }
}

fn check_webhook(
    checker: &mut Checker<'_>,
    offset: usize,
    mut table: toml::Table,
    defaults: &RouteSettings,
) -> Option<Webhook> {
    let path = match table.remove("path") {
        None => "/events".to_owned(),
        Some(toml::Value::String(path)) => path,
        Some(_) => {
            checker.error(offset, "`webhook.path` must be a string".into(), None);
            return None;
        }
    };
    if let Err(message) = check_prefix(&path) {
        checker.error(offset, format!("`webhook.path` {message}"), None);
        return None;
    }
    let settings = toml::Value::Table(table)
        .try_into::<RawSettings>()
        .map_err(|e| e.message().trim().to_owned())
        .and_then(|raw| raw.apply(defaults));
    match settings {
        Ok(settings) => Some(Webhook {
            path: path.trim_end_matches('/').to_owned(),
            settings,
        }),
        Err(message) => {
            checker.error(offset, format!("`webhook`: {message}"), Some("the webhook takes `path` and a route's policies (auth, scopes, rate_limit, body_limit, cors, access_log)".into()));
            None
        }
    }
}

fn check_redis(
    checker: &mut Checker<'_>,
    context: &EventContext<'_>,
    events: &Events,
    raw: Vec<Spanned<RawRedisTrigger>>,
) -> Vec<RedisTrigger> {
    let output = context.output.to_string_lossy().into_owned();
    let mut triggers = Vec::new();
    for trigger in raw {
        let offset = trigger.span().start;
        let trigger = trigger.into_inner();
        let Some((source, stores, variables)) = context.components.get(&trigger.component) else {
            continue;
        };
        if source.as_deref() != Some(output.as_str()) {
            continue;
        }
        if variables.get(CHANNEL_VARIABLE) != Some(&trigger.channel) {
            checker.error(
                offset,
                format!(
                    "component `{}` serves the app on Redis channel `{}`, but its `{CHANNEL_VARIABLE}` variable is not that channel",
                    trigger.component, trigger.channel
                ),
                Some(format!(
                    "add `{CHANNEL_VARIABLE} = \"{}\"` under [component.{}.variables]",
                    trigger.channel, trigger.component
                )),
            );
        }
        if trigger.address.is_none() && events.redis_address.is_none() {
            checker.error(
                offset,
                format!("the Redis trigger on `{}` has no server address", trigger.channel),
                Some("add [application.trigger.redis] address = \"redis://127.0.0.1:6379\" (or a variable: \"{{ redis_address }}\")".into()),
            );
        }
        if !events.subscriptions.is_empty() && !stores.contains(&events.dead_letters) {
            checker.error(
                offset,
                format!(
                    "component `{}` delivers events and writes dead letters to the store `{}`, which it does not have",
                    trigger.component, events.dead_letters
                ),
                Some(format!("add `key_value_stores = [\"{}\"]` to component `{}`", events.dead_letters, trigger.component)),
            );
        }
        triggers.push(RedisTrigger {
            channel: trigger.channel,
            component: trigger.component,
            address: trigger.address,
            key_value_stores: stores.clone(),
            variables: variables.clone(),
        });
    }
    for subscription in &events.subscriptions {
        let Source::Redis(channel) = &subscription.source else {
            continue;
        };
        if !triggers.iter().any(|t| &t.channel == channel) {
            let component = format!(
                "events-{}",
                channel
                    .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
                    .trim_matches('-')
                    .to_ascii_lowercase()
            );
            checker.error_at(
                subscription.location.clone(),
                format!("subscription to `redis:{channel}`, but no `[[trigger.redis]]` delivers that channel to the app"),
                Some(format!(
                    "add [[trigger.redis]] channel = \"{channel}\", component = \"{component}\"; and [component.{component}] source = \"{output}\", key_value_stores = [\"{}\"], variables = {{ {CHANNEL_VARIABLE} = \"{channel}\" }}",
                    events.dead_letters
                )),
            );
        }
    }
    triggers
}

/// Whether the webhook or schedule paths collide with a route: the gateway answers them
/// before routing, so such a route could never be reached.
pub(crate) fn check_paths(checker: &mut Checker<'_>, events: &Events, routes: &crate::Manifest) {
    let router = routes.router();
    let mut paths = Vec::new();
    if let Some(webhook) = &events.webhook {
        paths.push((format!("{}/topic", webhook.path), "the webhook path"));
    }
    if !events.schedules.is_empty() {
        paths.push((
            format!("{}/name", events.schedule_path),
            "the schedule path",
        ));
    }
    for (path, what) in paths {
        if let Ok(found) = router.at("POST", &path) {
            let decl = &routes.routes[*found.value];
            checker.error_at(
                decl.location.clone(),
                format!(
                    "route `{}` overlaps {what} (`POST {}/...`), which the gateway answers first",
                    decl.pattern,
                    path.rsplit_once('/').map_or("", |p| p.0)
                ),
                Some("move the route, or set another path in the `events` table".into()),
            );
        }
    }
}
