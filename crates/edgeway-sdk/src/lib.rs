//! Write edgeway handlers in Rust.
//!
//! A handler is a plain function from a [`Request`] to a [`Response`] (or a [`Problem`] that
//! the gateway answers as `application/problem+json`), exported with [`export!`]:
//!
//! ```no_run
//! use edgeway_sdk::{Handler, Problem, Request, Response};
//!
//! struct Greet;
//!
//! impl Handler for Greet {
//!     fn handle(request: Request) -> Result<Response, Problem> {
//!         let name = request.param("name").unwrap_or("world");
//!         Ok(Response::json(200, &serde_json::json!({ "message": format!("Hello, {name}!") })))
//!     }
//! }
//!
//! edgeway_sdk::export!(Greet);
//! ```
//!
//! With the `events` feature, a handler can also receive events (queue messages, key-space
//! notifications, schedule ticks, webhooks) as CloudEvents-shaped `Event`s: implement
//! `EventHandler` too and export with `export!(T, events)`, or implement only
//! `EventHandler` and export with `export_events!(T)`. An `Err` from `deliver` makes the
//! gateway retry the event, then write it to the dead letters.
//!
//! | Macro | Implements | World (`key-value` feature: `stateful-…`) |
//! | --- | --- | --- |
//! | `export!(T)` | `Handler` | `http-handler` (`stateful-handler`) |
//! | `export!(T, events)` | `Handler`, `EventHandler` | `http-event-handler` (`stateful-event-handler`) |
//! | `export_events!(T)` | `EventHandler` | `event-handler` |
//!
//! The macro, not a feature, decides what a component exports: cargo turns a feature on for
//! every crate of a build once one crate asks for it, and a handler must not start exporting
//! events because another handler in the same build receives them.
#![deny(missing_docs)]

#[cfg(feature = "events")]
mod events;
pub mod fetch;
mod http;

/// The bindings of the widest world, `stateful-event-handler`: every type of the contract.
/// The export macros pick which of its interfaces a component exports.
#[doc(hidden)]
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "stateful-event-handler",
        pub_export_macro: true,
        default_bindings_module: "edgeway_sdk::bindings",
        generate_all,
    });
}

/// The `wasi:http@0.2.10` client interfaces [`fetch`] is built on (world `outbound-http`). A
/// component imports them only if it sends requests.
#[allow(missing_docs)]
mod wasi_http {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "outbound-http",
        generate_all,
    });
}

/// Spin's key-value store (`wasi:keyvalue@0.2.0-draft2`), with the `key-value` feature.
#[cfg(feature = "key-value")]
pub mod key_value {
    pub use crate::bindings::wasi::keyvalue::{atomics, store};
}

#[cfg(feature = "events")]
pub use bindings::exports::edgeway::gateway::events::{Event, Guest as EventHandler};
pub use bindings::exports::edgeway::gateway::handler::{
    Context, Guest as Handler, Problem, Request, Response,
};

/// What the export macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    /// The `component-type` section of the world in `$OUT_DIR/<file>`, as an array.
    macro_rules! world {
        ($(#[$attr:meta])* $name:ident, $file:literal) => {
            $(#[$attr])*
            pub const $name: [u8; include_bytes!(concat!(env!("OUT_DIR"), "/", $file)).len()] =
                *include_bytes!(concat!(env!("OUT_DIR"), "/", $file));
        };
    }

    world!(
        #[cfg(not(feature = "key-value"))]
        HTTP,
        "http-handler.bin"
    );
    world!(
        #[cfg(feature = "key-value")]
        HTTP,
        "stateful-handler.bin"
    );
    world!(
        #[cfg(not(feature = "key-value"))]
        HTTP_EVENTS,
        "http-event-handler.bin"
    );
    world!(
        #[cfg(feature = "key-value")]
        HTTP_EVENTS,
        "stateful-event-handler.bin"
    );
    world!(EVENTS, "event-handler.bin");
}

/// Exports `T` as the component's handler.
///
/// - `export!(T)`: `T` implements [`Handler`]; the component serves routes.
/// - `export!(T, events)` (feature `events`): `T` implements [`Handler`] and
///   `EventHandler`; the component serves routes and receives events.
///
/// For a component that only receives events, see `export_events!`.
#[macro_export]
macro_rules! export {
    ($ty:ident) => {
        $crate::__export_handler!($ty);
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(link_section = "component-type:edgeway-sdk:http")]
            #[doc(hidden)]
            pub static __EDGEWAY_WORLD: [u8; $crate::__private::HTTP.len()] =
                $crate::__private::HTTP;
        };
    };
    ($ty:ident, events) => {
        $crate::__export_handler!($ty);
        $crate::__export_events!($ty);
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(link_section = "component-type:edgeway-sdk:http-events")]
            #[doc(hidden)]
            pub static __EDGEWAY_WORLD: [u8; $crate::__private::HTTP_EVENTS.len()] =
                $crate::__private::HTTP_EVENTS;
        };
    };
}

/// Exports `T`, which implements [`EventHandler`], as a component that only receives
/// events (world `event-handler`; feature `events`).
///
/// ```no_run
/// use edgeway_sdk::{Event, EventHandler};
///
/// struct Orders;
///
/// impl EventHandler for Orders {
///     fn deliver(event: Event) -> Result<(), String> {
///         #[derive(serde::Deserialize)]
///         struct Order {
///             total: f64,
///         }
///         let order: Order = event.data_json()?;
///         eprintln!("order {} about {:?}: {}", event.id, event.subject, order.total);
///         Ok(())
///     }
/// }
///
/// edgeway_sdk::export_events!(Orders);
/// ```
#[cfg(feature = "events")]
#[macro_export]
macro_rules! export_events {
    ($ty:ident) => {
        $crate::__export_events!($ty);
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(link_section = "component-type:edgeway-sdk:events")]
            #[doc(hidden)]
            pub static __EDGEWAY_WORLD: [u8; $crate::__private::EVENTS.len()] =
                $crate::__private::EVENTS;
        };
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_handler {
    ($ty:ident) => {
        $crate::bindings::exports::edgeway::gateway::handler::__export_edgeway_gateway_handler_0_1_0_cabi!(
            $ty with_types_in $crate::bindings::exports::edgeway::gateway::handler
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_events {
    ($ty:ident) => {
        $crate::bindings::exports::edgeway::gateway::events::__export_edgeway_gateway_events_0_1_0_cabi!(
            $ty with_types_in $crate::bindings::exports::edgeway::gateway::events
        );
    };
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
