//! Step 6½: a route that declares a JSON Schema for its body, its query or its path's
//! parameters has its requests checked against it before the handler is called; a request
//! that does not satisfy it is a `400` problem listing every violation with its JSON pointer.
//!
//! Each schema was checked when the app was built and compiled into Rust code by the
//! `jsonschema::validator` macro (see the generated `app` module), so a request compiles and
//! parses no schema: it only runs the checks.
use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};

use crate::problem::Reply;
use crate::request::Head;

/// Checks a JSON value and adds each violation to the list, marked with where it is (`body`,
/// `query` or `path`).
pub type Check = fn(&Value, &'static str, &mut Vec<Value>);

/// A route's compiled schemas.
pub struct RouteSchemas {
    pub body: Option<Check>,
    pub query: Option<Check>,
    /// Each query parameter's type, to read its text as.
    pub query_kinds: &'static [(&'static str, Kind)],
    /// The path's parameters, as one object.
    pub params: Option<Check>,
    /// Each typed path parameter's type, to read its text as.
    pub param_kinds: &'static [(&'static str, Kind)],
}

/// How a query or path parameter's text becomes JSON.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    /// A repeated parameter: every occurrence, each read as the item's kind.
    List(&'static Kind),
}

/// Checks the request (its path's decoded parameters, query and body) against the route's
/// schemas; the `400` problem if it does not fit.
pub fn check(
    head: &Head,
    schemas: &RouteSchemas,
    params: &[(String, String)],
    body: &[u8],
) -> Result<(), Reply> {
    let mut errors = Vec::new();
    if let Some(check) = schemas.params {
        let object = params
            .iter()
            .map(|(name, text)| (name.clone(), read(text, kind_of(schemas.param_kinds, name))))
            .collect();
        check(&Value::Object(object), "path", &mut errors);
    }
    if let Some(check) = schemas.query {
        match query_value(&head.query, schemas.query_kinds) {
            Ok(value) => check(&value, "query", &mut errors),
            Err(message) => {
                errors.push(json!({ "in": "query", "pointer": "", "message": message }))
            }
        }
    }
    // Only requests of methods that carry a body have theirs checked: a `GET` on a route that
    // also takes `POST` has none.
    if let Some(check) = schemas.body.filter(|_| has_body(&head.method)) {
        match body_value(body) {
            Ok(value) => check(&value, "body", &mut errors),
            Err(message) => errors.push(json!({ "in": "body", "pointer": "", "message": message })),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(crate::problem::invalid_request(head, errors))
    }
}

/// The methods whose requests carry a body that `body_schema` describes.
fn has_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

/// Adds the violations a compiled validator found (the generated checks call this).
pub fn collect<'i>(
    found: impl IntoIterator<Item = ValidationError<'i>>,
    place: &'static str,
    errors: &mut Vec<Value>,
) {
    for error in found {
        let at = error.instance_path().as_str();
        match error.kind() {
            // Point at each property that should not be there, not at the object holding it.
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    let escaped = name.replace('~', "~0").replace('/', "~1");
                    errors.push(json!({
                        "in": place,
                        "pointer": format!("{at}/{escaped}"),
                        "message": format!("`{name}` is not allowed here"),
                    }));
                }
            }
            _ => errors.push(json!({ "in": place, "pointer": at, "message": error.to_string() })),
        }
    }
}

fn body_value(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Err("a JSON body is required".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))
}

/// The query as a JSON object: each parameter read as its schema's type says (text that does
/// not parse stays text, for the schema to refuse); a list collects every occurrence, any
/// other parameter keeps its first.
fn query_value(query: &str, kinds: &[(&str, Kind)]) -> Result<Value, String> {
    let mut object = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            edgeway_router::percent_decode(&text.replace('+', " "))
                .map(|t| t.into_owned())
                .ok_or_else(|| {
                    format!("query parameter `{name}` is not valid percent-encoded UTF-8")
                })
        };
        let (name, value) = (decode(name)?, decode(value)?);
        match kind_of(kinds, &name) {
            Kind::List(item) => {
                let list = object
                    .entry(name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(read(&value, *item));
                }
            }
            kind => {
                object.entry(name).or_insert_with(|| read(&value, kind));
            }
        }
    }
    Ok(Value::Object(object))
}

/// The kind of the parameter `name`: text unless its schema gives a type.
fn kind_of(kinds: &[(&str, Kind)], name: &str) -> Kind {
    kinds
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(Kind::Text, |(_, k)| *k)
}

fn read(text: &str, kind: Kind) -> Value {
    let parsed = match kind {
        Kind::Integer => text.parse::<i64>().ok().map(Value::from),
        Kind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Kind::Boolean => text.parse::<bool>().ok().map(Value::Bool),
        Kind::Text | Kind::List(_) => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_owned()))
}
