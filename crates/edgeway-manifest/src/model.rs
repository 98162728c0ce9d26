use std::path::PathBuf;

use edgeway_router::{Methods, Router};

use crate::Location;

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
}

/// A handler component named in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// The handler's name: a WIT identifier, used as the gateway's import name.
    pub name: String,
    /// Its source folder, relative to the manifest's folder.
    pub path: PathBuf,
    /// Where it is declared.
    pub location: Location,
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

    /// The routes in priority order, each with the index of its handler in
    /// [`Manifest::handlers`].
    pub fn router(&self) -> Router<'_, usize> {
        let mut router = Router::new();
        for route in &self.routes {
            let handler = self
                .handler_index(&route.handler)
                .expect("validated on load");
            router
                .insert(route.methods, &route.pattern, handler)
                .expect("routes were validated on load");
        }
        router
    }

    /// The position of the handler called `name`.
    pub fn handler_index(&self, name: &str) -> Option<usize> {
        self.handlers.iter().position(|h| h.name == name)
    }
}
