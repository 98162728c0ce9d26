//! The responses of an operation: the route's own, then every answer the gateway and the host
//! can give in its place, each with its schema and the headers it always carries.
use edgeway_manifest::{AuthDecl, RouteDecl, RouteSettings};
use edgeway_router::Methods;
use serde_json::{Map, Value, json};

/// The headers the gateway adds to every answer that passes through it.
const GATEWAY_HEADERS: [&str; 2] = ["x-request-id", "traceparent"];

/// The headers of a rate-limited route's answers.
const RATE_LIMIT_HEADERS: [&str; 3] = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];

/// Where a response comes from, which decides the headers it carries.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The gateway wrote or passed it on: it carries the request id and trace context.
    Gateway,
    /// The gateway's, or the host's when the app failed without answering: no header is sure.
    GatewayOrHost,
}

/// The route's documented responses (`default` when it documents none), then the problems the
/// gateway and the host answer with on this route; a status the route documents keeps the
/// route's description. `validates` says whether the gateway checks the operation's requests
/// against schemas.
pub(crate) fn responses(decl: &RouteDecl, validates: bool) -> Map<String, Value> {
    let settings = &decl.settings;
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
    let validation_400 = json!({ "oneOf": [
        problem_ref("ValidationProblem"),
        { "allOf": [problem_ref("Problem")], "not": { "required": ["errors"] } },
    ] });
    let (schema_400, what) = if validates {
        (
            validation_400,
            "The request does not satisfy the route's schemas (`urn:edgeway:problem:invalid-request`, with `errors`), its path cannot be routed (`invalid-path`) or its body cannot be read (`invalid-body`).",
        )
    } else {
        (
            problem_ref("Problem"),
            "The path cannot be routed (`urn:edgeway:problem:invalid-path`) or the body cannot be read (`invalid-body`).",
        )
    };
    let mut problems = vec![(
        "400",
        what.to_owned(),
        schema_400,
        Source::Gateway,
        Vec::new(),
    )];
    match &settings.auth {
        AuthDecl::None => {}
        AuthDecl::ApiKey => problems.push(gateway("401", "No or a wrong API key.".into())),
        AuthDecl::Jwt { scopes } => {
            problems.push(gateway(
                "401",
                "No, or an invalid or expired, bearer token.".into(),
            ));
            if !scopes.is_empty() {
                let detail = format!("The token lacks a required scope ({}).", scopes.join(", "));
                problems.push(gateway("403", detail));
            }
        }
    }
    problems.push(gateway(
        "404",
        "No route matches the path (`urn:edgeway:problem:route-not-found`).".into(),
    ));
    if decl.methods != Methods::ANY {
        let mut not_allowed = gateway(
            "405",
            format!(
                "The path does not take the method; `Allow` lists those it does ({}).",
                decl.methods.allowed().allow_header()
            ),
        );
        not_allowed.4.push(header_ref("allow", "Allow", true));
        problems.push(not_allowed);
    }
    problems.push(gateway(
        "413",
        format!(
            "The body is over the route's limit of {} bytes.",
            settings.body_limit
        ),
    ));
    if let Some(limit) = settings.rate_limit {
        let mut limited = gateway(
            "429",
            format!(
                "More than {} requests in {} s; `Retry-After` says when to retry.",
                limit.requests, limit.window_seconds
            ),
        );
        limited
            .4
            .push(header_ref("retry-after", "RetryAfter", true));
        problems.push(limited);
    }
    problems.push((
        "500",
        "The handler failed with a problem of its own, or trapped (then the host answers, without the gateway's headers).".into(),
        json!({ "anyOf": [problem_ref("Problem"), problem_ref("HostProblem")] }),
        Source::GatewayOrHost,
        Vec::new(),
    ));
    problems.push(gateway(
        "502",
        "The handler's response cannot be sent as it is (`urn:edgeway:problem:invalid-handler-response`).".into(),
    ));
    problems.push((
        "504",
        "The app did not answer within the host's deadline (the host answers).".into(),
        problem_ref("HostProblem"),
        Source::GatewayOrHost,
        Vec::new(),
    ));
    for (status, description, schema, source, headers) in problems {
        responses.entry(status.to_owned()).or_insert_with(|| {
            json!({
                "description": description,
                "content": { "application/problem+json": { "schema": schema } },
                "headers": Value::Object(headers.into_iter().collect()),
            })
        });
        let required = source == Source::Gateway || status == "429";
        add_headers(&mut responses[status], settings, required);
    }
    // The route's own answers pass through the gateway, which adds its headers to each.
    for response in responses.values_mut() {
        add_headers(response, settings, true);
    }
    responses
}

