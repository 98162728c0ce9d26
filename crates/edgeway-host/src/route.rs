//! The component's trigger route, matched the way Spin's router matches it.
//!
//! Spin normalises a route (`spin_http::routes::sanitize_with_base` with the
//! base `/`): a leading `/` is added and one trailing `/` removed, so `/` becomes
//! the empty route and `/api/` becomes `/api`. A route ending in `/...` (or
//! `/*`) matches its prefix and anything below it; other routes match exactly,
//! allowing one trailing `/` in the request path. `:name` segments match any
//! one non-empty segment and are passed to the component as
//! `spin-path-match-<name>`.
//!
//! An app may have several components, each with trigger routes of its own (a split
//! deployment). [`RouteTable`] picks the most specific route that matches a path, with the
//! priority of Spin's router: at the first segment where two matching routes differ, an exact
//! segment beats a `:name`, which beats a trailing wildcard, and a route that ends there
//! beats a wildcard that would match nothing.

use crate::error::HostError;

/// One `/`-separated piece of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Exact(String),
    Param(String),
}

/// A parsed trigger route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TriggerRoute {
    /// The route as written in the manifest (Spin's "raw route").
    raw: String,
    /// The normalised route (Spin's "based route" for the base `/`).
    based: String,
    segments: Vec<Segment>,
    trailing_wildcard: bool,
}

/// A request path that matched the trigger route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RouteMatch<'r> {
    route: &'r TriggerRoute,
    path_info: String,
    named: Vec<(String, String)>,
}

impl TriggerRoute {
    /// Parses a route such as `/...`, `/api/...`, `/users/:id` or `/health`.
    pub(crate) fn parse(raw: &str) -> Result<Self, HostError> {
        let invalid = |problem: &str| HostError::InvalidRoute {
            route: raw.to_owned(),
            problem: problem.to_owned(),
        };
        let absolute = if raw.starts_with('/') {
            raw.to_owned()
        } else {
            format!("/{raw}")
        };
        let based = absolute.strip_suffix('/').unwrap_or(&absolute).to_owned();
        let (prefix, trailing_wildcard) = match based
            .strip_suffix("/...")
            .or_else(|| based.strip_suffix("/*"))
        {
            Some(prefix) => (prefix, true),
            None => (based.as_str(), false),
        };
        let mut segments = Vec::new();
        for piece in prefix.split('/').skip(1) {
            if piece.contains("...") || piece.contains('*') {
                return Err(invalid("a wildcard (`...`) may only end the route"));
            }
            if piece
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#')
            {
                return Err(invalid("a route is a path: no spaces, `?` or `#`"));
            }
            segments.push(match piece.strip_prefix(':') {
                Some("") => return Err(invalid("a `:` segment needs a name, e.g. `:id`")),
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Exact(piece.to_owned()),
            });
        }
        Ok(Self {
            raw: raw.to_owned(),
            based,
            segments,
            trailing_wildcard,
        })
    }

    /// The route as written (Spin's `spin-raw-component-route`).
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The normalised route (Spin's `spin-matched-route`).
    pub(crate) fn based(&self) -> &str {
        &self.based
    }

    /// Matches a request path (without the query), as Spin's router does.
    pub(crate) fn matches(&self, path: &str) -> Option<RouteMatch<'_>> {
        let mut rest = path.strip_prefix('/').unwrap_or(path);
        let mut named = Vec::new();
        for segment in &self.segments {
            let (piece, after) = rest.split_once('/').unwrap_or((rest, ""));
            match segment {
                Segment::Exact(expected) if piece == expected => {}
                Segment::Param(name) if !piece.is_empty() => {
                    named.push((name.clone(), piece.to_owned()));
                }
                _ => return None,
            }
            rest = after;
        }
        let path_info = if self.trailing_wildcard {
            // Spin keeps the trailing slash its router strips from the capture
            // (`RouteMatch::trailing_wildcard`).
            let capture = rest.strip_suffix('/').unwrap_or(rest);
            match (capture.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{capture}"),
                (false, true) => format!("/{capture}/"),
            }
        } else if rest.is_empty() || rest == "/" {
            String::new()
        } else {
            return None;
        };
        Some(RouteMatch {
            route: self,
            path_info,
            named,
        })
    }
}

