//! Every example route, over HTTP, on the local host.
use edgeway_tests::{get, request, test_app};
use serde_json::json;

#[test]
fn hello_world() {
    let response = get(test_app().addr, "/hello");
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"message":"Hello, world!"}"#);
}

#[test]
fn hello_name_is_decoded_and_json_escaped() {
    let addr = test_app().addr;
    assert_eq!(
        get(addr, "/hello/ada").json(),
        json!({ "message": "Hello, ada!" })
    );
    assert_eq!(
        get(addr, "/hello/J%C3%BCrgen").json(),
        json!({ "message": "Hello, Jürgen!" })
    );
    assert_eq!(
        get(addr, "/hello/%22quoted%22").json(),
        json!({ "message": "Hello, \"quoted\"!" })
    );
    assert_eq!(
        get(addr, "/hello/a%2Fb").json(),
        json!({ "message": "Hello, a/b!" })
    );
}

#[test]
fn one_trailing_slash_is_ignored() {
    assert_eq!(
        get(test_app().addr, "/hello/").json(),
        json!({ "message": "Hello, world!" })
    );
}

#[test]
fn head_is_served_by_get_routes_without_a_body() {
    let response = request(test_app().addr, "HEAD", "/hello", &[], b"");
    assert_eq!(response.status, 200);
    assert!(response.header("x-request-id").is_some());
}

#[test]
fn exact_beats_param_whatever_the_manifest_order() {
    let addr = test_app().addr;
    // `GET /items/new` goes to greet; `/items/:id` to echo, for GET and DELETE.
    assert_eq!(
        get(addr, "/items/new").json(),
        json!({ "message": "Hello, world!" })
    );
    let item = get(addr, "/items/42").json();
    assert_eq!(item["route"], "/items/:id");
    assert_eq!(item["params"], json!({ "id": "42" }));
    let deleted = request(addr, "DELETE", "/items/new", &[], b"").json();
    assert_eq!(deleted["route"], "/items/:id");
    assert_eq!(deleted["params"], json!({ "id": "new" }));
}

#[test]
fn echo_returns_what_it_received() {
    let body = br#"{"hello":"there"}"#;
    let response = request(
        test_app().addr,
        "PUT",
        "/echo/a/b%20c?x=1&y=two",
        &[("x-custom", "value"), ("x-request-id", "test-id-123")],
        body,
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-request-id"), Some("test-id-123"));
    let echo = response.json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo/a/b%20c");
    assert_eq!(echo["query"], "x=1&y=two");
    assert_eq!(echo["params"], json!({ "...": "a/b c" }));
    assert_eq!(echo["route"], "/echo/...");
    assert_eq!(echo["request_id"], "test-id-123");
    assert_eq!(echo["body"], r#"{"hello":"there"}"#);
    assert_eq!(echo["body_encoding"], "utf-8");
    let headers = echo["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["x-custom", "value"])),
        "{headers:?}"
    );
}

#[test]
fn echo_sees_the_headers_spin_adds() {
    let echo = get(test_app().addr, "/echo/x?q=1").json();
    let header = |name: &str| {
        echo["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_owned())
    };
    assert_eq!(header("spin-path-info").as_deref(), Some("/echo/x"));
    assert_eq!(header("spin-matched-route").as_deref(), Some("/..."));
    assert!(header("spin-full-url").unwrap().ends_with("/echo/x?q=1"));
    assert!(
        header("spin-client-addr")
            .unwrap()
            .starts_with("127.0.0.1:")
    );
}

#[test]
fn echo_encodes_binary_bodies_as_base64() {
    let echo = request(test_app().addr, "POST", "/echo", &[], &[0xff, 0x00, 0xfe]).json();
    assert_eq!(echo["body"], "/wD+");
    assert_eq!(echo["body_encoding"], "base64");
    assert_eq!(echo["params"], json!({ "...": "" }));
}

#[test]
fn echo_carries_a_one_mebibyte_body() {
    let body: Vec<u8> = (0..1024 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    let response = request(test_app().addr, "POST", "/echo/big", &[], &body);
    assert_eq!(response.status, 200);
    let echo = response.json();
    assert_eq!(echo["body_length"], body.len());
    assert_eq!(echo["body"].as_str().unwrap().as_bytes(), body.as_slice());
}

#[test]
fn convert_converts_and_explains_bad_input() {
    let addr = test_app().addr;
    let post = |body: &str| {
        request(
            addr,
            "POST",
            "/convert",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
    };
    let ok = post(r#"{"value": 100, "from": "celsius", "to": "kelvin"}"#);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), json!({ "value": 373.15, "unit": "kelvin" }));
    assert_eq!(
        post(r#"{"value": 1, "from": "mile", "to": "meter"}"#).json()["value"],
        1609.344
    );

    let bad_json = post(r#"{"value": 1,"#);
    assert_eq!(bad_json.status, 400);
    assert_eq!(
        bad_json.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(bad_json.json()["title"], "Invalid JSON body");

    let unknown = post(r#"{"value": 1, "from": "parsec", "to": "meter"}"#);
    assert_eq!(unknown.status, 422);
    assert!(
        unknown.json()["detail"]
            .as_str()
            .unwrap()
            .contains("unknown unit `parsec`")
    );

    let mismatch = post(r#"{"value": 1, "from": "meter", "to": "celsius"}"#);
    assert_eq!(mismatch.status, 422);
    assert_eq!(mismatch.json()["title"], "Incompatible units");
}
