//! The API described: `edgeway openapi` writes a valid OpenAPI 3.1 document with every route,
//! the gateway serves the same bytes at `/openapi.json` (or where the manifest says, behind
//! its auth if asked), and the docs page shows it in a real browser.
use std::path::Path;
use std::process::Command;

use edgeway_manifest::Manifest;
use edgeway_tests::{GreetApp, Server, browser, edgeway, get, repo_root, request, test_app};
use serde_json::Value;

/// `edgeway openapi` for `manifest`, as printed on standard output.
fn openapi(manifest: &Path) -> String {
    let output = edgeway()
        .args(["openapi", "--manifest"])
        .arg(manifest)
        .output()
        .expect("edgeway runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Runs the independent validator (openapi-spec-validator, from PyPI; scripts/install.sh).
fn assert_valid_openapi(document: &str, name: &str) {
    let file = std::env::temp_dir().join(format!("edgeway-{}-{name}.json", std::process::id()));
    std::fs::write(&file, document).unwrap();
    let validator = repo_root().join(".edgeway/tools/python/bin/openapi-spec-validator");
    assert!(
        validator.exists(),
        "{} is missing: run scripts/install.sh",
        validator.display()
    );
    let output = Command::new(&validator)
        .arg(&file)
        .output()
        .expect("the validator runs");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && said.contains(": OK"),
        "{name}: {said}"
    );
    std::fs::remove_file(file).unwrap();
}

/// `/hello/:name` → `/hello/{name}`, `/echo/...` → `/echo/{rest}`, written here apart from
/// the crate that writes the document.
fn template(pattern: &str) -> String {
    let segments: Vec<String> = pattern
        .split('/')
        .skip(1)
        .map(|s| match s {
            "..." => "{rest}".to_owned(),
            s if s.starts_with(':') => format!("{{{}}}", &s[1..]),
            s => s.to_owned(),
        })
        .collect();
    format!("/{}", segments.join("/"))
}

#[test]
fn the_example_document_is_valid_and_has_every_route() {
    let manifest_path = repo_root().join("spin.toml");
    let text = openapi(&manifest_path);
    assert_valid_openapi(&text, "example");
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let manifest = Manifest::load(&manifest_path).unwrap();
    let mut operations = 0;
    for route in &manifest.routes {
        let item = &document["paths"][template(&route.pattern)];
        assert!(item.is_object(), "{} is missing", route.pattern);
        // OpenAPI has no CONNECT operation; HEAD is listed only for ANY (GET routes serve it).
        let any = route.methods == edgeway_router::Methods::ANY;
        for method in route
            .methods
            .names()
            .filter(|m| *m != "CONNECT" && (*m != "HEAD" || any))
        {
            let operation = &item[method.to_ascii_lowercase()];
            assert_eq!(
                operation["x-edgeway-handler"],
                route.handler.as_str(),
                "{method} {}",
                route.pattern
            );
            operations += 1;
        }
    }
    let written: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|i| i.as_object().unwrap().len())
        .sum();
    assert_eq!(
        written, operations,
        "no operation the manifest does not have"
    );
    // The metadata and the policies of the example are in it.
    let convert = &document["paths"]["/convert"]["post"];
    assert_eq!(convert["operationId"], "convert");
    assert_eq!(
        convert["requestBody"]["content"]["application/json"]["schema"]["required"],
        serde_json::json!(["value", "from", "to"])
    );
    let todos = &document["paths"]["/todos"]["post"];
    assert_eq!(
        todos["security"],
        serde_json::json!([{ "apiKeyHeader": [] }])
    );
    for status in ["400", "401", "404", "405", "413", "429"] {
        assert!(
            todos["responses"][status].is_object(),
            "POST /todos lacks {status}"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["apiKeyHeader"]["name"],
        "x-api-key"
    );
}

#[test]
fn the_events_document_has_the_webhook_and_schedule_paths() {
    let text = openapi(&repo_root().join("tests/events-app/spin.toml"));
    assert_valid_openapi(&text, "events-app");
    let document: Value = serde_json::from_str(&text).unwrap();
    for path in ["/events/{topic}", "/_edgeway/schedules/{name}"] {
        let operation = &document["paths"][path]["post"];
        assert!(operation["responses"]["202"].is_object(), "{path}");
        assert!(operation["security"].is_array(), "{path} has its auth");
    }
}

#[test]
fn the_gateway_serves_the_document_edgeway_openapi_writes() {
    let manifest = repo_root().join("tests/app/spin.toml");
    let printed = openapi(&manifest);
    assert_valid_openapi(&printed, "test-app");
    let served = get(test_app().addr, "/openapi.json");
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    assert!(
        served.text() == printed,
        "the served document differs from `edgeway openapi`"
    );
    // `-o` writes the same bytes.
    let file = std::env::temp_dir().join(format!("edgeway-openapi-{}.json", std::process::id()));
    let status = edgeway()
        .args(["openapi", "--manifest"])
        .arg(&manifest)
        .arg("-o")
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);
    std::fs::remove_file(file).unwrap();
    // Only GET and HEAD.
    request(test_app().addr, "POST", "/openapi.json", &[], b"{}")
        .problem(405, "method-not-allowed");
    let head = request(test_app().addr, "HEAD", "/openapi.json", &[], b"");
    assert_eq!((head.status, head.body.len()), (200, 0));
}

