//! What a route says about itself, for the API's description (OpenAPI) and for request
//! validation: summary, description, tags, operation id, JSON Schemas of the body, the query
//! and the path's `:name` parameters, and the responses.
//!
//! ```toml
//! [component.gateway.tool.edgeway.routes]
//! "POST /convert" = { handler = "convert", summary = "Convert a value", tags = ["units"], body_schema = { type = "object", required = ["value"] }, responses = { 200 = { description = "The converted value" } } }
//! ```
//!
//! Schemas are TOML tables (or strings of JSON text), checked against their meta-schema and
//! compiled here, so a schema that cannot work is a build error, never a request-time one;
//! the gateway's build then compiles each into Rust code with the same crate.
use std::collections::BTreeMap;

use serde_json::Value as Json;

/// A route's description and the schemas its requests are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteMeta {
    /// A one-line summary.
    pub summary: Option<String>,
    /// A longer description (CommonMark).
    pub description: Option<String>,
    /// Tags that group operations.
    pub tags: Vec<String>,
    /// The operation id (suffixed with `-<method>` on routes with several methods).
    pub operation_id: Option<String>,
    /// The JSON Schema the request body must satisfy, as JSON.
    pub body_schema: Option<Json>,
    /// The JSON Schema of the query parameters: an object schema whose `properties` are the
    /// parameters.
    pub query_schema: Option<Json>,
    /// The JSON Schema of each `:name` parameter of the path that has one (`params = { id =
    /// { type = "integer" } }`), by name; checked against the text read as the schema's type.
    pub params: BTreeMap<String, Json>,
    /// The documented responses, ordered by status.
    pub responses: Vec<ResponseDecl>,
}

impl RouteMeta {
    /// Whether the gateway validates this route's requests.
    pub fn validates(&self) -> bool {
        self.body_schema.is_some() || self.query_schema.is_some() || !self.params.is_empty()
    }
}

/// One documented response of a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseDecl {
    /// `"200"`, `"4XX"` or `"default"`.
    pub status: String,
    /// What it means.
    pub description: String,
    /// The media type of its body (`application/json` unless the manifest says).
    pub content_type: String,
    /// The JSON Schema of its body, if documented.
    pub schema: Option<Json>,
}

/// The keys of a route table that describe it, beside `handler` and the policy settings.
pub(crate) const META_KEYS: &[&str] = &[
    "summary",
    "description",
    "tags",
    "operation_id",
    "body_schema",
    "query_schema",
    "params",
    "responses",
];

/// A mistake in a route's metadata: the key it is under, and what is wrong.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MetaError {
    pub key: &'static str,
    pub message: String,
}

fn error(key: &'static str, message: impl Into<String>) -> MetaError {
    MetaError {
        key,
        message: message.into(),
    }
}

