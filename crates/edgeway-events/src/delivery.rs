//! Delivering an event to a subscriber: which types a subscription takes, how often and
//! when a failed delivery is tried again, the log line of each attempt, and the dead letter
//! written after the last one.
use std::time::Duration;

use serde_json::json;

use crate::event::Event;

/// How a subscription retries a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Deliveries in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; each later wait doubles it.
    pub backoff_ms: u64,
}

/// No wait is longer than this, however many attempts a subscription allows.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

impl Retry {
    /// The wait before attempt `attempt` (1-based): none before the first.
    pub fn wait_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let factor = 1u64.checked_shl(attempt - 2).unwrap_or(u64::MAX);
        Duration::from_millis(self.backoff_ms.saturating_mul(factor)).min(LONGEST_WAIT)
    }
}

/// Whether a subscription with these type filters takes an event of type `ty`: no filters
/// take every type; a filter ending in `*` takes the types it prefixes.
pub fn type_matches(filters: &[&str], ty: &str) -> bool {
    filters.is_empty()
        || filters.iter().any(|filter| match filter.strip_suffix('*') {
            Some(prefix) => ty.starts_with(prefix),
            None => *filter == ty,
        })
}

/// How one attempt went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler handled the event.
    Ok,
    /// The handler failed; the delivery will be tried again.
    Error,
    /// The handler failed the last attempt; the event went to the dead letters.
    DeadLetter,
}

/// One delivery attempt, as logged.
pub struct Attempt<'a> {
    /// When it ended, RFC 3339.
    pub time: &'a str,
    /// The event.
    pub event: &'a Event,
    /// The subscription's source (`webhook:orders`): where edgeway received the event, which
    /// the event's own `source` need not say.
    pub subscription: &'a str,
    /// The subscriber.
    pub handler: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// How it went.
    pub outcome: Outcome,
    /// How long the handler took.
    pub duration_us: u64,
    /// The handler's error, if it failed.
    pub error: Option<&'a str>,
}

impl Attempt<'_> {
    /// The attempt as one JSON line (without the newline).
    pub fn to_line(&self) -> String {
        let mut line = json!({
            "time": self.time,
            "event_id": self.event.id,
            "source": self.event.source,
            "type": self.event.ty,
            "subscription": self.subscription,
            "handler": self.handler,
            "attempt": self.attempt,
            "outcome": match self.outcome {
                Outcome::Ok => "ok",
                Outcome::Error => "error",
                Outcome::DeadLetter => "dead-letter",
            },
            "duration_us": self.duration_us,
        });
        if let Some(error) = self.error {
            line["error"] = error.into();
        }
        line.to_string()
    }
}

/// What every dead letter's key starts with.
pub const DEAD_LETTER_PREFIX: &str = "edgeway:dead-letter:";

/// The key of a dead letter: sorted by time when listed, unique per event and handler.
pub fn dead_letter_key(unix_ms: u64, handler: &str, event_id: &str) -> String {
    format!("{DEAD_LETTER_PREFIX}{unix_ms:013}:{handler}:{event_id}")
}

/// The dead letter of an event `handler` failed `attempts` times, the last time with
/// `error`: the event in structured mode and what happened to it, as JSON.
pub fn dead_letter(
    event: &Event,
    subscription: &str,
    handler: &str,
    attempts: u32,
    error: &str,
    failed_at: &str,
) -> String {
    json!({
        "handler": handler,
        "source": subscription,
        "attempts": attempts,
        "error": error,
        "failed_at": failed_at,
        "event": event.to_json(),
    })
    .to_string()
}
