//! Split deployment: the app's routes spread over several Spin components, so that a
//! request instantiates only the handlers of its own group instead of every handler.
//!
//! Spin's router does the first dispatch on the path, the group's gateway the rest. For the
//! answers to stay exactly those of the single component, each group's gateway must see every
//! route that could answer a request Spin sends it:
//!
//! - Routes with the same path pattern (up to parameter names) are in one group, so `405` and
//!   `Allow` list every method of the path. Routes of one handler are in one group too, so a
//!   handler is built into as few components as possible.
//! - Every distinct pattern of a group is one of its `[[trigger.http]]` routes. Spin and the
//!   gateway rank patterns the same way (exact beats `:name` beats `/...`), so Spin sends a
//!   request to the group that holds the most specific pattern matching its path.
//! - In single mode a request whose method the most specific route does not accept falls
//!   through to a less specific route that does. So a group also carries, as extra routes,
//!   every less specific route whose pattern overlaps one of its own, unless its own
//!   routes on that pattern accept every method (then nothing can fall through).
//! - When no route is `/...`, one group also takes the trigger route `/...`, so that a path no
//!   route matches gets the gateway's `404` problem, not Spin's plain one. It is the group
//!   with the fewest handlers: a `404` then instantiates as little as possible.
use std::collections::BTreeSet;

use edgeway_router::{Methods, Pattern, Segment};

use crate::{AuthDecl, Manifest};

/// The groups of a split deployment, in the order of their first route in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitPlan {
    /// One Spin component each.
    pub groups: Vec<Group>,
}

/// One group of routes: a Spin component holding the gateway and these handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The Spin component id: `<gateway component>-<first handler>`.
    pub id: String,
    /// The routes its gateway serves, as indices into [`Manifest::routes`], in manifest order:
    /// its own routes and the less specific ones requests may fall through to.
    pub routes: Vec<usize>,
    /// The handlers those routes name, in manifest order.
    pub handlers: Vec<String>,
    /// Its `[[trigger.http]]` routes: its own distinct patterns, then `/...` if it is the
    /// fallback.
    pub trigger_routes: Vec<String>,
}

/// What a handler's component reaches beyond plain WASI, read from its imports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HandlerNeeds {
    /// It imports `wasi:keyvalue`: it gets the app's key-value stores.
    pub key_value: bool,
    /// It imports `wasi:config`: it gets the app's variables.
    pub variables: bool,
    /// It imports `wasi:http/outgoing-handler`: it gets the app's outbound hosts.
    pub outbound_http: bool,
}

/// What one group's component is given in the split manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupCapabilities {
    /// `key_value_stores`.
    pub key_value_stores: Vec<String>,
    /// The names of the component's variables (their templates are the app's).
    pub variables: Vec<String>,
    /// `allowed_outbound_hosts`: the hosts granted to its handlers that call out, and no
    /// others.
    pub allowed_outbound_hosts: Vec<String>,
}

/// A pattern's identity for Spin: its segments with parameter names dropped.
fn pattern_key(pattern: &str) -> String {
    let parsed = Pattern::parse(pattern).expect("routes were validated on load");
    let segments: Vec<String> = parsed
        .segments()
        .map(|segment| match segment {
            Segment::Exact(text) => text.to_owned(),
            Segment::Param(_) => ":".to_owned(),
            Segment::Rest => "...".to_owned(),
        })
        .collect();
    format!("/{}", segments.join("/"))
}

/// Whether some path matches both patterns.
pub fn overlaps(a: &str, b: &str) -> bool {
    let a: Vec<Segment<'_>> = Pattern::parse(a).expect("valid").segments().collect();
    let b: Vec<Segment<'_>> = Pattern::parse(b).expect("valid").segments().collect();
    for i in 0.. {
        match (a.get(i), b.get(i)) {
            (Some(Segment::Rest), _) | (_, Some(Segment::Rest)) | (None, None) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            // Patterns hold no `%`: their exact segments compare as written.
            (Some(Segment::Exact(x)), Some(Segment::Exact(y))) if x != y => return false,
            // `:name` matches any one non-empty segment, and exact segments are non-empty.
            _ => {}
        }
    }
    unreachable!("the loop returns")
}

