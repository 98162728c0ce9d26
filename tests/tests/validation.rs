//! Request validation against the routes' JSON Schemas, over real HTTP: `POST /validated` of
//! tests/app/spin.toml (the `echo` handler behind a body and a query schema).
use edgeway_tests::{Response, request, test_app};
use serde_json::{Value, json};

const GOOD: &str = r#"{"name": "tea", "size": "small", "count": 2, "tags": ["hot"]}"#;

fn post(query: &str, body: &str) -> Response {
    let target = format!("/validated{query}");
    let headers = [("content-type", "application/json")];
    request(test_app().addr, "POST", &target, &headers, body.as_bytes())
}

/// The violations of a `400` problem, as `(in, pointer)`, with their messages.
fn violations(response: &Response) -> Vec<(String, String, String)> {
    let problem = response.problem(400, "invalid-request");
    problem["errors"]
        .as_array()
        .expect("an `errors` array")
        .iter()
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_else(|| panic!("{e}")).to_owned();
            (text("in"), text("pointer"), text("message"))
        })
        .collect()
}

#[test]
fn a_valid_request_reaches_the_handler_unchanged() {
    let response = post("?mode=fast&limit=5&flag=true", GOOD);
    assert_eq!(response.status, 200, "{}", response.text());
    let echo = response.json();
    assert_eq!(echo["body"], GOOD);
    assert_eq!(echo["query"], "mode=fast&limit=5&flag=true");
    // Optional properties may be left out.
    assert_eq!(
        post("?mode=slow", r#"{"name": "x", "size": "large"}"#).status,
        200
    );
}

#[test]
fn each_kind_of_violation_is_reported_with_its_pointer() {
    let body = |patch: Value| {
        let mut good: Value = serde_json::from_str(GOOD).unwrap();
        for (key, value) in patch.as_object().unwrap() {
            match value {
                Value::Null => drop(good.as_object_mut().unwrap().remove(key)),
                value => good[key] = value.clone(),
            }
        }
        good.to_string()
    };
    // (what, query, body, in, pointer, message fragment)
    let cases: Vec<(&str, &str, String, &str, &str, &str)> = vec![
        (
            "type",
            "?mode=fast",
            body(json!({ "count": "2" })),
            "body",
            "/count",
            "is not of type \"integer\"",
        ),
        (
            "required",
            "?mode=fast",
            body(json!({ "size": null })),
            "body",
            "",
            "\"size\" is a required property",
        ),
        (
            "enum",
            "?mode=fast",
            body(json!({ "size": "medium" })),
            "body",
            "/size",
            "is not one of",
        ),
        (
            "minimum",
            "?mode=fast",
            body(json!({ "count": 0 })),
            "body",
            "/count",
            "less than the minimum of 1",
        ),
        (
            "maximum",
            "?mode=fast",
            body(json!({ "count": 11 })),
            "body",
            "/count",
            "greater than the maximum of 10",
        ),
        (
            "pattern",
            "?mode=fast",
            body(json!({ "name": "Tea" })),
            "body",
            "/name",
            "does not match \"^[a-z]+$\"",
        ),
        (
            "nested",
            "?mode=fast",
            body(json!({ "tags": ["ok", "x"] })),
            "body",
            "/tags/1",
            "shorter than 2 characters",
        ),
        (
            "additionalProperties",
            "?mode=fast",
            body(json!({ "colour": "red" })),
            "body",
            "/colour",
            "`colour` is not allowed here",
        ),
        (
            "not JSON",
            "?mode=fast",
            "{\"name\":".into(),
            "body",
            "",
            "the body is not JSON",
        ),
        (
            "no body",
            "?mode=fast",
            String::new(),
            "body",
            "",
            "a JSON body is required",
        ),
        (
            "query type",
            "?mode=fast&limit=many",
            GOOD.into(),
            "query",
            "/limit",
            "\"many\" is not of type \"integer\"",
        ),
        (
            "query minimum",
            "?mode=fast&limit=0",
            GOOD.into(),
            "query",
            "/limit",
            "less than the minimum of 1",
        ),
        (
            "query boolean",
            "?mode=fast&flag=yes",
            GOOD.into(),
            "query",
            "/flag",
            "is not of type \"boolean\"",
        ),
        (
            "query required",
            "",
            GOOD.into(),
            "query",
            "",
            "\"mode\" is a required property",
        ),
        (
            "query enum",
            "?mode=medium",
            GOOD.into(),
            "query",
            "/mode",
            "is not one of",
        ),
        (
            "query additional",
            "?mode=fast&debug=1",
            GOOD.into(),
            "query",
            "/debug",
            "`debug` is not allowed here",
        ),
    ];
    for (what, query, body, place, pointer, message) in cases {
        let response = post(query, &body);
        let found = violations(&response);
        assert_eq!(found.len(), 1, "{what}: {found:?}");
        let (found_in, found_pointer, found_message) = &found[0];
        assert_eq!(
            (found_in.as_str(), found_pointer.as_str()),
            (place, pointer),
            "{what}: {found:?}"
        );
        assert!(
            found_message.contains(message),
            "{what}: `{message}` not in {found_message:?}"
        );
    }
}

#[test]
fn every_violation_is_listed_at_once() {
    let response = post(
        "?mode=medium&limit=x",
        r#"{"name": "Tea", "size": "huge", "count": 99, "extra": true}"#,
    );
    let mut pointers: Vec<(String, String)> = violations(&response)
        .into_iter()
        .map(|(place, pointer, _)| (place, pointer))
        .collect();
    pointers.sort();
    let expected = [
        ("body", "/count"),
        ("body", "/extra"),
        ("body", "/name"),
        ("body", "/size"),
        ("query", "/limit"),
        ("query", "/mode"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pointers, expected);
    let problem = response.json();
    assert_eq!(problem["instance"], "/validated");
    assert!(problem["detail"].as_str().unwrap().contains("6 violations"));
}

#[test]
fn routes_without_schemas_are_not_checked() {
    let response = request(
        test_app().addr,
        "POST",
        "/echo/anything?mode=nope",
        &[],
        b"{not json",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["body"], "{not json");
}
