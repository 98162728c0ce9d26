//! Manifest text in, document out: what each piece of route metadata and each policy becomes.
use std::path::Path;

use edgeway_manifest::Manifest;
use serde_json::{Value, json};

use crate::{document, openapi_path, to_json};

/// An app with the handler `greet` (this crate's `src` folder), the given extra tables and
/// routes.
fn app(extra: &str, routes: &str) -> Manifest {
    let source = format!(
        "[application]\nname = \"app\"\nversion = \"1.2.3\"\n[variables]\nkeys = {{ default = \"a=b\" }}\nsecret = {{ default = \"s\" }}\n[component.gateway]\nsource = \"out.wasm\"\nkey_value_stores = [\"default\"]\n[component.gateway.variables]\nkeys = \"{{{{ keys }}}}\"\nsecret = \"{{{{ secret }}}}\"\n{extra}\n[component.gateway.tool.edgeway.handlers]\ngreet = {{ path = \"src\" }}\n[component.gateway.tool.edgeway.routes]\n{routes}\n"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spin.toml");
    Manifest::parse(path, &source).unwrap_or_else(|e| panic!("{e}\n{source}"))
}

#[test]
fn paths_become_templates() {
    for (pattern, path, params) in [
        ("/", "/", vec![]),
        ("/hello", "/hello", vec![]),
        ("/hello/:name", "/hello/{name}", vec![("name", false)]),
        ("/echo/...", "/echo/{rest}", vec![("rest", true)]),
        (
            "/a/:rest/...",
            "/a/{rest}/{rest_}",
            vec![("rest", false), ("rest_", true)],
        ),
        ("/...", "/{rest}", vec![("rest", true)]),
    ] {
        let (written, found) = openapi_path(pattern);
        assert_eq!(written, path, "{pattern}");
        let found: Vec<(&str, bool)> = found.iter().map(|p| (p.name.as_str(), p.rest)).collect();
        assert_eq!(found, params, "{pattern}");
    }
}

/// `(what, extra tables, routes, JSON pointer, expected value)`: each case's document must
/// hold the value at the pointer (`Value::Null`: must have nothing there).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    fn() -> Value,
);