/// A small union-find over route indices.
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, i: usize) -> usize {
        let mut root = i;
        while self.0[root] != root {
            root = self.0[root];
        }
        self.0[i] = root;
        root
    }

    /// Joins the sets of `a` and `b`; the smaller index stays the root, so a group's root is
    /// its first route.
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        let (low, high) = (a.min(b), a.max(b));
        self.0[high] = low;
    }
}

/// Groups the manifest's routes for a split deployment (see the module documentation).
pub fn plan(manifest: &Manifest) -> SplitPlan {
    let routes = &manifest.routes;
    let keys: Vec<String> = routes.iter().map(|r| pattern_key(&r.pattern)).collect();
    let mut sets = Sets((0..routes.len()).collect());
    for i in 0..routes.len() {
        for j in 0..i {
            if keys[i] == keys[j] || routes[i].handler == routes[j].handler {
                sets.union(i, j);
            }
        }
    }
    let roots: Vec<usize> = (0..routes.len()).map(|i| sets.find(i)).collect();
    // A root is its group's first route, so sorted roots give the groups in manifest order.
    let order: BTreeSet<usize> = roots.iter().copied().collect();

    let mut groups: Vec<Group> = order
        .iter()
        .map(|&root| {
            let own: Vec<usize> = (0..routes.len()).filter(|&i| roots[i] == root).collect();
            group(manifest, &keys, &own)
        })
        .collect();
    if !keys.iter().any(|k| k == "/...") {
        let fallback = (0..groups.len())
            .min_by_key(|&g| groups[g].handlers.len())
            .expect("a valid manifest has routes");
        groups[fallback].trigger_routes.push("/...".to_owned());
    }
    SplitPlan { groups }
}

/// The group whose own routes are `own`: adds the routes they may fall through to.
fn group(manifest: &Manifest, keys: &[String], own: &[usize]) -> Group {
    let routes = &manifest.routes;
    let mut trigger_routes: Vec<String> = Vec::new();
    let mut own_keys: Vec<&str> = Vec::new();
    for &i in own {
        if !own_keys.contains(&keys[i].as_str()) {
            own_keys.push(&keys[i]);
            trigger_routes.push(routes[i].pattern.clone());
        }
    }
    let mut served: BTreeSet<usize> = own.iter().copied().collect();
    for (pattern, key) in trigger_routes.iter().zip(&own_keys) {
        let methods = own
            .iter()
            .filter(|&&i| keys[i] == *key)
            .fold(Methods::NONE, |all, &i| all.union(routes[i].methods));
        if methods == Methods::ANY {
            continue;
        }
        let mine = Pattern::parse(pattern).expect("valid");
        for (j, other) in routes.iter().enumerate() {
            let theirs = Pattern::parse(&other.pattern).expect("valid");
            if mine.specificity(&theirs) == std::cmp::Ordering::Less
                && overlaps(pattern, &other.pattern)
            {
                served.insert(j);
            }
        }
    }
    let handlers: Vec<String> = manifest
        .handlers
        .iter()
        .filter(|h| served.iter().any(|&i| routes[i].handler == h.name))
        .map(|h| h.name.clone())
        .collect();
    Group {
        id: format!("{}-{}", manifest.component_id, routes[own[0]].handler),
        routes: served.into_iter().collect(),
        handlers,
        trigger_routes,
    }
}

