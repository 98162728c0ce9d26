//! What callers see when something is wrong: always a JSON problem, never an empty body.
use edgeway_tests::{get, request, start_test_app, test_app};

#[test]
fn unknown_path_is_404() {
    let problem = get(test_app().addr, "/nowhere").problem(404, "route-not-found");
    assert_eq!(problem["instance"], "/nowhere");
}

#[test]
fn wrong_method_is_405_with_allow() {
    let addr = test_app().addr;
    let response = request(addr, "POST", "/hello", &[], b"{}");
    response.problem(405, "method-not-allowed");
    assert_eq!(response.header("allow"), Some("GET, HEAD"));

    let response = request(addr, "PUT", "/items/7", &[], b"");
    response.problem(405, "method-not-allowed");
    assert_eq!(response.header("allow"), Some("GET, HEAD, DELETE"));
}

#[test]
fn invalid_percent_encoding_in_a_parameter_is_400() {
    get(test_app().addr, "/hello/%FF").problem(400, "invalid-path");
}

#[test]
fn body_over_the_limit_is_413() {
    let body = vec![b'x'; 10 * 1024 * 1024 + 1];
    request(test_app().addr, "POST", "/echo", &[], &body).problem(413, "body-too-large");
}

#[test]
fn handler_problem_keeps_its_status() {
    let problem = get(test_app().addr, "/fault/problem").problem(409, "handler");
    assert_eq!(problem["title"], "Conflict on purpose");
}

#[test]
fn invalid_handler_response_is_502() {
    let problem = get(test_app().addr, "/fault/status").problem(502, "invalid-handler-response");
    assert!(problem["detail"].as_str().unwrap().contains("status 1000"));
}

#[test]
fn a_panicking_handler_is_a_500_and_the_host_serves_on() {
    // A trap ends its instance, and on WASI 0.3 every request in flight on that instance with
    // it, as on Spin: a server of its own keeps the other tests' requests off that instance.
    let app = start_test_app(&[]);
    let addr = app.addr;
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
        app.settled_stderr()
            .contains("the fault handler was asked to panic")
    );
}