const CASES: &[Case] = &[
    (
        "info from [application]",
        "",
        r#""GET /a" = "greet""#,
        "/info",
        || json!({ "title": "app", "version": "1.2.3" }),
    ),
    (
        "summary, tags, id",
        "",
        r#""GET /a" = { handler = "greet", summary = "Say hi", tags = ["x"], operation_id = "hi" }"#,
        "/paths/~1a/get/operationId",
        || json!("hi"),
    ),
    (
        "tags listed",
        "",
        r#""GET /a" = { handler = "greet", tags = ["x", "y"] }"#,
        "/paths/~1a/get/tags",
        || json!(["x", "y"]),
    ),
    (
        "id per method",
        "",
        r#""GET,POST /a" = { handler = "greet", operation_id = "a" }"#,
        "/paths/~1a/post/operationId",
        || json!("a-post"),
    ),
    (
        "ANY lists every method",
        "",
        r#""/a" = "greet""#,
        "/paths/~1a/patch/x-edgeway-handler",
        || json!("greet"),
    ),
    (
        "no 405 on ANY",
        "",
        r#""/a" = "greet""#,
        "/paths/~1a/get/responses/405",
        || Value::Null,
    ),
    (
        "405 otherwise",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/405/content/application~1problem+json/schema/$ref",
        || json!("#/components/schemas/Problem"),
    ),
    (
        "404 and 413 always",
        "",
        r#""GET /a" = { handler = "greet", body_limit = 10 }"#,
        "/paths/~1a/get/responses/413/description",
        || json!("The body is over the route's limit of 10 bytes."),
    ),
    (
        "path parameter",
        "",
        r#""GET /a/:id" = "greet""#,
        "/paths/~1a~1{id}/get/parameters/0/name",
        || json!("id"),
    ),
    (
        "rest parameter",
        "",
        r#""GET /a/..." = "greet""#,
        "/paths/~1a~1{rest}/get/parameters/0/in",
        || json!("path"),
    ),
    (
        "body schema",
        "",
        r#""POST /a" = { handler = "greet", body_schema = { type = "object" } }"#,
        "/paths/~1a/post/requestBody/content/application~1json/schema",
        || json!({ "type": "object" }),
    ),
    (
        "body schema as JSON text",
        "",
        r#""POST /a" = { handler = "greet", body_schema = '{"type": "array"}' }"#,
        "/paths/~1a/post/requestBody/content/application~1json/schema/type",
        || json!("array"),
    ),
    (
        "400 where validated: a validation problem, or a plain one",
        "",
        r#""POST /a" = { handler = "greet", body_schema = { type = "object" } }"#,
        "/paths/~1a/post/responses/400/content/application~1problem+json/schema/oneOf",
        || json!([{ "$ref": "#/components/schemas/ValidationProblem" }, { "allOf": [{ "$ref": "#/components/schemas/Problem" }], "not": { "required": ["errors"] } }]),
    ),
    (
        "a plain 400 otherwise (refused path, unreadable body)",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/400/content/application~1problem+json/schema/$ref",
        || json!("#/components/schemas/Problem"),
    ),
    (
        "path parameters carry the segment pattern",
        "",
        r#""GET /a/:id" = "greet""#,
        "/paths/~1a~1{id}/get/parameters/0/schema",
        || json!({ "type": "string", "pattern": crate::operation::SEGMENT_PATTERN }),
    ),
    (
        "typed path parameter",
        "",
        r#""GET /a/:id" = { handler = "greet", params = { id = { type = "integer", minimum = 1 } } }"#,
        "/paths/~1a~1{id}/get/parameters/0/schema",
        || json!({ "type": "integer", "minimum": 1 }),
    ),
    (
        "text path parameter with a pattern of its own",
        "",
        r#""GET /a/:id" = { handler = "greet", params = { id = { pattern = "^[a-z]+$" } } }"#,
        "/paths/~1a~1{id}/get/parameters/0/schema/allOf/0",
        || json!({ "pattern": "^[a-z]+$" }),
    ),
    (
        "typed path parameters are validated",
        "",
        r#""GET /a/:id" = { handler = "greet", params = { id = { type = "integer" } } }"#,
        "/paths/~1a~1{id}/get/responses/400/content/application~1problem+json/schema/oneOf/0/$ref",
        || json!("#/components/schemas/ValidationProblem"),
    ),
    (
        "405 carries Allow",
        "",
        r#""GET,POST /a" = "greet""#,
        "/paths/~1a/get/responses/405/headers/allow",
        || json!({ "$ref": "#/components/headers/Allow" }),
    ),
    (
        "every gateway answer carries the request id",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/404/headers/x-request-id",
        || json!({ "$ref": "#/components/headers/RequestId" }),
    ),
    (
        "the handler's answers too",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/default/headers/traceparent",
        || json!({ "$ref": "#/components/headers/Traceparent" }),
    ),
    (
        "and a status the route declares itself",
        "",
        r#""GET /a" = { handler = "greet", responses = { 422 = { description = "Bad" } } }"#,
        "/paths/~1a/get/responses/422/headers/x-request-id",
        || json!({ "$ref": "#/components/headers/RequestId" }),
    ),
    (
        "the host's 504 may lack them",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/504/headers/x-request-id",
        || json!({ "$ref": "#/components/headers/RequestIdOptional" }),
    ),
    (
        "500: the gateway's problem or the host's",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/500/content/application~1problem+json/schema/anyOf/1/$ref",
        || json!("#/components/schemas/HostProblem"),
    ),
    (
        "502 for an invalid handler response",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/502/content/application~1problem+json/schema/$ref",
        || json!("#/components/schemas/Problem"),
    ),
    (
        "an exact path lists the methods that fall through to a general route",
        "",
        "\"GET /a/new\" = \"greet\"\n\"GET,DELETE /a/:id\" = { handler = \"greet\", operation_id = \"item\" }",
        "/paths/~1a~1new/delete/x-edgeway-route",
        || json!("GET, DELETE /a/:id"),
    ),
    (
        "ANY has no CONNECT",
        "",
        r#""/a" = "greet""#,
        "/paths/~1a/connect",
        || Value::Null,
    ),
    (
        "query parameters",
        "",
        r#""GET /a" = { handler = "greet", query_schema = { type = "object", required = ["q"], properties = { q = { type = "string", description = "what" } } } }"#,
        "/paths/~1a/get/parameters/0",
        || json!({ "name": "q", "in": "query", "required": true, "description": "what", "schema": { "type": "string", "description": "what" } }),
    ),
    (
        "declared response",
        "",
        r#""GET /a" = { handler = "greet", responses = { 200 = { description = "Hi", schema = { type = "string" } } } }"#,
        "/paths/~1a/get/responses/200/content",
        || json!({ "application/json": { "schema": { "type": "string" } } }),
    ),
    (
        "default response otherwise",
        "",
        r#""GET /a" = "greet""#,
        "/paths/~1a/get/responses/default/description",
        || json!("The response of handler `greet`."),
    ),
    (
        "api key scheme",
        "[component.gateway.tool.edgeway.api_key]\nkeys = \"keys\"\nquery = \"key\"",
        r#""GET /a" = { handler = "greet", auth = "api-key" }"#,
        "/components/securitySchemes/apiKeyQuery",
        || json!({ "type": "apiKey", "in": "query", "name": "key", "description": "An API key, in the query." }),
    ),
    (
        "api key security",
        "[component.gateway.tool.edgeway.api_key]\nkeys = \"keys\"",
        r#""GET /a" = { handler = "greet", auth = "api-key" }"#,
        "/paths/~1a/get/security",
        || json!([{ "apiKeyHeader": [] }]),
    ),
    (
        "401 with auth",
        "[component.gateway.tool.edgeway.api_key]\nkeys = \"keys\"",
        r#""GET /a" = { handler = "greet", auth = "api-key" }"#,
        "/paths/~1a/get/responses/401/description",
        || json!("No or a wrong API key."),
    ),
    (
        "jwt scheme",
        "[component.gateway.tool.edgeway.jwt]\nsecret = \"secret\"",
        r#""GET /a" = { handler = "greet", auth = "jwt", scopes = ["admin"] }"#,
        "/paths/~1a/get/security",
        || json!([{ "bearerJwt": ["admin"] }]),
    ),
    (
        "403 with scopes",
        "[component.gateway.tool.edgeway.jwt]\nsecret = \"secret\"",
        r#""GET /a" = { handler = "greet", auth = "jwt", scopes = ["admin"] }"#,
        "/paths/~1a/get/responses/403/content/application~1problem+json/schema/$ref",
        || json!("#/components/schemas/Problem"),
    ),
    (
        "no schemes without auth",
        "",
        r#""GET /a" = "greet""#,
        "/components/securitySchemes",
        || Value::Null,
    ),
    (
        "429 with a rate limit",
        "",
        r#""GET /a" = { handler = "greet", rate_limit = { requests = 5, per = "1m" } }"#,
        "/paths/~1a/get/responses/429/description",
        || json!("More than 5 requests in 60 s; `Retry-After` says when to retry."),
    ),
    (
        "429 carries the rate-limit headers",
        "",
        r#""GET /a" = { handler = "greet", rate_limit = { requests = 5, per = "1m" } }"#,
        "/paths/~1a/get/responses/429/headers/ratelimit-remaining",
        || json!({ "$ref": "#/components/headers/RateLimitRemaining" }),
    ),
    (
        "other answers of a limited route may carry them",
        "",
        r#""GET /a" = { handler = "greet", rate_limit = { requests = 5, per = "1m" } }"#,
        "/paths/~1a/get/responses/default/headers/ratelimit-limit",
        || json!({ "$ref": "#/components/headers/RateLimitLimitOptional" }),
    ),
    (
        "title setting",
        "[component.gateway.tool.edgeway.openapi]\ntitle = \"My API\"",
        r#""GET /a" = "greet""#,
        "/info/title",
        || json!("My API"),
    ),
];

