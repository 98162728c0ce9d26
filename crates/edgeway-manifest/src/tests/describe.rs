//! Route metadata and the `openapi` table: what is read, and where each mistake is reported.
use serde_json::json;

use super::{manifest_path, parse, valid};
use crate::AuthDecl;

/// `(what, route line (line 8), expected)`: the metadata read from the route.
#[test]
fn metadata_is_read_from_the_route_table() {
    type Check = fn(&crate::RouteMeta);
    let cases: &[(&str, &str, Check)] = &[
        ("plain route", r#""GET /a" = "greet""#, |m| {
            assert_eq!(*m, crate::RouteMeta::default())
        }),
        (
            "summary and description",
            r#""GET /a" = { handler = "greet", summary = "S", description = "D" }"#,
            |m| {
                assert_eq!(
                    (m.summary.as_deref(), m.description.as_deref()),
                    (Some("S"), Some("D"))
                )
            },
        ),
        (
            "tags and id",
            r#""GET /a" = { handler = "greet", tags = ["t", "u"], operation_id = "op" }"#,
            |m| {
                assert_eq!(
                    (m.tags.clone(), m.operation_id.as_deref()),
                    (vec!["t".to_owned(), "u".to_owned()], Some("op"))
                )
            },
        ),
        (
            "body schema table",
            r#""POST /a" = { handler = "greet", body_schema = { type = "object", required = ["x"], properties = { x = { type = "integer", minimum = 1.5 } } } }"#,
            |m| {
                assert_eq!(
                    m.body_schema,
                    Some(
                        json!({ "type": "object", "required": ["x"], "properties": { "x": { "type": "integer", "minimum": 1.5 } } })
                    )
                );
                assert!(m.validates());
            },
        ),
        (
            "body schema JSON text",
            r#""POST /a" = { handler = "greet", body_schema = '{"type": "string", "maxLength": 3}' }"#,
            |m| {
                assert_eq!(
                    m.body_schema,
                    Some(json!({ "type": "string", "maxLength": 3 }))
                )
            },
        ),
        (
            "query schema",
            r#""GET /a" = { handler = "greet", query_schema = { properties = { q = { type = "array", items = { type = "integer" } } } } }"#,
            |m| assert!(m.query_schema.is_some() && m.validates()),
        ),
        (
            "typed path parameters",
            r#""GET /a/:id" = { handler = "greet", params = { id = { type = "integer", minimum = 1 } } }"#,
            |m| {
                assert_eq!(
                    m.params["id"],
                    serde_json::json!({ "type": "integer", "minimum": 1 })
                );
                assert!(m.validates());
            },
        ),
        (
            "responses sorted, with defaults",
            r#""GET /a" = { handler = "greet", responses = { 404 = {}, 200 = { description = "Fine", content_type = "text/plain", schema = { type = "string" } } } }"#,
            |m| {
                let statuses: Vec<(&str, &str, &str)> = m
                    .responses
                    .iter()
                    .map(|r| {
                        (
                            r.status.as_str(),
                            r.description.as_str(),
                            r.content_type.as_str(),
                        )
                    })
                    .collect();
                assert_eq!(
                    statuses,
                    [
                        ("200", "Fine", "text/plain"),
                        ("404", "Not Found", "application/json")
                    ]
                );
                assert_eq!(m.responses[0].schema, Some(json!({ "type": "string" })));
            },
        ),
    ];
    for (what, route, check) in cases {
        let source = format!("{}{route}\n", with_routes!());
        let manifest = valid(&source);
        check(&manifest.routes[0].meta);
        let _ = what;
    }
}

