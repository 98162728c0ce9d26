//! Events as the gateway handles them: CloudEvents 1.0 read from an HTTP request (binary or
//! structured mode) or a Redis message, matched against subscriptions, retried with backoff,
//! and written as dead letters and delivery logs.
//!
//! Everything here is plain Rust, so the gateway component stays thin and the rules are
//! tested natively.
#![deny(missing_docs)]

mod delivery;
mod event;
mod http;
mod redis;

pub use delivery::{
    Attempt, DEAD_LETTER_PREFIX, Outcome, Retry, dead_letter, dead_letter_key, type_matches,
};
pub use event::{Event, EventError};
pub use http::{Fallback, from_http};
pub use redis::from_redis;

#[cfg(test)]
mod tests;
