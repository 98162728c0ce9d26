//! Events: webhooks (`POST <path>/<topic>`), schedules (`POST <schedule path>/<name>`, fired
//! by the local host or a cron service) and Redis messages (Spin's Redis trigger calls the
//! `fermyon:spin/inbound-redis` export) become CloudEvents, delivered to every subscriber
//! whose source and type match. A failed delivery is retried with backoff, then written to
//! the dead letters; each attempt is one JSON log line. Replicas sharing one store claim each
//! schedule tick and each Redis CloudEvent there first, so only one of them delivers it.
use edgeway_events::{Attempt, Event, Fallback, Outcome, Retry};
use edgeway_policy::RoutePolicy;
use edgeway_policy::access_log::rfc3339;
use serde_json::json;

use crate::app::exports::fermyon::spin::inbound_redis;
use crate::problem::{self, Reply};
use crate::request::{self, Head};
use crate::{Trail, app, platform};

/// One subscription, compiled in from the manifest.
pub struct Subscription {
    /// `redis:<channel>`, `webhook:<topic>` or `schedule:<name>`.
    pub source: &'static str,
    /// Index into `app::HANDLERS`.
    pub handler: usize,
    /// Type filters; empty takes every type.
    pub types: &'static [&'static str],
    pub retry: Retry,
}

/// The webhook endpoint: `POST <path>/<topic>`, with a route's policies.
pub struct Endpoint {
    pub path: &'static str,
    pub policy: RoutePolicy<'static>,
}

/// A subscriber that did not handle an event, after its last attempt.
struct Failure {
    handler: &'static str,
    error: String,
}