#[test]
fn the_document_can_move_and_be_protected_by_the_apps_auth() {
    let app = GreetApp::new(
        "described",
        "version = \"2.0.0\"",
        "reader=reader-key-0123456789",
        "[component.gateway.tool.edgeway.routes]\n\"GET /hello\" = \"greet\"\n\
         [component.gateway.tool.edgeway.openapi]\npath = \"/spec.json\"\nauth = \"api-key\"\n",
    );
    let manifest = app.manifest();
    let server = Server::start(&manifest, &[], &[]);
    get(server.addr, "/spec.json").problem(401, "unauthorized");
    let served = request(
        server.addr,
        "GET",
        "/spec.json",
        &[("x-api-key", "reader-key-0123456789")],
        b"",
    );
    assert_eq!(served.status, 200);
    assert_eq!(served.text(), openapi(&manifest));
    assert_eq!(served.json()["info"]["version"], "2.0.0");
    // Moved, and no docs page unless the manifest asks for one.
    get(server.addr, "/openapi.json").problem(404, "route-not-found");
    get(server.addr, "/docs").problem(404, "route-not-found");
}

#[test]
fn check_responses_logs_what_the_document_does_not_allow_and_changes_nothing() {
    let app = GreetApp::new(
        "checked",
        "",
        "reader=reader-key-0123456789",
        "[component.gateway.tool.edgeway.routes]\n\
         \"GET /hello\" = { handler = \"greet\", responses = { 200 = { description = \"A count\", schema = { type = \"object\", required = [\"message\"], properties = { message = { type = \"integer\" } } } } } }\n\
         \"GET /hello/:name\" = \"greet\"\n",
    );
    let server = Server::start(&app.manifest(), &["--check-responses"], &[]);
    let fine = get(server.addr, "/hello/ada");
    assert_eq!(fine.status, 200);
    let wrong = get(server.addr, "/hello");
    assert_eq!(
        wrong.status, 200,
        "the answer is sent as the handler gave it"
    );
    assert!(wrong.json()["message"].is_string());
    let request_id = wrong.header("x-request-id").unwrap().to_owned();
    let expected = format!(
        "[{request_id}] response check: GET /hello answered 200 against the OpenAPI document: at \"/message\":"
    );
    let logged = server.wait_for_stderr(&expected, std::time::Duration::from_secs(10));
    let log = server.stderr();
    assert!(logged, "no violation logged:\n{log}");
    assert_eq!(
        log.matches("response check:").count(),
        1,
        "only the violation:\n{log}"
    );
}

#[test]
fn the_docs_page_shows_every_route_and_tries_one_in_chromium() {
    let addr = test_app().addr;
    let page = get(addr, "/docs");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        !page.text().contains("http://") && !page.text().contains("https://"),
        "the page loads nothing from elsewhere"
    );

    let seen = browser::run(
        "docs.cjs",
        &[&format!("http://{addr}/docs"), "GET /hello/{name}"],
    );
    assert_eq!(seen["status"], 200);
    assert_eq!(
        seen["errors"],
        serde_json::json!([]),
        "console errors or failed requests"
    );
    let document: Value =
        serde_json::from_str(&openapi(&repo_root().join("tests/app/spin.toml"))).unwrap();
    let mut expected: Vec<String> = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            expected.push(format!("{} {path}", method.to_ascii_uppercase()));
        }
    }
    let mut shown: Vec<String> = seen["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    expected.sort();
    shown.sort();
    assert_eq!(shown, expected, "every operation is on the page");
    let parameters: Vec<&str> = seen["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in ["name", "rest", "limit", "tag"] {
        assert!(
            parameters.contains(&name),
            "parameter {name} not shown: {parameters:?}"
        );
    }
    // The page's "Try it" sent GET /hello/string and shows the handler's answer.
    let status = seen["tried"]["status"].as_str().unwrap();
    assert!(
        status.contains("/hello/") && status.contains("→ 200"),
        "{status}"
    );
    assert!(
        seen["tried"]["body"].as_str().unwrap().contains("Hello, "),
        "{}",
        seen["tried"]
    );
}