/// Takes the metadata keys out of a route table and checks them.
pub(crate) fn take_meta(table: &mut toml::Table) -> Result<RouteMeta, MetaError> {
    let text = |table: &mut toml::Table, key: &'static str| match table.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(error(
            key,
            format!("`{key}` must be a string, not {}", other.type_str()),
        )),
    };
    let summary = text(table, "summary")?;
    let description = text(table, "description")?;
    let operation_id = text(table, "operation_id")?;
    let tags = match table.remove("tags") {
        None => Vec::new(),
        Some(toml::Value::Array(tags)) => tags
            .into_iter()
            .map(|tag| match tag {
                toml::Value::String(tag) => Ok(tag),
                _ => Err(error("tags", "`tags` must be a list of strings")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(error("tags", "`tags` must be a list of strings")),
    };
    let body_schema = table
        .remove("body_schema")
        .map(|value| schema(value, "body_schema"))
        .transpose()?;
    let query_schema = table
        .remove("query_schema")
        .map(|value| schema(value, "query_schema"))
        .transpose()?;
    if let Some(query) = &query_schema {
        check_query_schema(query)?;
    }
    let params = match table.remove("params") {
        None => BTreeMap::new(),
        Some(value) => params(value)?,
    };
    let responses = match table.remove("responses") {
        None => Vec::new(),
        Some(value) => responses(value)?,
    };
    Ok(RouteMeta {
        summary,
        description,
        tags,
        operation_id,
        body_schema,
        query_schema,
        params,
        responses,
    })
}

/// `params = { id = { type = "integer", minimum = 1 } }`: one scalar schema per parameter.
fn params(value: toml::Value) -> Result<BTreeMap<String, Json>, MetaError> {
    let toml::Value::Table(table) = value else {
        return Err(error(
            "params",
            "`params` is a table of schemas: { id = { type = \"integer\", minimum = 1 } }",
        ));
    };
    let mut params = BTreeMap::new();
    for (name, value) in table {
        let schema = schema(value, "params")?;
        if !scalar(schema.get("type").and_then(Json::as_str)) {
            return Err(error(
                "params",
                format!("path parameter `{name}` must be a string, integer, number or boolean"),
            ));
        }
        params.insert(name, schema);
    }
    Ok(params)
}

/// Whether a parameter of this `type` is one piece of text read as a scalar (no type: text).
fn scalar(kind: Option<&str>) -> bool {
    kind.is_none_or(|t| matches!(t, "string" | "integer" | "number" | "boolean"))
}

/// A schema written as a TOML table, or as a string of JSON text; checked against its
/// meta-schema and compiled.
fn schema(value: toml::Value, key: &'static str) -> Result<Json, MetaError> {
    let json = match value {
        toml::Value::String(text) => serde_json::from_str(&text)
            .map_err(|e| error(key, format!("`{key}` is not valid JSON: {e}")))?,
        toml::Value::Table(_) | toml::Value::Boolean(_) => {
            to_json(value).map_err(|message| error(key, format!("`{key}`: {message}")))?
        }
        other => {
            return Err(error(
                key,
                format!(
                    "`{key}` must be a JSON Schema (a table, or JSON text), not {}",
                    other.type_str()
                ),
            ));
        }
    };
    check_schema(&json).map_err(|message| error(key, format!("`{key}` {message}")))?;
    Ok(json)
}

/// TOML to JSON; dates have no JSON form.
fn to_json(value: toml::Value) -> Result<Json, String> {
    Ok(match value {
        toml::Value::String(s) => Json::String(s),
        toml::Value::Integer(i) => Json::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or("a schema number must be finite")?,
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => return Err(format!("a date ({d}) has no JSON form")),
        toml::Value::Array(items) => {
            Json::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        toml::Value::Table(table) => Json::Object(
            table
                .into_iter()
                .map(|(k, v)| Ok((k, to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// Checks a schema against its meta-schema (2020-12 unless `$schema` says otherwise) and
/// compiles it, as the gateway will: a bad regex or an unresolvable `$ref` fails here.
pub fn check_schema(schema: &Json) -> Result<(), String> {
    if let Err(invalid) = jsonschema::meta::validate(schema) {
        let at = invalid.instance_path().to_string();
        let at = if at.is_empty() { "/".to_owned() } else { at };
        return Err(format!("is not a valid JSON Schema: at {at}: {invalid}"));
    }
    jsonschema::validator_for(schema)
        .map(drop)
        .map_err(|e| format!("cannot be compiled: {e}"))
}

/// The query is a flat set of named values: its schema must list them under `properties`,
/// each a scalar or a list of scalars (a repeated parameter).
fn check_query_schema(schema: &Json) -> Result<(), MetaError> {
    let hint = "`query_schema` lists the parameters: { type = \"object\", properties = { limit = { type = \"integer\" } } }";
    let properties = schema
        .get("properties")
        .and_then(Json::as_object)
        .filter(|_| schema.get("type").is_none_or(|t| t == "object"))
        .ok_or_else(|| error("query_schema", hint))?;
    for (name, property) in properties {
        let kind = property.get("type").and_then(Json::as_str);
        let item = property.pointer("/items/type").and_then(Json::as_str);
        let fits = match kind {
            Some("array") => scalar(item),
            other => scalar(other),
        };
        if !fits {
            return Err(error(
                "query_schema",
                format!(
                    "query parameter `{name}` must be a string, integer, number, boolean, or an array of those"
                ),
            ));
        }
    }
    Ok(())
}

fn responses(value: toml::Value) -> Result<Vec<ResponseDecl>, MetaError> {
    let toml::Value::Table(table) = value else {
        return Err(error(
            "responses",
            "`responses` is a table: { 200 = { description = \"...\", schema = { ... } } }",
        ));
    };
    let mut responses = Vec::new();
    for (status, value) in table {
        let valid_status = status == "default"
            || (status.len() == 3
                && matches!(status.as_bytes()[0], b'1'..=b'5')
                && (status[1..].bytes().all(|b| b.is_ascii_digit()) || &status[1..] == "XX"));
        if !valid_status {
            return Err(error(
                "responses",
                format!("response `{status}`: use a status (200, 404), a range (4XX) or `default`"),
            ));
        }
        let toml::Value::Table(mut fields) = value else {
            return Err(error(
                "responses",
                format!("response `{status}` must be a table"),
            ));
        };
        let mut text = |key: &str| match fields.remove(key) {
            None => Ok(None),
            Some(toml::Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(error(
                "responses",
                format!("response `{status}`: `{key}` must be a string"),
            )),
        };
        let description = text("description")?.unwrap_or_else(|| reason(&status).to_owned());
        let content_type = text("content_type")?.unwrap_or_else(|| "application/json".into());
        let schema = fields
            .remove("schema")
            .map(|value| schema(value, "responses"))
            .transpose()?;
        if let Some(unknown) = fields.keys().next() {
            return Err(error(
                "responses",
                format!(
                    "response `{status}` has unknown key `{unknown}`; use description, content_type and schema"
                ),
            ));
        }
        responses.push(ResponseDecl {
            status,
            description,
            content_type,
            schema,
        });
    }
    responses.sort_by(|a, b| a.status.cmp(&b.status));
    Ok(responses)
}

/// The reason phrase of common statuses: the description a response gets when the manifest
/// gives none.
pub fn reason(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No Content",
        "301" | "302" | "307" | "308" => "Redirect",
        "304" => "Not Modified",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "Not Found",
        "409" => "Conflict",
        "422" => "Unprocessable Content",
        "500" => "Internal Server Error",
        _ => "Response",
    }
}

/// Operation ids name one operation each in the whole document.
pub(crate) fn check_operation_ids(
    checker: &mut crate::check::Checker<'_>,
    routes: &[crate::RouteDecl],
) {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for route in routes {
        let Some(id) = route.meta.operation_id.as_deref() else {
            continue;
        };
        match seen.iter().find(|(other, _)| *other == id) {
            Some((_, line)) => checker.found.push(crate::Diagnostic {
                location: route.location.clone(),
                message: format!("operation id `{id}` is already used by the route on line {line}"),
                hint: Some("give each route its own `operation_id`".into()),
            }),
            None => seen.push((id, route.location.line)),
        }
    }
}
