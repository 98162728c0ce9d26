//! Valid manifests: what the build and the gateway get out of them.
use std::path::Path;

use edgeway_router::Methods;

use super::valid;
use crate::gateway_source;

const APP: &str = r#"spin_manifest_version = 2
[application]
name = "shop"
[[trigger.http]]
route = "/other/..."
component = "other"
[[trigger.http]]
route = "/api/..."
component = "gateway"
[component.other]
source = "other.wasm"
[component.gateway]
source = "target/edgeway/shop.wasm"
[component.gateway.tool.edgeway.handlers]
list-todos = { path = "src" }
greet = { path = "." }
[component.gateway.tool.edgeway.routes]
"GET,POST /x" = "greet"
"/y" = "list-todos"
"get /z" = "greet"
"ANY /w/..." = "greet"
"GET /users/:id" = "list-todos"
"GET /users/new" = "greet"
"#;

#[test]
fn a_valid_manifest_is_read_in_manifest_order() {
    let manifest = valid(APP);
    assert_eq!(manifest.app_name, "shop");
    assert_eq!(manifest.component_id, "gateway");
    assert_eq!(manifest.trigger_route, "/api/...");
    assert_eq!(manifest.output, Path::new("target/edgeway/shop.wasm"));
    assert_eq!(manifest.dir(), Path::new(env!("CARGO_MANIFEST_DIR")));
    let handlers: Vec<(&str, &Path, usize)> = manifest
        .handlers
        .iter()
        .map(|h| (h.name.as_str(), h.path.as_path(), h.location.line))
        .collect();
    assert_eq!(
        handlers,
        [
            ("list-todos", Path::new("src"), 15),
            ("greet", Path::new("."), 16)
        ]
    );
    let routes: Vec<(Methods, &str, &str, usize)> = manifest
        .routes
        .iter()
        .map(|r| {
            (
                r.methods,
                r.pattern.as_str(),
                r.handler.as_str(),
                r.location.line,
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            (Methods::GET.union(Methods::POST), "/x", "greet", 18),
            (Methods::ANY, "/y", "list-todos", 19),
            (Methods::GET, "/z", "greet", 20),
            (Methods::ANY, "/w/...", "greet", 21),
            (Methods::GET, "/users/:id", "list-todos", 22),
            (Methods::GET, "/users/new", "greet", 23),
        ]
    );
}

#[test]
fn trigger_route_is_the_gateway_components() {
    let gateway = "[component.gateway.tool.edgeway.handlers]\ngreet = { path = \"src\" }\n";
    let table = [
        ("", "/..."),
        (
            "[[trigger.http]]\nroute = \"/other/...\"\ncomponent = \"other\"\n",
            "/...",
        ),
        (
            "[[trigger.http]]\nroute = \"/api/...\"\ncomponent = \"gateway\"\n",
            "/api/...",
        ),
    ];
    for (triggers, expected) in table {
        let source = format!("{}{triggers}{gateway}", header!());
        assert_eq!(valid(&source).trigger_route, expected, "with {triggers:?}");
    }
}

#[test]
fn router_orders_routes_by_priority_with_handler_indices() {
    let manifest = valid(APP);
    let router = manifest.router();
    let order: Vec<(&str, usize)> = router
        .routes()
        .iter()
        .map(|r| {
            (
                r.pattern,
                manifest
                    .handler_index(&manifest.routes[r.value].handler)
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("/users/new", 1),
            ("/users/:id", 0),
            ("/w/...", 1),
            ("/x", 1),
            ("/y", 0),
            ("/z", 1),
        ]
    );
    let found = router.at("HEAD", "/users/new").unwrap();
    assert_eq!(manifest.routes[*found.value].handler, "greet");
}

/// The generated gateway source without whitespace, so that rows read the same however
/// they are laid out.
fn compact(source: &str) -> String {
    source.split_whitespace().collect()
}

/// The `ROUTES` rows of the generated gateway source: `(methods, pattern, value)`.
fn route_rows(source: &str) -> Vec<(String, String, String)> {
    let field = |row: &str, name: &str| {
        let start = row.find(&format!("{name}:")).unwrap() + name.len() + 1;
        let rest = &row[start..];
        rest[..rest.find([',', '}']).unwrap()]
            .trim_matches('"')
            .to_owned()
    };
    compact(source)
        .split("edgeway_router::Route{")
        .skip(1)
        .map(|row| {
            (
                field(row, "methods"),
                field(row, "pattern"),
                field(row, "value"),
            )
        })
        .collect()
}

#[test]
fn gateway_source_has_the_route_table_in_priority_order() {
    let source = gateway_source(&valid(APP), Path::new("/wit"));
    let rows = route_rows(&source);
    // Each route's value is its row in `TARGETS`, which names the handler.
    let expected = [
        ("edgeway_router::Methods::GET", "/users/new", "0"),
        ("edgeway_router::Methods::GET", "/users/:id", "1"),
        ("edgeway_router::Methods::ANY", "/w/...", "2"),
        (
            "edgeway_router::Methods::GET.union(edgeway_router::Methods::POST)",
            "/x",
            "3",
        ),
        ("edgeway_router::Methods::ANY", "/y", "4"),
        ("edgeway_router::Methods::GET", "/z", "5"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(m, p, v)| (m.to_string(), p.to_string(), v.to_string()))
        .collect();
    assert_eq!(rows, expected, "in:\n{source}");
    let compact = compact(&source);
    let handlers: Vec<&str> = compact
        .split("crate::Target{handler:")
        .skip(1)
        .map(|rest| &rest[..rest.find(',').unwrap()])
        .collect();
    assert_eq!(handlers, ["1", "0", "1", "1", "0", "1"], "in:\n{source}");
    assert!(source.contains("pub static ROUTES: [edgeway_router::Route<'static, usize>; 6]"));
    assert!(source.contains(r#"pub const HANDLERS: [&str; 2] = ["list-todos", "greet"];"#));
}

#[test]
fn gateway_world_imports_each_handler_once_and_dispatch_calls_it() {
    let source = gateway_source(&valid(APP), Path::new("/wit"));
    let imports: Vec<&str> = source
        .lines()
        .filter_map(|line| line.trim().strip_prefix("import "))
        .map(|rest| rest.split(':').next().unwrap())
        .collect();
    assert_eq!(imports, ["list-todos", "greet"], "in:\n{source}");
    for (index, function) in [(0, "list_todos"), (1, "greet")] {
        let arm = format!("{index} => {function}(request),");
        assert!(source.contains(&arm), "no `{arm}` in:\n{source}");
    }
    assert!(source.contains("use edgeway:gateway/handler@0.1.0.{request, response, problem};"));
    assert!(source.contains("path: \"/wit\""));
}