#[test]
fn metadata_and_policies_become_the_document() {
    for (what, extra, routes, pointer, expected) in CASES {
        let document = document(&app(extra, routes));
        let found = document.pointer(pointer).cloned().unwrap_or(Value::Null);
        assert_eq!(found, expected(), "{what}: {pointer} in\n{document:#}");
        assert_eq!(document["openapi"], "3.1.0");
    }
}

#[test]
fn the_text_is_deterministic_and_sorted() {
    let routes = "\"GET /b\" = \"greet\"\n\"POST /a/:x\" = { handler = \"greet\", summary = \"z\", body_schema = { type = \"object\", properties = { b = {}, a = {} } } }";
    let first = to_json(&app("", routes));
    assert_eq!(first, to_json(&app("", routes)));
    assert!(first.ends_with("}\n"));
    let components = first.find("\"components\"").unwrap();
    let paths = first.find("\"paths\"").unwrap();
    assert!(components < paths, "keys are sorted");
    assert!(first.find("\"a\": {}").unwrap() < first.find("\"b\": {}").unwrap());
}

#[test]
fn a_body_schema_applies_to_methods_with_a_body() {
    let routes = "\"GET,PUT /a\" = { handler = \"greet\", body_schema = { type = \"object\" } }";
    let document = document(&app("", routes));
    assert!(document.pointer("/paths/~1a/put/requestBody").is_some());
    assert!(document.pointer("/paths/~1a/get/requestBody").is_none());
    let validated = "/responses/400/content/application~1problem+json/schema/oneOf";
    assert!(
        document
            .pointer(&format!("/paths/~1a/put{validated}"))
            .is_some()
    );
    assert!(
        document
            .pointer(&format!("/paths/~1a/get{validated}"))
            .is_none()
    );
}

