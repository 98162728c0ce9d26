//! `edgeway up --check-responses`: each answer is checked against the response its operation
//! declares in the app's OpenAPI document (status, content type, body schema), and every
//! violation is logged with the request id and a JSON pointer. The answer itself is sent
//! unchanged: its body is read whole first, so this is for development, not production.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use edgeway_router::{Methods, Router};
use serde_json::Value;

/// The checks of one app, built from its OpenAPI document.
pub(crate) struct ResponseCheck {
    document: Arc<Value>,
    /// Each operation's route, as its `x-edgeway-route` says, with the JSON pointer of its
    /// operation object; its value indexes `operations`.
    routes: Vec<(Methods, String)>,
    operations: Vec<String>,
    /// Compiled schemas by JSON pointer, made the first time an answer needs one.
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// One answer to check.
pub(crate) struct Answer<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

impl ResponseCheck {
    /// The checks the document declares.
    pub(crate) fn new(document: Value) -> ResponseCheck {
        let (mut routes, mut operations) = (Vec::new(), Vec::new());
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Some((methods, pattern)) = operation["x-edgeway-route"]
                    .as_str()
                    .and_then(|route| route.rsplit_once(' '))
                else {
                    continue;
                };
                let methods = parse_methods(methods);
                if methods.accepts(&method.to_ascii_uppercase()) {
                    let escaped = path.replace('~', "~0").replace('/', "~1");
                    routes.push((methods, pattern.to_owned()));
                    operations.push(format!("/paths/{escaped}/{method}"));
                }
            }
        }
        ResponseCheck {
            document: Arc::new(document),
            routes,
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// What is wrong with the answer, by the document: `(pointer into the body, message)`.
    /// Nothing when the request reaches no documented operation.
    pub(crate) fn violations(&self, answer: &Answer<'_>) -> Vec<(String, String)> {
        let mut router = Router::new();
        for (index, (methods, pattern)) in self.routes.iter().enumerate() {
            // A route listed on several paths (a method falling through) is inserted once.
            let _ = router.insert(*methods, pattern, index);
        }
        let Ok(found) = router.at(answer.method, answer.path) else {
            return Vec::new();
        };
        let operation = &self.operations[*found.value];
        let method = answer.method.to_ascii_lowercase();
        // HEAD is served by GET operations, without a body.
        let operation = match operation.strip_suffix("/head") {
            Some(path) if method == "head" && self.document.pointer(operation).is_none() => {
                format!("{path}/get")
            }
            _ => operation.clone(),
        };
        let responses = format!("{operation}/responses");
        let status = answer.status.to_string();
        let range = format!("{}XX", status.chars().next().unwrap_or('0'));
        let Some(key) = [status.as_str(), range.as_str(), "default"]
            .into_iter()
            .find(|key| {
                self.document
                    .pointer(&format!("{responses}/{key}"))
                    .is_some()
            })
        else {
            return vec![(String::new(), format!("status {status} is not declared"))];
        };
        let content = format!("{responses}/{key}/content");
        let Some(declared) = self.document.pointer(&content).and_then(Value::as_object) else {
            return Vec::new();
        };
        if answer.method == "HEAD" || answer.body.is_empty() && answer.status == 204 {
            return Vec::new();
        }
        let media_type = answer
            .content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let Some(declared_type) = declared.keys().find(|t| **t == media_type || *t == "*/*") else {
            let listed: Vec<&str> = declared.keys().map(String::as_str).collect();
            return vec![(
                String::new(),
                format!(
                    "content type `{media_type}` is not declared ({})",
                    listed.join(", ")
                ),
            )];
        };
        let schema = format!("{content}/{}/schema", declared_type.replace('/', "~1"));
        if self.document.pointer(&schema).is_none() || !media_type.contains("json") {
            return Vec::new();
        }
        let body: Value = match serde_json::from_slice(answer.body) {
            Ok(body) => body,
            Err(error) => return vec![(String::new(), format!("the body is not JSON: {error}"))],
        };
        match self.validator(&schema) {
            Ok(validator) => validator
                .iter_errors(&body)
                .map(|error| (error.instance_path().to_string(), error.to_string()))
                .collect(),
            Err(error) => vec![(
                String::new(),
                format!("the declared schema does not compile: {error}"),
            )],
        }
    }

    /// The schema at `pointer`, compiled with the whole document as its root, so that its
    /// `$ref`s to `#/components/...` resolve.
    fn validator(&self, pointer: &str) -> Result<Arc<jsonschema::Validator>, String> {
        let mut validators = self.validators.lock().expect("never poisoned");
        if let Some(validator) = validators.get(pointer) {
            return Ok(validator.clone());
        }
        let mut root = (*self.document).clone();
        root["$ref"] = Value::String(format!("#{}", fragment(pointer)));
        let validator = Arc::new(jsonschema::validator_for(&root).map_err(|e| e.to_string())?);
        validators.insert(pointer.to_owned(), validator.clone());
        Ok(validator)
    }
}

/// A JSON pointer as a URI fragment: `{` and `}` of path templates, and any other byte a
/// fragment cannot hold, percent-encoded.
fn fragment(pointer: &str) -> String {
    pointer
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b'-' | b'.' | b'_' | b'~' | b'/' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' => {
                (b as char).to_string()
            }
            b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `ANY`, or method names joined by `, `.
fn parse_methods(text: &str) -> Methods {
    if text == "ANY" {
        return Methods::ANY;
    }
    text.split(", ")
        .filter_map(Methods::from_name)
        .fold(Methods::NONE, Methods::union)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check() -> ResponseCheck {
        ResponseCheck::new(json!({
            "paths": {
                "/hello/{name}": { "get": {
                    "x-edgeway-route": "GET /hello/:name",
                    "responses": {
                        "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Greeting" } } } },
                        "404": { "description": "no content declared" }
                    }
                } }
            },
            "components": { "schemas": { "Greeting": { "type": "object", "required": ["message"], "properties": { "message": { "type": "string" } } } } }
        }))
    }

    fn answer<'a>(status: u16, content_type: &'a str, body: &'a str) -> Answer<'a> {
        Answer {
            method: "GET",
            path: "/hello/ada",
            status,
            content_type: Some(content_type),
            body: body.as_bytes(),
        }
    }

    #[test]
    fn answers_are_checked_against_their_declared_response() {
        let check = check();
        for (answer, expected) in [
            (
                answer(200, "application/json", r#"{"message":"hi"}"#),
                vec![],
            ),
            (
                answer(200, "application/json", r#"{"message":5}"#),
                vec!["/message"],
            ),
            (answer(200, "application/json", r#"{}"#), vec![""]),
            (answer(404, "text/plain", "gone"), vec![]),
            (answer(500, "text/plain", "boom"), vec![""]),
            (answer(200, "text/plain", "hi"), vec![""]),
        ] {
            let found = check.violations(&answer);
            let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
            assert_eq!(
                pointers,
                expected,
                "{} {:?}: {found:?}",
                answer.status,
                std::str::from_utf8(answer.body)
            );
        }
        let unknown = Answer {
            path: "/elsewhere",
            ..answer(500, "text/plain", "")
        };
        assert!(
            check.violations(&unknown).is_empty(),
            "no operation, nothing to check"
        );
    }
}
