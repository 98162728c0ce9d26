//! The edgeway section of `spin.toml`: handlers and routes, read, validated and compiled.
//!
//! Spin ignores `tool` tables, so the gateway's configuration lives under the component that
//! serves the composed app, and `spin.toml` stays the one manifest a user edits:
//!
//! ```toml
//! [component.gateway.tool.edgeway.handlers]
//! greet = { path = "components/greet" }
//!
//! [component.gateway.tool.edgeway.routes]
//! "GET /hello" = "greet"
//! "GET /hello/:name" = "greet"
//! ```
//!
//! Every mistake is reported with the file, line and column it comes from, and a hint.
#![deny(missing_docs)]

mod api_docs;
mod check;
mod describe;
mod diagnostic;
mod events;
mod gateway_source;
mod grants;
mod load;
mod model;
mod outbound;
mod policies;
mod routes;
pub mod split;
#[cfg(test)]
mod tests;
mod variables;
mod wasi;

pub use api_docs::ApiDocs;
pub use describe::{ResponseDecl, RouteMeta, check_schema, reason};
pub use diagnostic::{Diagnostic, Location, ManifestError};
pub use events::{
    CHANNEL_VARIABLE, Events, RedisTrigger, Schedule, Source, Subscription, Webhook,
    normalise_cron, parse_source,
};
pub use gateway_source::gateway_source;
pub use model::{Handler, Language, Manifest, RouteDecl};
pub use policies::{
    ApiKeySettings, AuthDecl, CorsDecl, JwtSettings, RateKeyDecl, RateLimitDecl, RouteSettings,
};
pub use variables::{AppVariable, Variables};
pub use wasi::Wasi;