/// The segment pattern accepts what `check_path` lets through as one segment and refuses
/// the rest, checked with the same JSON Schema crate the gateway uses.
#[test]
fn the_segment_pattern_agrees_with_the_path_check() {
    let schema = json!({ "type": "string", "pattern": crate::operation::SEGMENT_PATTERN });
    let validator = jsonschema::validator_for(&schema).unwrap();
    for text in [
        "a", "Jürgen", "a.b", ".a", "..a", "...", "a..", "a/b", "%", " ", "\u{a0}",
    ] {
        let path = format!("/x/{}", encode_segment(text));
        assert!(edgeway_router::check_path(&path).is_ok(), "{path}");
        assert!(validator.is_valid(&json!(text)), "{text:?} should fit");
    }
    for text in [".", "..", "a\nb", "\u{1b}", "\u{7f}", "\t"] {
        let path = format!("/x/{}", encode_segment(text));
        assert!(edgeway_router::check_path(&path).is_err(), "{path}");
        assert!(!validator.is_valid(&json!(text)), "{text:?} should not fit");
    }
}

/// Percent-encodes every byte but unreserved ASCII, as a client writes a parameter.
fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_webhook_and_schedule_paths_are_in_the_document() {
    let events = "[component.gateway.tool.edgeway.events]\nwebhook = { path = \"/events\", auth = \"api-key\" }\nschedule_secret = \"secret\"\n[component.gateway.tool.edgeway.api_key]\nkeys = \"keys\"\n[component.gateway.tool.edgeway.schedules]\nnightly = \"0 3 * * *\"\n[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"webhook:orders\"\nhandler = \"greet\"\n[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"schedule:nightly\"\nhandler = \"greet\"";
    let document = document(&app(events, "\"GET /a\" = \"greet\""));
    let webhook = &document["paths"]["/events/{topic}"]["post"];
    assert_eq!(
        webhook["parameters"][0]["schema"]["enum"],
        json!(["orders"])
    );
    assert_eq!(webhook["security"], json!([{ "apiKeyHeader": [] }]));
    assert!(webhook["responses"]["202"]["content"].is_object());
    assert!(webhook["responses"]["401"].is_object());
    assert!(webhook["responses"]["502"]["content"]["application/problem+json"].is_object());
    let schedule = &document["paths"]["/_edgeway/schedules/{name}"]["post"];
    assert_eq!(
        schedule["parameters"][0]["schema"]["enum"],
        json!(["nightly"])
    );
    assert_eq!(
        schedule["security"],
        json!([{ "scheduleSecret": [] }, { "scheduleToken": [] }])
    );
    assert!(schedule["responses"]["401"].is_object());
    assert_eq!(
        document["components"]["securitySchemes"]["scheduleToken"]["name"],
        "token"
    );
}
