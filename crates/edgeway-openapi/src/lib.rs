//! The OpenAPI 3.1 document of an edgeway app, written from its manifest alone: every route
//! with its methods, parameters, request body and responses, every problem the gateway and the
//! host answer with in its place, the webhook and schedule paths, and the security schemes of
//! its auth policies.
//!
//! `edgeway openapi` prints it, and the gateway's build script compiles the same text into the
//! gateway, which serves it at `/openapi.json`. Object keys are sorted and the text is
//! pretty-printed, so one manifest always gives the same bytes.
//!
//! ```no_run
//! let manifest = edgeway_manifest::Manifest::load("spin.toml").unwrap();
//! println!("{}", edgeway_openapi::to_json(&manifest));
//! ```
#![deny(missing_docs)]

mod events;
mod operation;
mod responses;
#[cfg(test)]
mod tests;

use edgeway_manifest::{AuthDecl, Manifest};
use edgeway_router::{Methods, Segment};
use serde_json::{Map, Value, json};

/// The OpenAPI version written.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// Names of the security schemes, as operations refer to them.
const API_KEY_HEADER: &str = "apiKeyHeader";
const API_KEY_QUERY: &str = "apiKeyQuery";
const BEARER: &str = "bearerJwt";

/// The document as text: pretty-printed JSON with sorted keys and a final newline.
pub fn to_json(manifest: &Manifest) -> String {
    let mut text =
        serde_json::to_string_pretty(&sorted(document(manifest))).expect("JSON values serialize");
    text.push('\n');
    text
}

/// The document as a JSON value.
pub fn document(manifest: &Manifest) -> Value {
    let mut paths = Map::new();
    let router = manifest.router();
    for route in router.routes() {
        let decl = &manifest.routes[route.value];
        let (path, params) = openapi_path(&decl.pattern);
        let item = paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("path items are objects");
        for method in operation::methods(decl.methods) {
            let op = operation::operation(manifest, decl, method, &params);
            item.insert(method.to_ascii_lowercase(), op);
        }
        if params.is_empty() {
            fall_through(manifest, &router, route.value, item);
        }
    }
    events::add_paths(manifest, &mut paths);
    let mut info = json!({ "title": manifest.api.title, "version": manifest.api.version });
    if let Some(description) = &manifest.api.description {
        info["description"] = json!(description);
    }
    let mut components = json!({
        "schemas": {
            "Problem": problem_schema(),
            "ValidationProblem": validation_problem_schema(),
            "HostProblem": host_problem_schema(),
        },
        "headers": responses::header_components(),
    });
    let mut schemes = security_schemes(manifest);
    events::security_schemes(manifest, &mut schemes);
    if !schemes.is_empty() {
        components["securitySchemes"] = Value::Object(schemes);
    }
    json!({
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": paths,
        "components": components,
    })
}

/// On an exact path, the methods its route does not take fall through to a more general route
/// that matches the path (`DELETE /items/new` reaches `GET,DELETE /items/:id`), as a `405`'s
/// `Allow` says: the path item lists them too, as operations of that route (without its
/// operation id, which names its own path's operation).
fn fall_through(
    manifest: &Manifest,
    router: &edgeway_router::Router<'_, usize>,
    index: usize,
    item: &mut Map<String, Value>,
) {
    let decl = &manifest.routes[index];
    for method in operation::methods(Methods::ANY) {
        if decl.methods.accepts(method) {
            continue;
        }
        let Ok(found) = router.at(method, &decl.pattern) else {
            continue;
        };
        let general = &manifest.routes[*found.value];
        let mut op = operation::operation(manifest, general, method, &[]);
        op.as_object_mut()
            .expect("operations are objects")
            .remove("operationId");
        item.insert(method.to_ascii_lowercase(), op);
    }
}

/// A path parameter: its name in the template, and whether it is the `/...` rest.
pub(crate) struct PathParam {
    pub name: String,
    pub rest: bool,
}

/// The name the `/...` rest of a path gets in the template (with `_` added if a `:name`
/// parameter already has it).
const REST_NAME: &str = "rest";