/// A problem the gateway writes itself, with the plain `Problem` schema.
fn gateway(status: &'static str, description: String) -> Problem {
    (
        status,
        description,
        problem_ref("Problem"),
        Source::Gateway,
        Vec::new(),
    )
}

/// Status, description, schema, source and extra headers of one of the gateway's answers.
type Problem = (&'static str, String, Value, Source, Vec<(String, Value)>);

/// Adds the gateway's headers (and the rate-limit headers of a limited route) to a response;
/// `required` when they are always there.
fn add_headers(response: &mut Value, settings: &RouteSettings, required: bool) {
    let headers = response
        .as_object_mut()
        .expect("responses are objects")
        .entry("headers")
        .or_insert_with(|| json!({}));
    let headers = headers.as_object_mut().expect("headers are an object");
    for name in GATEWAY_HEADERS {
        let component = if name == "traceparent" {
            "Traceparent"
        } else {
            "RequestId"
        };
        headers
            .entry(name)
            .or_insert_with(|| header_ref(name, component, required).1);
    }
    if settings.rate_limit.is_some() {
        for (name, component) in RATE_LIMIT_HEADERS.into_iter().zip([
            "RateLimitLimit",
            "RateLimitRemaining",
            "RateLimitReset",
        ]) {
            // The counter may be out of reach, and then the request goes on without them.
            let sure = required && headers.contains_key("retry-after");
            headers
                .entry(name)
                .or_insert_with(|| header_ref(name, component, sure).1);
        }
    }
}

/// A header of the document's `components.headers`, required or not.
fn header_ref(name: &str, component: &str, required: bool) -> (String, Value) {
    let reference = json!({ "$ref": format!("#/components/headers/{component}{}", if required { "" } else { "Optional" }) });
    (name.to_owned(), reference)
}

fn problem_ref(schema: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{schema}") })
}

/// `components.headers`: each header the responses refer to, required and optional.
pub(crate) fn header_components() -> Map<String, Value> {
    let integer = json!({ "type": "integer", "minimum": 0 });
    let text = json!({ "type": "string", "minLength": 1 });
    let traceparent = json!({ "type": "string", "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" });
    let mut headers = Map::new();
    for (name, description, schema) in [
        (
            "RequestId",
            "The request's id: the caller's `x-request-id` if it was sane, else a new UUID v7; problems and the access log carry it too.",
            text,
        ),
        (
            "Traceparent",
            "The W3C trace context of the request: the caller's, continued, or a new one.",
            traceparent,
        ),
        (
            "Allow",
            "The methods the path takes.",
            json!({ "type": "string" }),
        ),
        (
            "RetryAfter",
            "Seconds until the rate limit's window resets.",
            integer.clone(),
        ),
        (
            "RateLimitLimit",
            "Requests allowed in the route's window.",
            integer.clone(),
        ),
        (
            "RateLimitRemaining",
            "Requests left in the current window.",
            integer.clone(),
        ),
        (
            "RateLimitReset",
            "Seconds until the current window ends.",
            integer,
        ),
    ] {
        for required in [true, false] {
            let key = format!("{name}{}", if required { "" } else { "Optional" });
            let value =
                json!({ "description": description, "required": required, "schema": schema });
            headers.insert(key, value);
        }
    }
    headers
}
