//! Handlers in Python and JavaScript behind the same contract, over HTTP: the example
//! handlers, the test-only probes (tests/handlers), their failures, and `edgeway new`.
use std::process::Command;

use edgeway_tests::{Response, Server, TempRepo, edgeway, get, repo_root, request, run, test_app};
use serde_json::json;

fn assert_handler_problem(response: &Response, status: u16, title: &str) -> serde_json::Value {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let problem = response.json();
    assert_eq!(problem["type"], "urn:edgeway:problem:handler");
    assert_eq!(problem["title"], title);
    problem
}

#[test]
fn python_and_javascript_say_hello() {
    let addr = test_app().addr;
    for prefix in ["/py", "/js"] {
        let response = get(addr, &format!("{prefix}/hello"));
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.text(), r#"{"message":"Hello, world!"}"#);
        assert_eq!(
            get(addr, &format!("{prefix}/hello/J%C3%BCrgen")).json(),
            json!({ "message": "Hello, Jürgen!" })
        );
    }
}

#[test]
fn python_request_has_params_query_headers_json_and_context() {
    let response = request(
        test_app().addr,
        "POST",
        "/py/probe/x%20y?a=1&a=2&b=%C3%BC&empty=",
        &[("x-probe", "yes"), ("x-request-id", "py-probe-1")],
        br#"{"n": [1, 2]}"#,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({
            "method": "POST",
            "path": "/py/probe/x%20y",
            "params": { "what": "x y" },
            "query": { "a": "1", "b": "ü", "empty": "" },
            "query_all": { "a": ["1", "2"], "b": ["ü"], "empty": [""] },
            "x_probe": "yes",
            "json": { "n": [1, 2] },
            "request_id": "py-probe-1",
            "route": "/py/probe/:what",
        })
    );
}