impl TriggerRoute {
    /// The route's rank per segment (exact 0, `:name` 1, wildcard 2): of two routes that
    /// match a path, the one with the smaller key is the more specific.
    fn priority(&self) -> Vec<u8> {
        let mut key: Vec<u8> = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Exact(_) => 0,
                Segment::Param(_) => 1,
            })
            .collect();
        if self.trailing_wildcard {
            key.push(2);
        }
        key
    }

    /// What Spin compares to find duplicate routes: the route without parameter names.
    fn identity(&self) -> String {
        let mut identity: String = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Exact(text) => format!("/{text}"),
                Segment::Param(_) => "/:".to_owned(),
            })
            .collect();
        if self.trailing_wildcard {
            identity.push_str("/...");
        }
        identity
    }
}

/// Every component's trigger routes, most specific first.
#[derive(Debug)]
pub(crate) struct RouteTable {
    routes: Vec<(TriggerRoute, usize)>,
}

impl RouteTable {
    /// A table of `(route, component index)`; two routes that match the same paths are an
    /// error, as on Spin.
    pub(crate) fn new(mut routes: Vec<(TriggerRoute, usize)>) -> Result<Self, HostError> {
        routes.sort_by_key(|(route, _)| route.priority());
        for (i, (route, _)) in routes.iter().enumerate() {
            if let Some((twin, _)) = routes[..i]
                .iter()
                .find(|(other, _)| other.identity() == route.identity())
            {
                return Err(HostError::InvalidRoute {
                    route: route.raw().to_owned(),
                    problem: format!("it matches the same paths as `{}`", twin.raw()),
                });
            }
        }
        Ok(Self { routes })
    }

    /// The most specific route matching `path`, and its component's index.
    pub(crate) fn matches(&self, path: &str) -> Option<(RouteMatch<'_>, usize)> {
        self.routes
            .iter()
            .find_map(|(route, component)| Some((route.matches(path)?, *component)))
    }

    /// The routes as written, comma-separated, for messages.
    pub(crate) fn describe(&self) -> String {
        let raw: Vec<&str> = self.routes.iter().map(|(r, _)| r.raw()).collect();
        raw.join(", ")
    }
}