impl Group {
    /// The gateway's cargo features this group needs (a subset of
    /// [`Manifest::gateway_features`]).
    pub fn gateway_features(&self, manifest: &Manifest) -> Vec<&'static str> {
        let mut features = Vec::new();
        let uses = |wanted: fn(&crate::RouteSettings) -> bool| {
            self.routes
                .iter()
                .any(|&i| wanted(&manifest.routes[i].settings))
        };
        if uses(|s| s.auth == AuthDecl::ApiKey) {
            features.push("api-key");
        }
        if uses(|s| matches!(s.auth, AuthDecl::Jwt { .. })) {
            features.push("jwt");
        }
        if uses(|s| s.rate_limit.is_some()) {
            features.push("rate-limit");
        }
        features
    }

    /// What the group's component needs: the stores and variables its gateway's `features`
    /// use (see [`Group::gateway_features`]), and everything its handlers import (`needs` is
    /// read from the handler's component).
    pub fn capabilities(
        &self,
        manifest: &Manifest,
        features: &[&str],
        needs: impl Fn(&str) -> HandlerNeeds,
    ) -> GroupCapabilities {
        let handler_needs =
            self.handlers
                .iter()
                .map(|h| needs(h))
                .fold(HandlerNeeds::default(), |all, n| HandlerNeeds {
                    key_value: all.key_value || n.key_value,
                    variables: all.variables || n.variables,
                    outbound_http: all.outbound_http || n.outbound_http,
                });
        let key_value_stores = if handler_needs.key_value {
            manifest.key_value_stores.clone()
        } else if features.contains(&"rate-limit") {
            vec!["default".to_owned()]
        } else {
            Vec::new()
        };
        let mut wanted: Vec<&str> = Vec::new();
        if features.contains(&"api-key") {
            wanted.extend(manifest.api_key.iter().map(|k| k.keys.as_str()));
        }
        if features.contains(&"jwt")
            && let Some(jwt) = &manifest.jwt
        {
            wanted.extend(jwt.secret.iter().chain(&jwt.jwks).map(String::as_str));
        }
        let variables = manifest
            .variables
            .component
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| handler_needs.variables || wanted.contains(&name.as_str()))
            .collect();
        let mut allowed_outbound_hosts: Vec<String> = Vec::new();
        for handler in &manifest.handlers {
            if self.handlers.contains(&handler.name) && needs(&handler.name).outbound_http {
                for host in &handler.allowed_outbound_hosts {
                    if !allowed_outbound_hosts.contains(host) {
                        allowed_outbound_hosts.push(host.clone());
                    }
                }
            }
        }
        GroupCapabilities {
            key_value_stores,
            variables,
            allowed_outbound_hosts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest with these handlers (all in `src/`) and route lines.
    fn manifest(handlers: &[&str], routes: &[&str]) -> Manifest {
        let handlers: String = handlers
            .iter()
            .map(|h| format!("{h} = {{ path = \"src\" }}\n"))
            .collect();
        let source = format!(
            "spin_manifest_version = 2\n[application]\nname = \"t\"\n\
             [variables]\nkeys = {{ default = \"a=0123456789abcdef\" }}\n\
             [component.gw]\nsource = \"t.wasm\"\nkey_value_stores = [\"default\"]\n\
             [component.gw.variables]\nkeys = \"{{{{ keys }}}}\"\n\
             [component.gw.tool.edgeway.api_key]\nkeys = \"keys\"\n\
             [component.gw.tool.edgeway.handlers]\n{handlers}\
             [component.gw.tool.edgeway.routes]\n{}\n",
            routes.join("\n")
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spin.toml");
        Manifest::parse(path, &source).unwrap_or_else(|e| panic!("{e}\n{source}"))
    }

    /// Each group as `id: handlers | served patterns | trigger routes`.
    fn describe(manifest: &Manifest) -> Vec<String> {
        plan(manifest)
            .groups
            .iter()
            .map(|g| {
                let routes: Vec<String> = g
                    .routes
                    .iter()
                    .map(|&i| {
                        let r = &manifest.routes[i];
                        format!("{} {}", r.methods, r.pattern)
                    })
                    .collect();
                format!(
                    "{}: {} | {} | {}",
                    g.id,
                    g.handlers.join(","),
                    routes.join(", "),
                    g.trigger_routes.join(" ")
                )
            })
            .collect()
    }

    /// (handlers, routes, expected groups)
    const CASES: &[(&[&str], &[&str], &[&str])] = &[
        // One handler: one group, which also takes the fallback.
        (
            &["a"],
            &[r#""GET /a" = "a""#],
            &["gw-a: a | GET /a | /a /..."],
        ),
        // Routes of one handler stay together; the fewest handlers take the fallback.
        (
            &["greet", "echo"],
            &[
                r#""GET /hello" = "greet""#,
                r#""GET /hello/:name" = "greet""#,
                r#""ANY /echo/..." = "echo""#,
            ],
            &[
                "gw-greet: greet | GET /hello, GET /hello/:name | /hello /hello/:name /...",
                "gw-echo: echo | ANY /echo/... | /echo/...",
            ],
        ),
        // One path, two handlers: one group, so 405 and Allow see both methods.
        (
            &["read", "write"],
            &[r#""GET /items" = "read""#, r#""POST /items" = "write""#],
            &["gw-read: read,write | GET /items, POST /items | /items /..."],
        ),
        // Same path up to parameter names: one group, one trigger route.
        (
            &["show", "drop"],
            &[
                r#""GET /items/:id" = "show""#,
                r#""DELETE /items/:key" = "drop""#,
            ],
            &["gw-show: show,drop | GET /items/:id, DELETE /items/:key | /items/:id /..."],
        ),
        // DELETE /items/new falls through to /items/:id in single mode: the more specific
        // group carries the less specific route; not the other way round.
        (
            &["echo", "greet"],
            &[
                r#""GET,DELETE /items/:id" = "echo""#,
                r#""GET /items/new" = "greet""#,
            ],
            &[
                "gw-echo: echo | GET, DELETE /items/:id | /items/:id /...",
                "gw-greet: echo,greet | GET, DELETE /items/:id, GET /items/new | /items/new",
            ],
        ),
        // A more specific route that takes every method needs nothing to fall through to.
        (
            &["all", "rest"],
            &[r#""ANY /api/health" = "all""#, r#""GET /api/..." = "rest""#],
            &[
                "gw-all: all | ANY /api/health | /api/health /...",
                "gw-rest: rest | GET /api/... | /api/...",
            ],
        ),
        // A catch-all route: every other group may fall through to it, and no fallback is
        // added.
        (
            &["home", "spa"],
            &[r#""GET /" = "home""#, r#""GET /..." = "spa""#],
            &[
                "gw-home: home,spa | GET /, GET /... | /",
                "gw-spa: spa | GET /... | /...",
            ],
        ),
        // Overlap needs every segment to fit: /a/:x/c and /a/b/d never match one path.
        (
            &["x", "y"],
            &[r#""GET /a/:x/c" = "x""#, r#""GET /a/b/d" = "y""#],
            &[
                "gw-x: x | GET /a/:x/c | /a/:x/c /...",
                "gw-y: y | GET /a/b/d | /a/b/d",
            ],
        ),
    ];

    #[test]
    fn groups_routes() {
        for (handlers, routes, expected) in CASES {
            let manifest = manifest(handlers, routes);
            assert_eq!(describe(&manifest), *expected, "routes {routes:?}");
        }
    }

    #[test]
    fn overlapping_patterns() {
        for (a, b, expected) in [
            ("/a", "/a", true),
            ("/a", "/b", false),
            ("/a", "/:x", true),
            ("/a", "/a/...", true),
            ("/a/b", "/a/...", true),
            ("/", "/...", true),
            ("/", "/a", false),
            ("/a/:x", "/:y/b", true),
            ("/a/:x", "/a", false),
            ("/café", "/café", true),
            ("/café", "/cafe", false),
        ] {
            assert_eq!(overlaps(a, b), expected, "{a} {b}");
            assert_eq!(overlaps(b, a), expected, "{b} {a}");
        }
    }

    #[test]
    fn capabilities_follow_policies_and_imports() {
        let mut manifest = manifest(
            &["open", "keyed", "stateful"],
            &[
                r#""GET /open" = "open""#,
                r#""GET /keyed" = { handler = "keyed", auth = "api-key", rate_limit = { requests = 1, per = "1m" } }"#,
                r#""GET /state" = "stateful""#,
            ],
        );
        // Granted to a handler that does not call out (`open`): not listed.
        for (handler, host) in [(0, "https://open.example"), (2, "http://127.0.0.1:*")] {
            manifest.handlers[handler].allowed_outbound_hosts = vec![host.into()];
        }
        let plan = plan(&manifest);
        let needs = |handler: &str| HandlerNeeds {
            key_value: handler == "stateful",
            outbound_http: handler == "stateful",
            variables: false,
        };
        let got: Vec<GroupCapabilities> = plan
            .groups
            .iter()
            .map(|g| g.capabilities(&manifest, &g.gateway_features(&manifest), needs))
            .collect();
        let none = GroupCapabilities::default();
        let keyed = GroupCapabilities {
            key_value_stores: vec!["default".into()],
            variables: vec!["keys".into()],
            allowed_outbound_hosts: Vec::new(),
        };
        let stateful = GroupCapabilities {
            key_value_stores: vec!["default".into()],
            variables: Vec::new(),
            allowed_outbound_hosts: vec!["http://127.0.0.1:*".into()],
        };
        assert_eq!(got, [none, keyed, stateful]);
        assert_eq!(
            plan.groups[1].gateway_features(&manifest),
            ["api-key", "rate-limit"]
        );
        assert!(plan.groups[0].gateway_features(&manifest).is_empty());
    }
}