/// `(what, route line (line 8) or extra lines, (line, column), message fragment)`.
const INVALID: &[(&str, &str, (usize, usize), &str)] = &[
    (
        "unknown key",
        r#""GET /a" = { handler = "greet", sumary = "x" }"#,
        (8, 33),
        "unknown key `sumary`",
    ),
    (
        "summary not text",
        r#""GET /a" = { handler = "greet", summary = 5 }"#,
        (8, 33),
        "`summary` must be a string, not integer",
    ),
    (
        "tags not a list",
        r#""GET /a" = { handler = "greet", tags = "t" }"#,
        (8, 33),
        "`tags` must be a list of strings",
    ),
    (
        "schema of a wrong type",
        r#""POST /a" = { handler = "greet", body_schema = 5 }"#,
        (8, 34),
        "must be a JSON Schema",
    ),
    (
        "invalid schema",
        r#""POST /a" = { handler = "greet", body_schema = { type = "objekt" } }"#,
        (8, 34),
        "`body_schema` is not a valid JSON Schema: at /type",
    ),
    (
        "minimum not a number",
        r#""POST /a" = { handler = "greet", summary = "s", body_schema = { minimum = "1" } }"#,
        (8, 49),
        "is not a valid JSON Schema",
    ),
    (
        "bad regex",
        r#""POST /a" = { handler = "greet", body_schema = { type = "string", pattern = "(" } }"#,
        (8, 34),
        "`body_schema`",
    ),
    (
        "bad JSON text",
        r#""POST /a" = { handler = "greet", body_schema = '{"type": ' }"#,
        (8, 34),
        "`body_schema` is not valid JSON",
    ),
    (
        "query without properties",
        r#""GET /a" = { handler = "greet", query_schema = { type = "object" } }"#,
        (8, 33),
        "`query_schema` lists the parameters",
    ),
    (
        "nested query parameter",
        r#""GET /a" = { handler = "greet", query_schema = { properties = { q = { type = "object" } } } }"#,
        (8, 33),
        "query parameter `q` must be",
    ),
    (
        "schema for a parameter the path does not have",
        r#""GET /a/:id" = { handler = "greet", params = { name = { type = "integer" } } }"#,
        (8, 37),
        "`params` names `name`, which is not a `:name` segment of its path",
    ),
    (
        "non-scalar path parameter",
        r#""GET /a/:id" = { handler = "greet", params = { id = { type = "array" } } }"#,
        (8, 37),
        "path parameter `id` must be a string, integer, number or boolean",
    ),
    (
        "bad status",
        r#""GET /a" = { handler = "greet", responses = { 2000 = {} } }"#,
        (8, 33),
        "response `2000`",
    ),
    (
        "unknown response key",
        r#""GET /a" = { handler = "greet", responses = { 200 = { descr = "x" } } }"#,
        (8, 33),
        "unknown key `descr`",
    ),
    (
        "duplicate operation id",
        "\"GET /a\" = { handler = \"greet\", operation_id = \"x\" }\n\"GET /b\" = { handler = \"greet\", operation_id = \"x\" }",
        (9, 1),
        "operation id `x` is already used by the route on line 8",
    ),
    (
        "document path used by a route",
        "\"GET /openapi.json\" = \"greet\"",
        (8, 1),
        "uses `/openapi.json`, which the gateway serves itself",
    ),
    (
        "docs without the document",
        "[component.gateway.tool.edgeway.openapi]\npath = false\ndocs = true",
        (8, 1),
        "which `path = false` turns off",
    ),
    (
        "bad docs path",
        "[component.gateway.tool.edgeway.openapi]\ndocs = \"docs\"",
        (8, 1),
        "`openapi.docs` must be an exact path",
    ),
    (
        "bad docs auth",
        "[component.gateway.tool.edgeway.openapi]\nauth = \"basic\"",
        (8, 1),
        "unknown auth `basic`",
    ),
    (
        "unknown openapi key",
        "[component.gateway.tool.edgeway.openapi]\npaht = \"/x\"",
        (9, 1),
        "unknown field `paht`",
    ),
];

#[test]
fn metadata_mistakes_are_reported_where_they_are() {
    let file = manifest_path();
    for (what, lines, (line, column), message) in INVALID {
        let source = format!("{}{lines}\n", with_routes!());
        let error = match parse(&source) {
            Ok(_) => panic!("{what}: accepted:\n{source}"),
            Err(error) => error.to_string(),
        };
        let prefix = format!("{}:{line}:{column}: error: ", file.display());
        assert!(
            error.starts_with(&prefix),
            "{what}: expected `{prefix}…`, got\n{error}"
        );
        assert!(
            error.contains(message),
            "{what}: expected `{message}` in\n{error}"
        );
    }
}

#[test]
fn the_openapi_table_places_and_protects_the_description() {
    let plain = valid(with_routes!("\"GET /a\" = \"greet\""));
    assert_eq!(plain.api.openapi_path.as_deref(), Some("/openapi.json"));
    assert_eq!(plain.api.docs_path, None);
    assert_eq!(plain.api.title, "app");
    let source = format!(
        "{}\"GET /a\" = \"greet\"\n[component.gateway.tool.edgeway.openapi]\npath = \"/spec.json\"\ndocs = \"/api-docs\"\nauth = \"jwt\"\nscopes = [\"docs\"]\ntitle = \"T\"\n[component.gateway.tool.edgeway.jwt]\nsecret = \"s\"\n",
        with_routes!()
    );
    let source = source.replace(
        "source = \"out.wasm\"\n",
        "source = \"out.wasm\"\n[component.gateway.variables]\ns = \"{{ s }}\"\n",
    );
    let source = format!("[variables]\ns = {{ default = \"x\" }}\n{source}");
    let api = valid(&source).api;
    assert_eq!(api.openapi_path.as_deref(), Some("/spec.json"));
    assert_eq!(api.docs_path.as_deref(), Some("/api-docs"));
    assert_eq!(
        api.auth,
        AuthDecl::Jwt {
            scopes: vec!["docs".into()]
        }
    );
    assert_eq!(api.title, "T");
    assert!(
        valid(&source).gateway_features().contains(&"jwt"),
        "the document's auth is compiled in"
    );
}

#[test]
fn validation_is_compiled_in_only_for_routes_with_schemas() {
    let without = valid(with_routes!(
        "\"GET /a\" = { handler = \"greet\", summary = \"x\" }"
    ));
    assert!(!without.gateway_features().contains(&"validation"));
    let with = valid(with_routes!(
        "\"POST /a\" = { handler = \"greet\", body_schema = { type = \"object\" } }"
    ));
    assert!(with.gateway_features().contains(&"validation"));
}