/// `/hello/:name` → `/hello/{name}`; `/echo/...` → `/echo/{rest}`.
pub(crate) fn openapi_path(pattern: &str) -> (String, Vec<PathParam>) {
    let parsed = edgeway_router::Pattern::parse(pattern).expect("routes were validated on load");
    let mut path = String::new();
    let mut params = Vec::new();
    let segments: Vec<Segment<'_>> = parsed.segments().collect();
    for segment in &segments {
        path.push('/');
        match segment {
            Segment::Exact(text) => path.push_str(text),
            Segment::Param(name) => {
                path.push_str(&format!("{{{name}}}"));
                params.push(PathParam {
                    name: (*name).to_owned(),
                    rest: false,
                });
            }
            Segment::Rest => {
                let mut name = REST_NAME.to_owned();
                while segments.contains(&Segment::Param(&name)) {
                    name.push('_');
                }
                path.push_str(&format!("{{{name}}}"));
                params.push(PathParam { name, rest: true });
            }
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    (path, params)
}

fn security_schemes(manifest: &Manifest) -> Map<String, Value> {
    let mut schemes = Map::new();
    let features = manifest.gateway_features();
    if let Some(api_key) = manifest
        .api_key
        .as_ref()
        .filter(|_| features.contains(&"api-key"))
    {
        schemes.insert(
            API_KEY_HEADER.into(),
            json!({ "type": "apiKey", "in": "header", "name": api_key.header.to_ascii_lowercase(), "description": "An API key." }),
        );
        if let Some(query) = &api_key.query {
            schemes.insert(
                API_KEY_QUERY.into(),
                json!({ "type": "apiKey", "in": "query", "name": query, "description": "An API key, in the query." }),
            );
        }
    }
    if manifest.jwt.is_some() && features.contains(&"jwt") {
        schemes.insert(
            BEARER.into(),
            json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A JWT (HS256, RS256, ES256 or EdDSA) with `exp`; required scopes come from its `scope`, `scp` or `roles` claim." }),
        );
    }
    schemes
}

/// The security requirement of an operation with this auth: any one of the schemes.
pub(crate) fn security(manifest: &Manifest, auth: &AuthDecl) -> Option<Value> {
    match auth {
        AuthDecl::None => None,
        AuthDecl::ApiKey => {
            let mut alternatives = vec![json!({ API_KEY_HEADER: [] })];
            if manifest.api_key.as_ref().is_some_and(|k| k.query.is_some()) {
                alternatives.push(json!({ API_KEY_QUERY: [] }));
            }
            Some(Value::Array(alternatives))
        }
        AuthDecl::Jwt { scopes } => Some(json!([{ BEARER: scopes }])),
    }
}

fn problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An RFC 9457 problem, as the gateway writes it.",
        "required": ["type", "title", "status", "detail", "instance", "request_id"],
        "properties": {
            "type": { "type": "string", "description": "`urn:edgeway:problem:<kind>`" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "instance": { "type": "string", "description": "The request's path." },
            "request_id": { "type": "string", "description": "The request's `x-request-id`." }
        }
    })
}

fn host_problem_schema() -> Value {
    json!({
        "type": "object",
        "description": "An RFC 9457 problem the host writes when the app failed to answer (a trap, no response, the deadline): `type` is `about:blank`, and `request_id` matches the host's log.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": { "type": "string" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "request_id": { "type": "string" }
        }
    })
}

fn validation_problem_schema() -> Value {
    json!({
        "description": "A request that does not satisfy the route's schemas: one entry per violation.",
        "allOf": [
            { "$ref": "#/components/schemas/Problem" },
            {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["in", "pointer", "message"],
                            "properties": {
                                "in": { "enum": ["body", "query", "path"] },
                                "pointer": { "type": "string", "description": "A JSON pointer into the body, the query's parameters or the path's parameters." },
                                "message": { "type": "string" }
                            }
                        }
                    }
                }
            }
        ]
    })
}

/// The value with every object's keys in sorted order, whatever map serde_json is built with.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
