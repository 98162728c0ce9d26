//! Cross-origin calls from browsers, with the test app's global CORS policy: origins
//! `https://app.example.com` and `https://*.example.org`, methods GET, POST, DELETE, headers
//! content-type and authorization, credentials, `x-request-id` exposed, max age 600.
use edgeway_tests::{GreetApp, Response, Server, browser, request, test_app};

const APP: &str = "https://app.example.com";

fn preflight(path: &str, origin: &str, method: &str, headers: Option<&str>) -> Response {
    let mut request_headers = vec![
        ("origin", origin),
        ("access-control-request-method", method),
    ];
    request_headers.extend(headers.map(|h| ("access-control-request-headers", h)));
    request(test_app().addr, "OPTIONS", path, &request_headers, b"")
}

fn get_from(path: &str, origin: &str) -> Response {
    request(test_app().addr, "GET", path, &[("origin", origin)], b"")
}

fn cors_header_names(response: &Response) -> Vec<&str> {
    response
        .headers
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

#[test]
fn preflight_from_an_allowed_origin_is_answered_by_the_gateway() {
    let mut ids = Vec::new();
    for origin in [APP, "https://shop.example.org", "https://a.b.example.org"] {
        let response = preflight(
            "/echo/x",
            origin,
            "POST",
            Some("Content-Type, Authorization"),
        );
        assert_eq!(response.status, 204, "{origin}: {}", response.text());
        assert!(response.body.is_empty(), "{origin}: {}", response.text());
        for (name, value) in [
            ("access-control-allow-origin", origin),
            ("access-control-allow-credentials", "true"),
            ("access-control-allow-methods", "GET, POST, DELETE"),
            (
                "access-control-allow-headers",
                "content-type, authorization",
            ),
            ("access-control-max-age", "600"),
            ("vary", "Origin"),
        ] {
            assert_eq!(response.header(name), Some(value), "{origin}: {name}");
        }
        ids.push(response.header("x-request-id").unwrap().to_owned());
    }
    // No handler ran: the access log names the route but no handler.
    let log = test_app().access_log();
    for id in ids {
        let record = log.iter().find(|r| r["request_id"] == id.as_str()).unwrap();
        assert_eq!(record["method"], "OPTIONS");
        assert_eq!(record["route"], "/echo/...");
        assert_eq!(record["handler"], serde_json::Value::Null);
        assert_eq!(record["status"], 204);
    }
}

#[test]
fn preflight_refusals_are_403_without_cors_headers() {
    for (case, origin, method, headers) in [
        ("unknown origin", "https://evil.example.com", "GET", None),
        ("look-alike origin", "https://evilexample.org", "GET", None),
        (
            "bare parent of the wildcard",
            "https://example.org",
            "GET",
            None,
        ),
        (
            "http instead of https",
            "http://app.example.com",
            "GET",
            None,
        ),
        ("opaque origin", "null", "GET", None),
        ("method not allowed cross-origin", APP, "PUT", None),
        (
            "header not allowed",
            APP,
            "POST",
            Some("content-type, x-secret"),
        ),
    ] {
        let response = preflight("/echo/x", origin, method, headers);
        let problem = response.problem(403, "cors-denied");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("cross-origin request refused"),
            "{case}: {problem}"
        );
        assert_eq!(cors_header_names(&response), Vec::<&str>::new(), "{case}");
    }
}

#[test]
fn simple_requests_from_an_allowed_origin_may_read_the_answer() {
    for (path, status) in [("/hello", 200), ("/me", 401)] {
        let response = get_from(path, "https://x.example.org");
        assert_eq!(response.status, status, "{path}: {}", response.text());
        assert_eq!(
            response.header("access-control-allow-origin"),
            Some("https://x.example.org"),
            "{path}"
        );
        assert_eq!(
            response.header("access-control-allow-credentials"),
            Some("true")
        );
        assert_eq!(
            response.header("access-control-expose-headers"),
            Some("x-request-id")
        );
        assert_eq!(response.header("vary"), Some("Origin"));
    }
}

#[test]
fn simple_requests_from_other_origins_are_served_but_not_shared() {
    for origin in ["https://evil.example.com", "null"] {
        let response = get_from("/hello", origin);
        // The server answers (browsers enforce CORS); the answer only varies by origin.
        assert_eq!(response.status, 200);
        assert_eq!(cors_header_names(&response), Vec::<&str>::new(), "{origin}");
        assert_eq!(response.header("vary"), Some("Origin"), "{origin}");
    }
}