/// A request for one of the event endpoints.
pub enum Call {
    Webhook(&'static Endpoint, String),
    Schedule(String),
}

/// Which event endpoint `head` is for, if any.
pub fn endpoint(head: &Head) -> Option<Call> {
    if let Some(webhook) = &app::WEBHOOK
        && let Some(topic) = last_segment(&head.path, webhook.path)
    {
        return Some(Call::Webhook(webhook, topic.to_owned()));
    }
    if app::SCHEDULE_SECRET.is_some()
        && let Some(name) = last_segment(&head.path, app::SCHEDULE_PATH)
    {
        return Some(Call::Schedule(name.to_owned()));
    }
    None
}

/// `topic` for `<prefix>/topic`.
fn last_segment<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(prefix)?.strip_prefix('/')?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

/// Answers a webhook or schedule call: 202 with the event id and who handled it, or a
/// problem naming the subscribers that failed.
pub async fn answer(
    call: Call,
    head: &Head,
    incoming: crate::edge::Incoming,
    trail: &mut Trail,
    route_headers: &mut Vec<(String, Vec<u8>)>,
) -> Result<Reply, Reply> {
    if head.method != "POST" {
        let allowed = edgeway_router::Methods::POST.allowed();
        return Err(problem::method_not_allowed(head, allowed));
    }
    let now = platform::now();
    let time = rfc3339(now.as_secs(), now.subsec_nanos());
    let (source, event) = match call {
        Call::Webhook(webhook, topic) => {
            trail.route = Some(webhook.path);
            trail.log = webhook.policy.access_log;
            let source = format!("webhook:{topic}");
            if !app::SUBSCRIPTIONS.iter().any(|s| s.source == source) {
                return Err(problem::unknown_event_source(head, "topic", &topic));
            }
            crate::admit(head, webhook.path, &webhook.policy, route_headers)?;
            let body = request::read_body(head, incoming, webhook.policy.body_limit)
                .await
                .map_err(|error| problem::body_error(head, error, webhook.policy.body_limit))?;
            trail.request_bytes = body.len() as u64;
            let fallback = Fallback {
                id: head.request_id.clone(),
                source: source.clone(),
                ty: "edgeway.webhook".into(),
                time,
            };
            let event = edgeway_events::from_http(&head.headers, body, fallback)
                .map_err(|error| problem::invalid_event(head, &error.to_string()))?;
            (source, event)
        }
        Call::Schedule(name) => {
            trail.route = Some(app::SCHEDULE_PATH);
            check_schedule_secret(head)?;
            if !app::SCHEDULES.contains(&name.as_str()) {
                return Err(problem::unknown_event_source(head, "schedule", &name));
            }
            let source = format!("schedule:{name}");
            let Some(tick) = claim_tick(head, &name, &time)? else {
                let body = json!({ "id": head.request_id, "delivered": [], "skipped": "claimed by another replica" });
                return Ok(accepted(body));
            };
            let event = Event {
                id: head.request_id.clone(),
                source: source.clone(),
                ty: "edgeway.schedule".into(),
                subject: Some(name),
                time: Some(tick),
                data_content_type: None,
                data: Vec::new(),
                extensions: Vec::new(),
            };
            (source, event)
        }
    };
    let (delivered, failures) = dispatch(&source, &event);
    if failures.is_empty() {
        let body = json!({ "id": event.id, "delivered": delivered });
        return Ok(accepted(body));
    }
    let failed: Vec<_> = failures
        .iter()
        .map(|f| json!({ "handler": f.handler, "error": f.error }))
        .collect();
    Err(problem::delivery_failed(
        head, &event.id, &delivered, failed,
    ))
}

/// A `202` with `body`.
fn accepted(body: serde_json::Value) -> Reply {
    Reply {
        status: 202,
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: body.to_string().into_bytes(),
    }
}

/// Claims this tick of schedule `name` in the shared store, so that replicas that all fire it
/// deliver it once. Returns the tick when this replica claimed it, `None` (and a log line)
/// when another replica did first.
fn claim_tick(head: &Head, name: &str, time: &str) -> Result<Option<String>, Reply> {
    let now = platform::now();
    let arrived = rfc3339(now.as_secs(), 0);
    let tick = edgeway_events::tick(head.header(edgeway_events::TICK_HEADER), arrived)
        .map_err(|error| problem::invalid_event(head, &error))?;
    let key = edgeway_events::schedule_claim_key(name, &tick);
    let claimed = platform::claim(app::DEAD_LETTERS, &key)
        .map_err(|error| problem::misconfigured(head, &error))?;
    if !claimed {
        log(&edgeway_events::skipped_tick_line(time, name, &tick));
        return Ok(None);
    }
    // The tick is this replica's now: a claim left unlisted only stays in the store, while
    // failing here would leave the tick undelivered by every replica.
    if let Err(error) = keep_claim(name, &key) {
        eprintln!("the claim of schedule {name}'s tick {tick} cannot be listed: {error}");
    }
    Ok(Some(tick))
}

/// Lists the claim `key` among schedule `name`'s latest claims and deletes the claims that
/// fall out of the list.
fn keep_claim(name: &str, key: &str) -> Result<(), String> {
    let list = edgeway_events::schedule_claims_key(name);
    let kept = platform::load(app::DEAD_LETTERS, &list)?.unwrap_or_default();
    let (kept, expired) = edgeway_events::keep_schedule_claim(&String::from_utf8_lossy(&kept), key);
    for claim in expired {
        platform::remove(app::DEAD_LETTERS, &claim)?;
    }
    platform::store(app::DEAD_LETTERS, &list, kept.as_bytes())
}

/// Schedules are fired with `authorization: Bearer <secret>`, or `?token=<secret>` for cron
/// services that can only be given a URL (the access log never shows the query).
fn check_schedule_secret(head: &Head) -> Result<(), Reply> {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let variable = app::SCHEDULE_SECRET.expect("the schedule path exists only with a secret");
    let secret = platform::once(&SECRET, || platform::variable(variable))
        .map_err(|error| problem::misconfigured(head, &error))?;
    let bearer = head
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "));
    let token = head
        .query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="));
    let presented = bearer.or(token).unwrap_or_default();
    if !secret.is_empty() && edgeway_policy::api_key::secret_matches(presented, secret) {
        Ok(())
    } else {
        Err(problem::unauthorized(
            head,
            "firing a schedule needs its secret, as a bearer token or `?token=`",
            "Bearer",
        ))
    }
}

/// Spin's Redis trigger: each message on the channel this component serves.
struct RedisTrigger;

impl inbound_redis::Guest for RedisTrigger {
    fn handle_message(message: Vec<u8>) -> Result<(), inbound_redis::Error> {
        let channel = platform::variable(app::CHANNEL_VARIABLE).map_err(|error| {
            eprintln!("a Redis message cannot be delivered: {error}");
            inbound_redis::Error::Error
        })?;
        let now = platform::now();
        let id = edgeway_policy::request_id::generate(now.as_millis() as u64, platform::random());
        let time = rfc3339(now.as_secs(), now.subsec_nanos());
        let subscription = format!("redis:{channel}");
        let carries_id = edgeway_events::carries_id(&message);
        let event = edgeway_events::from_redis(&channel, message, id, time);
        if carries_id && !claim_event(&subscription, &event)? {
            return Ok(());
        }
        let (_, failures) = dispatch(&subscription, &event);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(inbound_redis::Error::Error)
        }
    }
}

