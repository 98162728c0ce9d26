//! Split deployment (`edgeway up --split`): the test app as one component per group of
//! routes, dispatched by the local host's Spin router. The other HTTP suites run against it
//! too with `EDGEWAY_TEST_SPLIT=1`; these tests check what is specific to it.
use std::sync::OnceLock;

use edgeway_tests::{Server, get, repo_root, request, start_test_app};

/// The test app served split, shared by the tests of this file.
fn split_app() -> &'static Server {
    static APP: OnceLock<Server> = OnceLock::new();
    APP.get_or_init(|| start_test_app(&["--split"]))
}

/// The derived Spin manifest the split build wrote.
fn derived() -> toml::Table {
    split_app();
    let path = repo_root().join("target/edgeway/split/edgeway-test-app/spin.toml");
    let text = std::fs::read_to_string(&path).expect("the split build writes spin.toml");
    toml::from_str(&text).expect("the derived manifest is TOML")
}

/// `(route, component)` of every `[[trigger.http]]`.
fn triggers(manifest: &toml::Table) -> Vec<(String, String)> {
    manifest["trigger"]["http"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let field = |k: &str| t[k].as_str().unwrap().to_owned();
            (field("route"), field("component"))
        })
        .collect()
}

fn component_of(manifest: &toml::Table, route: &str) -> String {
    triggers(manifest)
        .into_iter()
        .find(|(r, _)| r == route)
        .unwrap_or_else(|| panic!("no trigger route {route}"))
        .1
}

#[test]
fn each_group_is_a_component_with_its_own_routes() {
    let manifest = derived();
    let components = manifest["component"].as_table().unwrap();
    // One group per handler of the test app: none of its routes share a pattern.
    let app: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo_root().join("tests/app/spin.toml")).unwrap())
            .unwrap();
    let handlers = app["component"]["gateway"]["tool"]["edgeway"]["handlers"]
        .as_table()
        .unwrap();
    assert_eq!(components.len(), handlers.len());
    assert_eq!(component_of(&manifest, "/hello"), "gateway-greet");
    assert_eq!(component_of(&manifest, "/hello/:name"), "gateway-greet");
    assert_eq!(component_of(&manifest, "/echo/..."), "gateway-echo");
    assert_eq!(component_of(&manifest, "/items/new"), "gateway-greet");
    assert_eq!(component_of(&manifest, "/items/:id"), "gateway-echo");
    // No route is `/...`: one group takes it, so that unknown paths get the gateway's 404.
    assert_eq!(
        triggers(&manifest)
            .iter()
            .filter(|(r, _)| r == "/...")
            .count(),
        1
    );
    let mut routes: Vec<String> = triggers(&manifest).into_iter().map(|(r, _)| r).collect();
    let before = routes.len();
    routes.dedup();
    assert_eq!(
        routes.len(),
        before,
        "a route is given to one component only"
    );
}