#[test]
fn a_route_without_cors_gets_no_cors_headers() {
    let response = get_from("/quiet", APP);
    assert_eq!(response.status, 200);
    assert_eq!(cors_header_names(&response), Vec::<&str>::new());
    assert_eq!(response.header("vary"), None);
    // A preflight for it is not answered as one: /quiet takes only GET, so OPTIONS gets
    // the gateway's 405, which browsers take as a refusal.
    let response = preflight("/quiet", APP, "GET", None);
    response.problem(405, "method-not-allowed");
    assert_eq!(response.header("access-control-allow-methods"), None);
}

#[test]
fn the_gateways_own_answers_carry_the_app_wide_cors_headers() {
    for (method, path, status, kind) in [
        ("GET", "/nope", 404, "route-not-found"),
        ("DELETE", "/hello", 405, "method-not-allowed"),
        ("GET", "/echo/../me", 400, "invalid-path"),
    ] {
        let response = request(test_app().addr, method, path, &[("origin", APP)], b"");
        response.problem(status, kind);
        for (name, value) in [
            ("access-control-allow-origin", APP),
            ("access-control-allow-credentials", "true"),
            ("access-control-expose-headers", "x-request-id"),
            ("vary", "Origin"),
        ] {
            assert_eq!(
                response.header(name),
                Some(value),
                "{method} {path}: {name}"
            );
        }
        let response = request(
            test_app().addr,
            method,
            path,
            &[("origin", "https://evil.example.com")],
            b"",
        );
        response.problem(status, kind);
        assert_eq!(cors_header_names(&response), Vec::<&str>::new());
    }
}

#[test]
fn preflights_without_a_route_for_the_method_are_answered_with_the_app_wide_policy() {
    // So that the browser goes on to send the request and can read the 404 or 405 problem.
    for (path, method) in [("/nope", "GET"), ("/hello", "DELETE")] {
        let response = preflight(path, APP, method, Some("content-type"));
        assert_eq!(response.status, 204, "{path}: {}", response.text());
        assert_eq!(response.header("access-control-allow-origin"), Some(APP));
        assert_eq!(
            response.header("access-control-allow-methods"),
            Some("GET, POST, DELETE")
        );
    }
    // The app-wide policy still refuses what it does not allow.
    preflight("/nope", APP, "PUT", None).problem(403, "cors-denied");
    preflight("/nope", "https://evil.example.com", "GET", None).problem(403, "cors-denied");
}

/// From a page at `http://localhost:<port>`, a script calls the same app at
/// `http://127.0.0.1:<port>`: another origin, as for a browser app calling its API.
#[test]
fn a_browser_app_can_read_every_problem() {
    let app = GreetApp::new(
        "browser-cors",
        "",
        "web=web-key-0123456789",
        "[component.gateway.tool.edgeway.policies]\n\
         cors = { origins = [\"*\"], headers = [\"x-api-key\"] }\n\
         [component.gateway.tool.edgeway.api_key]\nkeys = \"api_keys\"\n\
         [component.gateway.tool.edgeway.routes]\n\"GET /hello\" = \"greet\"\n\
         \"GET /private\" = { handler = \"greet\", auth = \"api-key\" }\n",
    );
    let server = Server::start(&app.manifest(), &[], &[]);
    let port = server.addr.port();
    let seen = browser::run(
        "cors.cjs",
        &[
            &format!("http://localhost:{port}/hello"),
            &format!("http://127.0.0.1:{port}"),
            "GET /hello",
            "GET /nope",
            "DELETE /hello",
            "GET /private",
            "GET /private x-api-key: web-key-0123456789",
        ],
    );
    let answers: Vec<(u64, &str)> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            assert!(call["error"].is_null(), "the page could not read: {call}");
            let kind = call["body"]["type"].as_str().unwrap_or("");
            (call["status"].as_u64().unwrap(), kind)
        })
        .collect();
    assert_eq!(
        answers,
        [
            (200, ""),
            (404, "urn:edgeway:problem:route-not-found"),
            (405, "urn:edgeway:problem:method-not-allowed"),
            (401, "urn:edgeway:problem:unauthorized"),
            (200, ""),
        ]
    );
}