app::export!(RedisTrigger with_types_in app);

/// Claims a CloudEvent received from Redis by its id, so that replicas subscribed to the same
/// channel deliver it once: `false` (and a log line) when another replica claimed it first.
/// A claim that cannot be made fails the message rather than risk a second delivery.
fn claim_event(subscription: &str, event: &Event) -> Result<bool, inbound_redis::Error> {
    let key = edgeway_events::event_claim_key(subscription, &event.id);
    let won = platform::claim(app::DEAD_LETTERS, &key).map_err(|error| {
        eprintln!("a Redis message cannot be claimed: {error}");
        inbound_redis::Error::Error
    })?;
    if !won {
        let now = platform::now();
        let time = rfc3339(now.as_secs(), now.subsec_nanos());
        log(&edgeway_events::skipped_event_line(
            &time,
            subscription,
            &event.id,
        ));
    }
    Ok(won)
}

/// Delivers `event`, received from `source`, to each subscriber that takes its type, one
/// after another. Returns who handled it and who failed.
fn dispatch(source: &str, event: &Event) -> (Vec<&'static str>, Vec<Failure>) {
    let wit_event = to_wit(event);
    let mut delivered = Vec::new();
    let mut failures = Vec::new();
    for subscription in app::SUBSCRIPTIONS
        .iter()
        .filter(|s| s.source == source && edgeway_events::type_matches(s.types, &event.ty))
    {
        let handler = app::HANDLERS[subscription.handler];
        match deliver(subscription, event, &wit_event) {
            Ok(()) => delivered.push(handler),
            Err(error) => failures.push(Failure { handler, error }),
        }
    }
    (delivered, failures)
}

/// Delivers to one subscriber, retrying as its subscription says; after the last failed
/// attempt the event is written to the dead letters.
fn deliver(
    subscription: &Subscription,
    event: &Event,
    wit_event: &app::Event,
) -> Result<(), String> {
    let handler = app::HANDLERS[subscription.handler];
    let mut attempt = 1;
    loop {
        std::thread::sleep(subscription.retry.wait_before(attempt));
        let clock = std::time::Instant::now();
        let result = app::deliver(subscription.handler, wit_event);
        let duration_us = clock.elapsed().as_micros() as u64;
        let last = attempt >= subscription.retry.attempts;
        let outcome = match (&result, last) {
            (Ok(()), _) => Outcome::Ok,
            (Err(_), false) => Outcome::Error,
            (Err(_), true) => Outcome::DeadLetter,
        };
        let now = platform::now();
        let time = rfc3339(now.as_secs(), now.subsec_nanos());
        let line = Attempt {
            time: &time,
            event,
            subscription: subscription.source,
            handler,
            attempt,
            outcome,
            duration_us,
            error: result.as_ref().err().map(String::as_str),
        }
        .to_line();
        log(&line);
        match result {
            Ok(()) => return Ok(()),
            Err(error) if last => {
                let letter = edgeway_events::dead_letter(
                    event,
                    subscription.source,
                    handler,
                    attempt,
                    &error,
                    &time,
                );
                let key =
                    edgeway_events::dead_letter_key(now.as_millis() as u64, handler, &event.id);
                if let Err(store_error) =
                    platform::store(app::DEAD_LETTERS, &key, letter.as_bytes())
                {
                    log(&json!({ "time": time, "event_id": event.id, "handler": handler, "dead_letter_lost": store_error }).to_string());
                }
                return Err(error);
            }
            Err(_) => attempt += 1,
        }
    }
}

/// One write per line, so that concurrent lines cannot interleave.
fn log(line: &str) {
    let line = format!("{line}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

fn to_wit(event: &Event) -> app::Event {
    app::Event {
        id: event.id.clone(),
        source: event.source.clone(),
        type_: event.ty.clone(),
        subject: event.subject.clone(),
        time: event.time.clone(),
        data_content_type: event.data_content_type.clone(),
        data: event.data.clone(),
        extensions: event.extensions.clone(),
    }
}
