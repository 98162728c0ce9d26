//! Composes the edgeway gateway and its handler components into one component that exports
//! the gateway's `wasi:http` handler (WASI 0.2 or 0.3) and imports nothing but WASI, and checks
//! that it will load on Spin.
//!
//! The gateway imports each handler under a plain name (`greet`, `echo`, ...), typed as the
//! contract's `handle` function; each handler exports the contract interface. The composer
//! wires every plain-name import to its handler's `handle`, and the gateway's type-only import
//! of the contract to the first handler, so no contract import is left over. Handlers that
//! receive events are wired the same way: `<name>-deliver` to their `events.deliver`.
#![deny(missing_docs)]

mod compose;
mod grant;
mod inspect;
mod isolate;

pub use compose::{ComposeError, Handler, compose, compose_isolated};
pub use grant::{GrantError, MARKER, REGION_SIZE, write_grant};
pub use inspect::{InspectError, Inspection, inspect};
pub use isolate::{Grant, Isolation, IsolationNeeds, needs_isolation};

/// The contract interface every handler that serves routes exports.
pub const CONTRACT: &str = "edgeway:gateway/handler@0.1.0";

/// The interface every handler that receives events exports.
pub const EVENTS: &str = "edgeway:gateway/events@0.1.0";

/// Spin's Redis trigger interface, exported by a gateway that delivers events.
pub const INBOUND_REDIS: &str = "fermyon:spin/inbound-redis";

/// The most linear memories Spin's pooling allocator accepts in one component.
pub const SPIN_MAX_MEMORIES: usize = 32;