impl RouteMatch<'_> {
    /// The route that matched.
    pub(crate) fn route(&self) -> &TriggerRoute {
        self.route
    }

    /// The part of the path below a wildcard route (`spin-path-info`).
    pub(crate) fn path_info(&self) -> &str {
        &self.path_info
    }

    /// The route without its trailing wildcard (`spin-component-route`).
    pub(crate) fn component_route(&self) -> &str {
        let raw = self.route.raw();
        raw.strip_suffix("/...").unwrap_or(raw)
    }

    /// Values of the `:name` segments, in route order.
    pub(crate) fn named(&self) -> &[(String, String)] {
        &self.named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (route, path, expected path-info or None for no match)
    const CASES: &[(&str, &str, Option<&str>)] = &[
        ("/...", "/", Some("/")),
        ("/...", "/a/b", Some("/a/b")),
        ("/...", "/a/b/", Some("/a/b/")),
        ("/api/...", "/api", Some("")),
        ("/api/...", "/api/", Some("/")),
        ("/api/...", "/api/users/7", Some("/users/7")),
        ("/api/...", "/apix", None),
        ("/api/...", "/", None),
        ("/api/*", "/api/x", Some("/x")),
        ("/health", "/health", Some("")),
        ("/health", "/health/", Some("")),
        ("/health", "/health/x", None),
        ("/health", "/", None),
        ("/", "/", Some("")),
        ("/", "/a", None),
        ("/users/:id", "/users/42", Some("")),
        ("/users/:id", "/users/", None),
        ("/users/:id/...", "/users/42/posts", Some("/posts")),
    ];

    #[test]
    fn matches_like_spin() {
        for (route, path, expected) in CASES {
            let parsed = TriggerRoute::parse(route).unwrap();
            let got = parsed.matches(path).map(|m| m.path_info().to_owned());
            assert_eq!(got.as_deref(), *expected, "route {route} path {path}");
        }
    }

    #[test]
    fn normalises_like_spin() {
        for (raw, based, component) in [
            ("/...", "/...", ""),
            ("/api/...", "/api/...", "/api"),
            ("api/", "/api", "api/"),
            ("/", "", "/"),
        ] {
            let route = TriggerRoute::parse(raw).unwrap();
            assert_eq!(route.based(), based, "{raw}");
            let m = route
                .matches("/api")
                .or_else(|| route.matches("/"))
                .unwrap();
            assert_eq!(m.component_route(), component, "{raw}");
        }
    }

    #[test]
    fn captures_named_segments() {
        let route = TriggerRoute::parse("/users/:id/posts/:post").unwrap();
        let m = route.matches("/users/42/posts/7").unwrap();
        let named: Vec<_> = m
            .named()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(named, [("id", "42"), ("post", "7")]);
    }

    fn table(routes: &[&str]) -> RouteTable {
        let parsed = routes
            .iter()
            .enumerate()
            .map(|(i, r)| (TriggerRoute::parse(r).unwrap(), i))
            .collect();
        RouteTable::new(parsed).unwrap()
    }

    /// (routes, path, index of the route that wins, or None)
    const PRIORITY: &[(&[&str], &str, Option<usize>)] = &[
        (&["/...", "/hello"], "/hello", Some(1)),
        (&["/...", "/hello"], "/hello/x", Some(0)),
        (&["/hello/:name", "/hello"], "/hello", Some(1)),
        (&["/hello/:name", "/hello"], "/hello/ada", Some(0)),
        (&["/echo/...", "/hello/:name", "/..."], "/echo/a/b", Some(0)),
        (&["/echo/...", "/:x/:y"], "/echo/a", Some(0)),
        (&["/echo/...", "/:x/:y"], "/other/a", Some(1)),
        (&["/echo/...", "/:x/:y"], "/echo", Some(0)),
        (&["/api/...", "/api"], "/api", Some(1)),
        (&["/api/...", "/api"], "/api/", Some(1)),
        (&["/items/:id", "/items/new"], "/items/new", Some(1)),
        (&["/items/:id", "/items/new"], "/items/7", Some(0)),
        (&["/:a/b", "/a/:b"], "/a/b", Some(1)),
        (&["/", "/..."], "/", Some(0)),
        (&["/a/...", "/a/b/..."], "/a/b/c", Some(1)),
        (&["/hello"], "/nope", None),
    ];

    #[test]
    fn most_specific_route_wins() {
        for (routes, path, expected) in PRIORITY {
            let table = table(routes);
            let got = table.matches(path).map(|(_, component)| component);
            assert_eq!(got, *expected, "routes {routes:?} path {path}");
        }
    }

    #[test]
    fn duplicate_routes_are_refused() {
        for pair in [
            ["/a/:x", "/a/:y"],
            ["/api/...", "/api/*"],
            ["/api", "/api/"],
        ] {
            let parsed = pair
                .iter()
                .map(|r| (TriggerRoute::parse(r).unwrap(), 0))
                .collect();
            assert!(RouteTable::new(parsed).is_err(), "{pair:?}");
        }
    }

    #[test]
    fn rejects_bad_routes() {
        for bad in ["/a/.../b", "/a/*/b", "/users/:", "/a b"] {
            assert!(
                matches!(
                    TriggerRoute::parse(bad),
                    Err(HostError::InvalidRoute { .. })
                ),
                "{bad}"
            );
        }
    }
}
