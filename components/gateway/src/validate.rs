//! Step 6½: a route that declares a JSON Schema for its body or query has its requests checked
//! against it before the handler is called; a request that does not satisfy it is a `400`
//! problem listing every violation with its JSON pointer.
//!
//! The schemas were checked and compiled when the app was built; here each is compiled once
//! per instance, on the first request of its route, from the JSON the build wrote.
use std::sync::{LazyLock, OnceLock};

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Map, Value, json};

use crate::problem::Reply;
use crate::request::Head;
use crate::{Target, app};

/// A compiled query schema, with the type each parameter is read as.
struct QuerySchema {
    validator: Validator,
    kinds: Vec<(String, Kind)>,
}

/// How a query parameter's text becomes JSON.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    List(&'static Kind),
}

#[derive(Default)]
struct Compiled {
    body: OnceLock<Validator>,
    query: OnceLock<QuerySchema>,
}

/// One per route, in the order of `app::TARGETS`.
static COMPILED: LazyLock<Vec<Compiled>> =
    LazyLock::new(|| app::TARGETS.iter().map(|_| Compiled::default()).collect());

fn parse(schema: &str) -> Value {
    serde_json::from_str(schema).expect("the build wrote this schema as JSON")
}

fn compile(schema: &Value) -> Validator {
    jsonschema::validator_for(schema).expect("the build compiled this schema")
}

/// Checks the request against the route's schemas; the `400` problem if it does not fit.
pub fn check(head: &Head, route: usize, target: &Target, body: &[u8]) -> Result<(), Reply> {
    let compiled = &COMPILED[route];
    let mut errors = Vec::new();
    if let Some(schema) = target.query_schema {
        let query = compiled.query.get_or_init(|| query_schema(parse(schema)));
        match query_value(&head.query, &query.kinds) {
            Ok(value) => collect(&query.validator, &value, "query", &mut errors),
            Err(message) => errors.push(json!({ "in": "query", "pointer": "", "message": message })),
        }
    }
    // Only requests of methods that carry a body have theirs checked: a `GET` on a route that
    // also takes `POST` has none.
    let body_schema = target.body_schema.filter(|_| has_body(&head.method));
    if let Some(schema) = body_schema {
        let validator = compiled.body.get_or_init(|| compile(&parse(schema)));
        match body_value(body) {
            Ok(value) => collect(validator, &value, "body", &mut errors),
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
pub fn has_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

fn collect(validator: &Validator, value: &Value, place: &str, errors: &mut Vec<Value>) {
    for error in validator.iter_errors(value) {
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

fn query_schema(schema: Value) -> QuerySchema {
    let kind = |schema: &Value| match schema.get("type").and_then(Value::as_str) {
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        _ => Kind::Text,
    };
    let kinds = schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, property)| {
            let list = property.get("type").and_then(Value::as_str) == Some("array");
            let kind = match (list, property.get("items").map(kind)) {
                (true, Some(Kind::Integer)) => Kind::List(&Kind::Integer),
                (true, Some(Kind::Number)) => Kind::List(&Kind::Number),
                (true, Some(Kind::Boolean)) => Kind::List(&Kind::Boolean),
                (true, _) => Kind::List(&Kind::Text),
                (false, _) => kind(property),
            };
            (name.clone(), kind)
        })
        .collect();
    QuerySchema {
        validator: compile(&schema),
        kinds,
    }
}

/// The query as a JSON object: each parameter read as its schema's type says (text that does
/// not parse stays text, for the schema to refuse); a list collects every occurrence, any
/// other parameter keeps its first.
fn query_value(query: &str, kinds: &[(String, Kind)]) -> Result<Value, String> {
    let mut object = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            edgeway_router::percent_decode(&text.replace('+', " "))
                .map(|t| t.into_owned())
                .ok_or_else(|| format!("query parameter `{name}` is not valid percent-encoded UTF-8"))
        };
        let (name, value) = (decode(name)?, decode(value)?);
        let kind = kinds
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Kind::Text, |(_, k)| *k);
        match kind {
            Kind::List(item) => {
                let list = object.entry(name).or_insert_with(|| Value::Array(Vec::new()));
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
