//! One operation (a method of a route): parameters, body, responses, security.
use edgeway_manifest::{AuthDecl, Manifest, RouteDecl};
use edgeway_router::Methods;
use serde_json::{Map, Value, json};

use crate::PathParam;

/// The methods a route's operations are written for: its own, each of them for `ANY`. `HEAD`
/// is served by `GET` routes without being listed, as usual in OpenAPI documents.
pub(crate) fn methods(methods: Methods) -> Vec<&'static str> {
    if methods == Methods::ANY {
        return vec![
            "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
        ];
    }
    methods.names().collect()
}

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
    let validates = body_schema.is_some() || meta.query_schema.is_some();
    op.insert(
        "responses".into(),
        Value::Object(responses(decl, path_params, validates)),
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
                    "The rest of the path after the route's prefix (`{}`): may be empty and may hold `/`.",
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
                "schema": { "type": "string" },
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

/// The route's documented responses, then the gateway's own problems this route can answer
/// with (a documented status keeps the route's description).
fn responses(decl: &RouteDecl, path_params: &[PathParam], validates: bool) -> Map<String, Value> {
    let mut responses = Map::new();
    for response in &decl.meta.responses {
        let mut value = json!({ "description": response.description });
        if let Some(schema) = &response.schema {
            value["content"] = json!({ response.content_type.clone(): { "schema": schema } });
        }
        responses.insert(response.status.clone(), value);
    }
    if decl.meta.responses.is_empty() {
        responses.insert(
            "default".into(),
            json!({ "description": format!("The response of handler `{}`.", decl.handler) }),
        );
    }
    let mut problem = |status: &str, description: String, schema: &str| {
        responses.entry(status.to_owned()).or_insert_with(|| {
            json!({
                "description": description,
                "content": { "application/problem+json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
            })
        });
    };
    let settings = &decl.settings;
    if validates {
        problem(
            "400",
            "The request does not satisfy the route's schema (`urn:edgeway:problem:invalid-request`; `errors` lists each violation), or its body or path cannot be read.".into(),
            "ValidationProblem",
        );
    } else if !path_params.is_empty() {
        problem(
            "400",
            "A path parameter is not valid percent-encoded UTF-8, or the body cannot be read."
                .into(),
            "Problem",
        );
    }
    match &settings.auth {
        AuthDecl::None => {}
        AuthDecl::ApiKey => problem("401", "No or a wrong API key.".into(), "Problem"),
        AuthDecl::Jwt { scopes } => {
            problem(
                "401",
                "No, or an invalid or expired, bearer token.".into(),
                "Problem",
            );
            if !scopes.is_empty() {
                let detail = format!("The token lacks a required scope ({}).", scopes.join(", "));
                problem("403", detail, "Problem");
            }
        }
    }
    problem(
        "404",
        "No route matches the path (`urn:edgeway:problem:route-not-found`).".into(),
        "Problem",
    );
    if decl.methods != Methods::ANY {
        problem(
            "405",
            format!(
                "The path does not accept the method; `Allow` lists those it does ({}).",
                decl.methods.allowed()
            ),
            "Problem",
        );
    }
    problem(
        "413",
        format!(
            "The body is over the route's limit of {} bytes.",
            settings.body_limit
        ),
        "Problem",
    );
    if let Some(limit) = settings.rate_limit {
        problem(
            "429",
            format!(
                "More than {} requests in {} s; `Retry-After` says when to retry.",
                limit.requests, limit.window_seconds
            ),
            "Problem",
        );
    }
    responses
}
