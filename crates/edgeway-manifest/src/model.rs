use std::path::PathBuf;

use edgeway_router::{Methods, Router};

use crate::Location;
use crate::policies::{ApiKeySettings, AuthDecl, JwtSettings, RouteSettings};

/// A validated edgeway application.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Where the manifest was read from.
    pub path: PathBuf,
    /// `[application] name`.
    pub app_name: String,
    /// The id of the Spin component that serves the composed app (the one with the
    /// `tool.edgeway` table).
    pub component_id: String,
    /// The route of that component's `[[trigger.http]]` (`/...` when it has none).
    pub trigger_route: String,
    /// The `source` of that component, relative to the manifest: where the build writes the
    /// composed app.
    pub output: PathBuf,
    /// The handlers, in manifest order.
    pub handlers: Vec<Handler>,
    /// The routes, in manifest order.
    pub routes: Vec<RouteDecl>,
    /// Whether requests that match no route are written to the access log.
    pub access_log: bool,
    /// The app-wide CORS policy (`policies.cors`), which also covers the gateway's own
    /// answers to requests that match no route, so browsers can read those problems too.
    pub cors: Option<crate::CorsDecl>,
    /// Where API keys come from, if a route needs one.
    pub api_key: Option<ApiKeySettings>,
    /// How JWTs are checked, if a route needs one.
    pub jwt: Option<JwtSettings>,
    /// The key-value stores the component may open (`key_value_stores`).
    pub key_value_stores: Vec<String>,
    /// The hosts the component may call (`allowed_outbound_hosts`), as written.
    pub allowed_outbound_hosts: Vec<String>,
    /// The app's variables and the component's templates over them.
    pub variables: crate::Variables,
    /// How the API is described, and where the gateway serves the description.
    pub api: crate::ApiDocs,
    /// Subscriptions, schedules, the webhook endpoint and the Redis triggers.
    pub events: crate::Events,
    /// The `wasi:http` version the composed app exports (`wasi`; `edgeway build --wasi`
    /// overrides it).
    pub wasi: crate::Wasi,
}

/// A handler component named in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// The handler's name: a WIT identifier, used as the gateway's import name.
    pub name: String,
    /// Its source folder, relative to the manifest's folder.
    pub path: PathBuf,
    /// The language it is written in, when the manifest says (`language = "python"`);
    /// otherwise the build tells from the folder.
    pub language: Option<Language>,
    /// Where it is declared.
    pub location: Location,
    /// The variables it may read through `wasi:config` (`variables = [...]`); no others.
    pub variables: Vec<String>,
    /// The hosts it may call through `wasi:http/outgoing-handler`
    /// (`allowed_outbound_hosts = [...]`, Spin's syntax); no others.
    pub allowed_outbound_hosts: Vec<String>,
}

/// The languages a handler can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A `cdylib` crate of the components workspace (`language = "rust"`).
    Rust,
    /// A Python module built with componentize-py (`language = "python"`).
    Python,
    /// A JavaScript module built with componentize-js (`language = "js"`).
    JavaScript,
}

impl Language {
    /// The names the manifest accepts, as a hint lists them.
    pub const NAMES: &str = "rust, python, js";

    /// The language a manifest's `language` value names.
    pub fn from_name(name: &str) -> Option<Language> {
        match name {
            "rust" => Some(Language::Rust),
            "python" => Some(Language::Python),
            "js" | "javascript" => Some(Language::JavaScript),
            _ => None,
        }
    }

    /// Its name in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "js",
        }
    }
}

/// A route as declared: `"GET,POST /path" = "handler"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecl {
    /// The methods it accepts.
    pub methods: Methods,
    /// The path pattern.
    pub pattern: String,
    /// The handler's name.
    pub handler: String,
    /// The policies it enforces.
    pub settings: RouteSettings,
    /// Its description and the schemas its requests are validated against.
    pub meta: crate::RouteMeta,
    /// Where it is declared.
    pub location: Location,
}

impl Manifest {
    /// The folder the manifest is in; handler paths are relative to it.
    pub fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The routes in priority order, each with its index in [`Manifest::routes`].
    pub fn router(&self) -> Router<'_, usize> {
        let mut router = Router::new();
        for (index, route) in self.routes.iter().enumerate() {
            router
                .insert(route.methods, &route.pattern, index)
                .expect("routes were validated on load");
        }
        router
    }

    /// The gateway's cargo features this manifest needs: the policies that bring code or
    /// imports of their own.
    pub fn gateway_features(&self) -> Vec<&'static str> {
        let uses =
            |wanted: fn(&RouteSettings) -> bool| self.routes.iter().any(|r| wanted(&r.settings));
        // The document is protected like a route when the `openapi` table says so.
        let document_auth = self.api.openapi_path.as_ref().map(|_| &self.api.auth);
        let webhook = self.events.webhook.as_ref().map(|w| &w.settings);
        let auth_used = |wanted: fn(&AuthDecl) -> bool| {
            self.routes.iter().any(|r| wanted(&r.settings.auth))
                || document_auth.is_some_and(wanted)
                || webhook.is_some_and(|w| wanted(&w.auth))
        };
        let mut features = Vec::new();
        if auth_used(|a| *a == AuthDecl::ApiKey) {
            features.push("api-key");
        }
        if auth_used(|a| matches!(a, AuthDecl::Jwt { .. })) {
            features.push("jwt");
        }
        if uses(|s| s.rate_limit.is_some()) || webhook.is_some_and(|w| w.rate_limit.is_some()) {
            features.push("rate-limit");
        }
        if self.routes.iter().any(|r| r.meta.validates()) {
            features.push("validation");
        }
        if !self.events.subscriptions.is_empty() {
            features.push("events");
        }
        features
    }

    /// Whether the gateway calls `handler` for requests: it serves a route, or it receives
    /// no events (a handler declared for later still gets its import).
    pub fn serves_http(&self, handler: &str) -> bool {
        self.routes.iter().any(|r| r.handler == handler) || !self.events.is_subscriber(handler)
    }

    /// The position of the handler called `name`.
    pub fn handler_index(&self, name: &str) -> Option<usize> {
        self.handlers.iter().position(|h| h.name == name)
    }
}
