use crate::cors::Cors;
use crate::rate_limit::RateLimit;

/// What the gateway enforces on one route: the manifest's global policies with the route's
/// own settings applied over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutePolicy<'a> {
    /// The largest request body accepted, in bytes.
    pub body_limit: u64,
    /// Who may call the route.
    pub auth: Auth<'a>,
    /// How often a caller may call it, if limited.
    pub rate_limit: Option<RateLimit>,
    /// Cross-origin access from browsers, if allowed.
    pub cors: Option<&'a Cors<'a>>,
    /// Whether each request gets a line in the access log.
    pub access_log: bool,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth<'a> {
    /// Anyone.
    None,
    /// Callers presenting one of the configured API keys.
    ApiKey,
    /// Callers presenting a valid JWT bearer token that carries every scope listed.
    Jwt {
        /// Scopes (or roles) the token must carry; empty for any valid token.
        scopes: &'a [&'a str],
    },
}
