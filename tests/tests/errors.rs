//! What callers see when something is wrong: always a JSON problem, never an empty body.
use edgeway_tests::{Response, get, request, test_app};

fn assert_problem(response: &Response, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let problem = response.json();
    assert_eq!(problem["status"], status);
    assert_eq!(problem["type"], format!("urn:edgeway:problem:{kind}"));
    assert!(!problem["title"].as_str().unwrap().is_empty());
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    assert_eq!(
        problem["request_id"].as_str(),
        response.header("x-request-id")
    );
    problem
}

#[test]
fn unknown_path_is_404() {
    let problem = assert_problem(&get(test_app().addr, "/nowhere"), 404, "route-not-found");
    assert_eq!(problem["instance"], "/nowhere");
}

#[test]
fn wrong_method_is_405_with_allow() {
    let addr = test_app().addr;
    let response = request(addr, "POST", "/hello", &[], b"{}");
    assert_problem(&response, 405, "method-not-allowed");
    assert_eq!(response.header("allow"), Some("GET, HEAD"));

    let response = request(addr, "PUT", "/items/7", &[], b"");
    assert_problem(&response, 405, "method-not-allowed");
    assert_eq!(response.header("allow"), Some("GET, HEAD, DELETE"));
}

#[test]
fn invalid_percent_encoding_in_a_parameter_is_400() {
    assert_problem(&get(test_app().addr, "/hello/%FF"), 400, "invalid-path");
}

#[test]
fn body_over_the_limit_is_413() {
    let body = vec![b'x'; 10 * 1024 * 1024 + 1];
    assert_problem(
        &request(test_app().addr, "POST", "/echo", &[], &body),
        413,
        "body-too-large",
    );
}

#[test]
fn handler_problem_keeps_its_status() {
    let problem = assert_problem(&get(test_app().addr, "/fault/problem"), 409, "handler");
    assert_eq!(problem["title"], "Conflict on purpose");
}

#[test]
fn invalid_handler_response_is_502() {
    let problem = assert_problem(
        &get(test_app().addr, "/fault/status"),
        502,
        "invalid-handler-response",
    );
    assert!(problem["detail"].as_str().unwrap().contains("status 1000"));
}

#[test]
fn a_panicking_handler_is_a_500_and_the_host_serves_on() {
    let addr = test_app().addr;
    for _ in 0..3 {
        let response = get(addr, "/fault/panic");
        assert_eq!(response.status, 500);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        assert!(response.json()["detail"].as_str().unwrap().contains("trap"));
        assert_eq!(get(addr, "/hello").status, 200);
    }
    assert!(
        test_app()
            .stderr()
            .contains("the fault handler was asked to panic")
    );
}
