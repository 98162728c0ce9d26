//! Events as the gateway handles them: CloudEvents 1.0 read from an HTTP request (binary or
//! structured mode) or a Redis message, matched against subscriptions, retried with backoff,
//! written as dead letters and delivery logs, and claimed in the shared store so that
//! replicas deliver a schedule tick or a Redis CloudEvent once between them.
//!
//! Everything here is plain Rust, so the gateway component stays thin and the rules are
//! tested natively.
#![deny(missing_docs)]

mod claim;
mod delivery;
mod event;
mod http;
mod redis;

pub use claim::{
    CLAIM_PREFIX, KEPT_SCHEDULE_CLAIMS, TICK_HEADER, event_claim_key, keep_schedule_claim,
    schedule_claim_key, schedule_claims_key, skipped_event_line, skipped_tick_line, tick, won,
};
pub use delivery::{
    Attempt, DEAD_LETTER_PREFIX, Outcome, Retry, dead_letter, dead_letter_key, type_matches,
};
pub use event::{Event, EventError};
pub use http::{Fallback, from_http};
pub use redis::{carries_id, from_redis};

#[cfg(test)]
mod tests;
