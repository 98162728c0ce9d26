//! The edgeway gateway's policies, as plain Rust: no Wasm, no I/O.
//!
//! The gateway component compiles the manifest's policies into `static` [`RoutePolicy`]
//! values and calls these functions in this order for each request:
//!
//! ```text
//! request id + traceparent → route → CORS (preflight answered here) → auth → rate limit
//!   → body limit → handler → CORS headers, rate-limit headers → access log
//! ```
//!
//! Everything that needs the outside world (randomness, the clock, variables, the key-value
//! store) is passed in, so each policy is tested natively.
#![deny(missing_docs)]

pub mod access_log;
pub mod api_key;
pub mod cors;
#[cfg(feature = "jwt")]
pub mod jwt;
mod policy;
pub mod rate_limit;
pub mod request_id;

pub use policy::{Auth, RoutePolicy};
