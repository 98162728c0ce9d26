//! One operation (a method of a route): parameters, body, responses, security.
use edgeway_manifest::{Manifest, RouteDecl};
use edgeway_router::Methods;
use serde_json::{Map, Value, json};

use crate::PathParam;

/// The methods a route's operations are written for: its own (`ANY` is the eight an OpenAPI
/// document can list). `HEAD` is served by `GET` routes without being listed, as usual in
/// OpenAPI documents, and OpenAPI 3.1 has no `CONNECT` operation.
pub(crate) fn methods(methods: Methods) -> Vec<&'static str> {
    methods.names().filter(|m| *m != "CONNECT").collect()
}

/// What a path segment may hold once percent-decoded, as `check_path` lets it through: not
/// empty, not `.` or `..`, no control character. Every path parameter carries it, so that a
/// request valid by the document is never refused before routing.
pub(crate) const SEGMENT_PATTERN: &str = r"^(?:[^\x00-\x1F\x7F.][^\x00-\x1F\x7F]*|\.[^\x00-\x1F\x7F.][^\x00-\x1F\x7F]*|\.\.[^\x00-\x1F\x7F]+)$";

/// The operation for `method` on the route `decl`.
pub(crate) fn operation(
    manifest: &Manifest,
    decl: &RouteDecl,
    method: &str,
    path_params: &[PathParam],
) -> Value {
    let meta = &decl.meta;
    let mut op = Map::new();
    let summary = meta
        .summary
        .clone()
        .unwrap_or_else(|| format!("{method} {} (handler `{}`)", decl.pattern, decl.handler));
    op.insert("summary".into(), json!(summary));
    if let Some(description) = &meta.description {
        op.insert("description".into(), json!(description));
    }
    if !meta.tags.is_empty() {
        op.insert("tags".into(), json!(meta.tags));
    }
    if let Some(id) = &meta.operation_id {
        let id = if methods(decl.methods).len() > 1 {
            format!("{id}-{}", method.to_ascii_lowercase())
        } else {
            id.clone()
        };
        op.insert("operationId".into(), json!(id));
    }
    let parameters = parameters(decl, path_params);
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    let body_schema = meta.body_schema.as_ref().filter(|_| has_body(method));
    if let Some(schema) = body_schema {
        op.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": schema } } }),
        );
    }
    let validates = body_schema.is_some() || meta.query_schema.is_some() || !meta.params.is_empty();
    op.insert(
        "responses".into(),
        Value::Object(crate::responses::responses(decl, validates)),
    );
    if let Some(security) = crate::security(manifest, &decl.settings.auth) {
        op.insert("security".into(), security);
    }
    op.insert("x-edgeway-handler".into(), json!(decl.handler));
    op.insert(
        "x-edgeway-route".into(),
        json!(format!("{} {}", decl.methods, decl.pattern)),
    );
    Value::Object(op)
}

/// A path parameter's schema: the manifest's (`params`), with the segment pattern where the
/// parameter is text.
fn path_schema(declared: Option<&Value>) -> Value {
    let segment = json!({ "type": "string", "pattern": SEGMENT_PATTERN });
    let Some(declared) = declared else {
        return segment;
    };
    let text = declared.get("type").is_none_or(|t| t == "string");
    match declared.get("pattern") {
        _ if !text => declared.clone(),
        Some(_) => json!({ "allOf": [declared, segment] }),
        None => {
            let mut schema = declared.clone();
            schema["type"] = json!("string");
            schema["pattern"] = json!(SEGMENT_PATTERN);
            schema
        }
    }
}

/// The methods whose requests carry the body `body_schema` describes (the gateway checks only
/// theirs).
fn has_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

fn parameters(decl: &RouteDecl, path_params: &[PathParam]) -> Vec<Value> {
    let mut parameters: Vec<Value> = path_params
        .iter()
        .map(|param| {
            let description = if param.rest {
                format!(
                    "The rest of the path after the route's prefix (`{}`): may hold `/` between segments that each read like this pattern.",
                    decl.pattern
                )
            } else {
                "One path segment, percent-decoded.".to_owned()
            };
            json!({
                "name": param.name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": path_schema(decl.meta.params.get(&param.name)),
            })
        })
        .collect();
    if let Some(query) = &decl.meta.query_schema {
        let required: Vec<&str> = query
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = query.get("properties").and_then(Value::as_object);
        for (name, schema) in properties.into_iter().flatten() {
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": schema,
            });
            if let Some(description) = schema.get("description") {
                parameter["description"] = description.clone();
            }
            if schema.get("type").and_then(Value::as_str) == Some("array") {
                // A repeated parameter: `?tag=a&tag=b`.
                parameter["explode"] = json!(true);
                parameter["style"] = json!("form");
            }
            parameters.push(parameter);
        }
    }
    parameters
}