#[test]
fn python_return_forms_become_responses() {
    let addr = test_app().addr;
    let tuple = get(addr, "/py/probe/tuple");
    assert_eq!(tuple.status, 201);
    assert_eq!(tuple.header("x-probe"), Some("tuple"));
    assert_eq!(
        tuple.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(tuple.text(), "created");
    let bytes = get(addr, "/py/probe/bytes");
    assert_eq!(
        bytes.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(bytes.body, [0x00, 0xff]);
    let none = get(addr, "/py/probe/none");
    assert_eq!((none.status, none.body.len()), (204, 0));
}

#[test]
fn python_problems_and_exceptions_are_problem_responses_and_the_next_request_works() {
    let addr = test_app().addr;
    let problem =
        assert_handler_problem(&get(addr, "/py/probe/problem"), 409, "Conflict on purpose");
    assert_eq!(problem["detail"], "the probe was asked for a problem");
    let invalid = request(addr, "POST", "/py/probe/x", &[], b"{not json");
    assert_handler_problem(&invalid, 400, "Invalid JSON body");
    for _ in 0..2 {
        let raised = get(addr, "/py/probe/raise");
        let problem = assert_handler_problem(&raised, 500, "Handler raised an exception");
        assert_eq!(
            problem["detail"],
            "ValueError: the probe was asked to raise"
        );
        assert_eq!(get(addr, "/py/hello").status, 200);
    }
    // The traceback reaches the log, under the request's id.
    assert!(
        test_app()
            .settled_stderr()
            .contains("ValueError: the probe was asked to raise")
    );
}

#[test]
fn javascript_gets_an_api_gateway_event_and_a_lambda_context() {
    let response = request(
        test_app().addr,
        "PUT",
        "/js/probe/x%20y?a=1&a=2&b=%C3%BC",
        &[
            ("x-probe", "yes"),
            ("x-request-id", "js-probe-1"),
            ("cookie", "c=1; d=2"),
        ],
        br#"{"n": 1}"#,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let seen = response.json();
    let event = &seen["event"];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "PUT /js/probe/{what}");
    assert_eq!(event["rawPath"], "/js/probe/x%20y");
    assert_eq!(event["rawQueryString"], "a=1&a=2&b=%C3%BC");
    assert_eq!(
        event["queryStringParameters"],
        json!({ "a": "1,2", "b": "ü" })
    );
    assert_eq!(event["pathParameters"], json!({ "what": "x y" }));
    assert_eq!(event["headers"]["x-probe"], "yes");
    assert_eq!(event["cookies"], json!(["c=1", "d=2"]));
    assert_eq!(event["requestContext"]["http"]["method"], "PUT");
    assert_eq!(event["requestContext"]["http"]["path"], "/js/probe/x%20y");
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(event["requestContext"]["requestId"], "js-probe-1");
    assert_eq!(event["body"], r#"{"n": 1}"#);
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(seen["awsRequestId"], "js-probe-1");
    let remaining = seen["remaining"].as_u64().unwrap();
    assert!((1..=30_000).contains(&remaining), "{remaining}");
}

#[test]
fn javascript_binary_bodies_arrive_base64_encoded() {
    let seen = request(
        test_app().addr,
        "POST",
        "/js/probe/x",
        &[],
        &[0xff, 0x00, 0xfe],
    )
    .json();
    assert_eq!(seen["event"]["body"], "/wD+");
    assert_eq!(seen["event"]["isBase64Encoded"], true);
    assert!(seen["event"].get("queryStringParameters").is_none());
}

#[test]
fn javascript_lambda_result_forms_become_responses() {
    let addr = test_app().addr;
    let binary = get(addr, "/js/probe/binary");
    assert_eq!(binary.status, 200);
    assert_eq!(
        binary.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(binary.body, [0x00, 0xff, 0x10]);
    let string = get(addr, "/js/probe/string");
    assert_eq!(
        (string.status, string.text().as_str()),
        (200, "plain string")
    );
    let object = get(addr, "/js/probe/object");
    assert_eq!(object.header("content-type"), Some("application/json"));
    assert_eq!(object.json(), json!({ "hello": "lambda" }));
    let cookies = get(addr, "/js/probe/cookies");
    assert_eq!(cookies.status, 204);
    let set: Vec<&str> = cookies
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value.as_str())
        .collect();
    assert_eq!(set, ["a=1", "b=2"]);
}

#[test]
fn a_javascript_exception_is_a_500_problem_and_the_next_request_works() {
    let addr = test_app().addr;
    for _ in 0..2 {
        let thrown = get(addr, "/js/probe/throw");
        let problem = assert_handler_problem(&thrown, 500, "Handler raised an exception");
        assert_eq!(
            problem["detail"],
            "RangeError: the probe was asked to throw"
        );
        assert_eq!(get(addr, "/js/hello").status, 200);
    }
    assert!(
        test_app()
            .settled_stderr()
            .contains("RangeError: the probe was asked to throw")
    );
}

#[test]
fn the_python_and_javascript_sdks_pass_their_unit_tests() {
    let root = repo_root();
    run(Command::new(root.join(".edgeway/tools/python/bin/python"))
        .args(["-m", "unittest", "discover", "-s", "tests"])
        .current_dir(root.join("crates/edgeway-sdk-python")));
    run(Command::new("node")
        .args(["--test", "test/"])
        .current_dir(root.join("crates/edgeway-sdk-js")));
}

#[test]
fn edgeway_new_scaffolds_handlers_that_pass_their_tests_build_and_serve() {
    let app = TempRepo::new("new");
    app.new_handler(&["hello-rs", "--lang", "rust", "--route", "GET /rs/hi"]);
    app.new_handler(&[
        "hello-py",
        "--lang",
        "python",
        "--route",
        "GET /py/hi/:name",
    ]);
    app.new_handler(&["hello-js", "--lang", "js"]);

    // The manifests keep their comments and formatting; the lines are added to their tables.
    let manifest = std::fs::read_to_string(app.manifest()).unwrap();
    let expected = TempRepo::APP
        .replace(
            "# Rust\n",
            "# Rust\nhello-rs = { path = \"components/hello-rs\" }\n\
             hello-py = { path = \"components/hello-py\" }\n\
             hello-js = { path = \"components/hello-js\" }\n",
        )
        .replace(
            "\"GET /hello\" = \"greet\"\n",
            "\"GET /hello\" = \"greet\"\n\"GET /rs/hi\" = \"hello-rs\"\n\
             \"GET /py/hi/:name\" = \"hello-py\"\n\"GET /hello-js\" = \"hello-js\"\n",
        );
    assert_eq!(manifest, expected);
    let members = std::fs::read_to_string(app.dir().join("components/Cargo.toml")).unwrap();
    assert!(
        members.contains("members = [\"gateway\", \"examples/greet\", \"hello-rs\"]"),
        "{members}"
    );

    // Python and JavaScript handlers start with an empty dependency file that says how to
    // add packages and grant hosts.
    let components = app.dir().join("components");
    let requirements = std::fs::read_to_string(components.join("hello-py/requirements.txt"));
    let requirements = requirements.unwrap();
    assert!(
        requirements.lines().all(|l| l.starts_with('#')),
        "{requirements}"
    );
    assert!(
        requirements
            .contains("hello-py = { path = \"components/hello-py\", allowed_outbound_hosts = [")
    );
    let package = std::fs::read_to_string(components.join("hello-js/package.json")).unwrap();
    let package: serde_json::Value = serde_json::from_str(&package).unwrap();
    assert_eq!(package["dependencies"], json!({}));
    assert!(
        package["//"]
            .to_string()
            .contains("npm install NAME --save-exact"),
        "{package}"
    );
    assert!(
        package["//"].to_string().contains("allowed_outbound_hosts"),
        "{package}"
    );

    // Each template passes its own test.
    run(Command::new("python3")
        .args(["-m", "doctest", "-v", "app.py"])
        .current_dir(components.join("hello-py")));
    run(Command::new("node")
        .arg("--test")
        .current_dir(components.join("hello-js")));
    run(Command::new(env!("CARGO"))
        .args(["test", "--target", host_target()])
        .current_dir(components.join("hello-rs"))
        .envs(app.envs()));

    let envs = app.envs();
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&app.manifest(), &[], &envs);
    for (path, message) in [
        ("/hello", "Hello, world!"),
        ("/rs/hi", "Hello, world!"),
        ("/py/hi/ada", "Hello, ada!"),
        ("/hello-js", "Hello, world!"),
    ] {
        let response = get(server.addr, path);
        assert_eq!(response.status, 200, "{path}: {}", response.text());
        assert_eq!(response.json(), json!({ "message": message }), "{path}");
    }

    // A name that is taken is refused, and nothing is written.
    let output = edgeway()
        .args(["new", "hello-py", "--lang", "python", "--manifest"])
        .arg(app.manifest())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("already declares a handler `hello-py`")
    );
    assert_eq!(std::fs::read_to_string(app.manifest()).unwrap(), expected);
}

/// A handler may share its name with a crate in the components' dependency graph: cargo
/// would call `-p quote` ambiguous, so edgeway builds each package by its id.
#[test]
fn handlers_named_like_crates_they_depend_on_build_and_serve() {
    let app = TempRepo::new("crate-names");
    let names = ["quote", "serde", "http", "anyhow"];
    for name in names {
        app.new_handler(&[name, "--lang", "rust"]);
    }
    let envs = app.envs();
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start(&app.manifest(), &[], &envs);
    for name in names {
        let response = get(server.addr, &format!("/{name}"));
        assert_eq!(response.status, 200, "/{name}: {}", response.text());
        assert_eq!(response.json(), json!({ "message": "Hello, world!" }));
    }
}

/// The native target, for a component crate's unit tests.
fn host_target() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    }
}