#[test]
fn components_list_only_the_capabilities_they_need() {
    let manifest = derived();
    let component = |id: &str| manifest["component"][id].as_table().unwrap().clone();
    let stores = |id: &str| component(id).get("key_value_stores").cloned();
    let variables = |id: &str| -> Vec<String> {
        component(id)
            .get("variables")
            .and_then(toml::Value::as_table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    // `todos` keeps its items in the store and sits behind an API key.
    assert_eq!(
        stores("gateway-todos"),
        Some(toml::Value::from(vec!["default"]))
    );
    assert_eq!(variables("gateway-todos"), ["api_keys"]);
    // `echo`'s routes use API keys, JWTs and a rate limit.
    assert_eq!(
        variables("gateway-echo"),
        ["api_keys", "jwt_secret", "jwt_jwks"]
    );
    assert_eq!(
        stores("gateway-echo"),
        Some(toml::Value::from(vec!["default"]))
    );
    // `greet` has rate limits but no auth; `convert` needs nothing.
    assert_eq!(
        stores("gateway-greet"),
        Some(toml::Value::from(vec!["default"]))
    );
    assert!(variables("gateway-greet").is_empty());
    assert_eq!(stores("gateway-convert"), None);
    assert!(variables("gateway-convert").is_empty());
}

#[test]
fn a_group_holds_only_its_handlers() {
    let dir = repo_root().join("target/edgeway/split/edgeway-test-app");
    split_app();
    let size = |name: &str| std::fs::metadata(dir.join(name)).unwrap().len();
    let whole = std::fs::metadata(repo_root().join("target/edgeway/edgeway-test-app.wasm"))
        .map(|m| m.len())
        .unwrap_or(u64::MAX);
    // The whole app carries two Python and two JavaScript runtimes (~60 MiB).
    assert!(size("gateway-convert.wasm") * 4 < whole.min(60 << 20));
    let manifest = std::fs::read_to_string(dir.join("gateway-convert.toml")).unwrap();
    let parsed: toml::Table = toml::from_str(&manifest).unwrap();
    let edgeway = &parsed["component"]["gateway"]["tool"]["edgeway"];
    let handlers: Vec<&String> = edgeway["handlers"].as_table().unwrap().keys().collect();
    assert_eq!(handlers, ["convert"]);
}

#[test]
fn every_group_answers() {
    let addr = split_app().addr;
    assert_eq!(get(addr, "/hello/ada").json()["message"], "Hello, ada!");
    assert_eq!(get(addr, "/py/hello").json()["message"], "Hello, world!");
    assert_eq!(get(addr, "/js/hello/ada").json()["message"], "Hello, ada!");
    let converted = request(
        addr,
        "POST",
        "/convert",
        &[("content-type", "application/json")],
        br#"{"value": 1, "from": "kilometer", "to": "meter"}"#,
    );
    assert_eq!(converted.status, 200, "{}", converted.text());
    let echoed = get(addr, "/echo/a/b?x=1").json();
    assert_eq!(echoed["path"], "/echo/a/b");
    assert_eq!(echoed["params"]["..."], "a/b");
    let keyed = request(
        addr,
        "GET",
        "/todos",
        &[("x-api-key", "alice-key-0123456789abcdef")],
        b"",
    );
    assert_eq!(keyed.status, 200, "{}", keyed.text());
    request(addr, "GET", "/todos", &[], b"").problem(401, "unauthorized");
}

#[test]
fn overlapping_routes_in_different_groups_behave_as_in_one_component() {
    let addr = split_app().addr;
    // /items/new (greet) is more specific than /items/:id (echo): Spin picks greet's group.
    assert_eq!(get(addr, "/items/new").json()["message"], "Hello, world!");
    assert_eq!(get(addr, "/items/7").json()["params"]["id"], "7");
    // DELETE is not a method of /items/new: in one component it falls through to
    // /items/:id, and so it does here, although Spin sent it to greet's group.
    let deleted = request(addr, "DELETE", "/items/new", &[], b"");
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json()["params"]["id"], "new");
    let posted = request(addr, "POST", "/items/new", &[], b"");
    posted.problem(405, "method-not-allowed");
    assert_eq!(posted.header("allow"), Some("GET, HEAD, DELETE"));
}

#[test]
fn paths_and_methods_in_no_group_get_the_gateways_problems() {
    let addr = split_app().addr;
    get(addr, "/nowhere").problem(404, "route-not-found");
    get(addr, "/hello/a/b").problem(404, "route-not-found");
    get(addr, "/ech").problem(404, "route-not-found");
    let deleted = request(addr, "DELETE", "/hello", &[], b"");
    deleted.problem(405, "method-not-allowed");
    assert_eq!(deleted.header("allow"), Some("GET, HEAD"));
    let converted = get(addr, "/convert");
    converted.problem(405, "method-not-allowed");
    assert_eq!(converted.header("allow"), Some("POST"));
}

#[test]
fn spin_headers_name_the_groups_route() {
    let echoed = get(split_app().addr, "/echo/a/b").json();
    let headers = &echoed["headers"];
    // `[name, value]` pairs, in the order received.
    let header = |name: &str| {
        headers
            .as_array()
            .unwrap()
            .iter()
            .find(|pair| pair[0] == name)
            .map(|pair| pair[1].clone())
            .unwrap_or_else(|| panic!("no {name} in {headers}"))
    };
    assert_eq!(header("spin-matched-route"), "/echo/...");
    assert_eq!(header("spin-component-route"), "/echo");
    assert_eq!(header("spin-path-info"), "/a/b");
}
