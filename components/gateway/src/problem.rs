//! Every answer the gateway writes itself: RFC 9457 problem responses, and handler responses
//! checked before they reach the wire.
use edgeway_router::Methods;
use serde_json::json;

use crate::app::{Problem, Response};
use crate::edge::BodyError;
use crate::request::Head;

/// A response ready to send.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// A problem response. `kind` names the problem type (`urn:edgeway:problem:<kind>`) so
/// clients can tell problems apart without parsing the text.
fn problem(head: &Head, status: u16, kind: &str, title: &str, detail: &str) -> Reply {
    problem_with(head, status, kind, title, detail, [])
}

/// A problem response with extension members beside the standard ones.
fn problem_with<const N: usize>(
    head: &Head,
    status: u16,
    kind: &str,
    title: &str,
    detail: &str,
    members: [(&str, serde_json::Value); N],
) -> Reply {
    let mut body = json!({
        "type": format!("urn:edgeway:problem:{kind}"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": head.path,
        "request_id": head.request_id,
    });
    for (name, value) in members {
        body[name] = value;
    }
    Reply {
        status,
        headers: vec![("content-type".into(), b"application/problem+json".to_vec())],
        body: body.to_string().into_bytes(),
    }
}

pub fn not_found(head: &Head) -> Reply {
    let detail = format!("no route matches the path {}", head.path);
    problem(head, 404, "route-not-found", "Not Found", &detail)
}

pub fn method_not_allowed(head: &Head, allowed: Methods) -> Reply {
    let detail = format!(
        "{} is not allowed on {}; allowed: {}",
        head.method,
        head.path,
        allowed.allow_header()
    );
    let mut reply = problem(
        head,
        405,
        "method-not-allowed",
        "Method Not Allowed",
        &detail,
    );
    reply
        .headers
        .push(("allow".into(), allowed.allow_header().into_bytes()));
    reply
}

/// The path was refused before routing (docs/manifest.md, "Path normalisation").
pub fn invalid_path(head: &Head, error: edgeway_router::PathError) -> Reply {
    let detail = format!("the path cannot be routed: {error}");
    problem(head, 400, "invalid-path", "Bad Request", &detail)
}

pub fn bad_path(head: &Head) -> Reply {
    let detail = "a path parameter is not valid percent-encoded UTF-8";
    problem(head, 400, "invalid-path", "Bad Request", detail)
}

pub fn body_error(head: &Head, error: BodyError, limit: u64) -> Reply {
    match error {
        BodyError::TooLarge => {
            let detail = format!("the request body is larger than the limit of {limit} bytes");
            problem(head, 413, "body-too-large", "Content Too Large", &detail)
        }
        BodyError::Stream => {
            let detail = "the request body could not be read to its end, or its length differs from Content-Length";
            problem(head, 400, "invalid-body", "Bad Request", detail)
        }
    }
}

pub fn cors_denied(head: &Head, reason: &str) -> Reply {
    let detail = format!("cross-origin request refused: {reason}");
    problem(head, 403, "cors-denied", "Forbidden", &detail)
}

#[cfg_attr(not(feature = "secrets"), allow(dead_code))]
pub fn unauthorized(head: &Head, detail: &str, challenge: &str) -> Reply {
    challenged(
        problem(head, 401, "unauthorized", "Unauthorized", detail),
        challenge,
    )
}

#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub fn forbidden(head: &Head, detail: &str, challenge: &str) -> Reply {
    challenged(
        problem(head, 403, "forbidden", "Forbidden", detail),
        challenge,
    )
}

/// Adds the `WWW-Authenticate` challenge that tells the caller how to authenticate.
#[cfg_attr(not(feature = "secrets"), allow(dead_code))]
fn challenged(mut reply: Reply, challenge: &str) -> Reply {
    reply
        .headers
        .push(("www-authenticate".into(), challenge.as_bytes().to_vec()));
    reply
}

/// A webhook topic or a schedule nobody subscribes to.
#[cfg(feature = "events")]
pub fn unknown_event_source(head: &Head, kind: &str, name: &str) -> Reply {
    let detail = format!("no subscription receives events from the {kind} `{name}`");
    problem(head, 404, &format!("unknown-{kind}"), "Not Found", &detail)
}

/// A webhook call that is not a valid CloudEvent.
#[cfg(feature = "events")]
pub fn invalid_event(head: &Head, error: &str) -> Reply {
    let detail = format!("the request is not a valid CloudEvent: {error}");
    problem(head, 400, "invalid-event", "Bad Request", &detail)
}

/// Subscribers failed an event after their last attempt (it is in the dead letters).
#[cfg(feature = "events")]
pub fn delivery_failed(
    head: &Head,
    event_id: &str,
    delivered: &[&str],
    failed: Vec<serde_json::Value>,
) -> Reply {
    let names: Vec<&str> = failed
        .iter()
        .filter_map(|f| f["handler"].as_str())
        .collect();
    let detail = format!(
        "the event was not handled by {}; it was written to the dead letters",
        names.join(", ")
    );
    let members = [
        ("id", event_id.into()),
        ("delivered", delivered.into()),
        ("failed", failed.into()),
    ];
    problem_with(
        head,
        502,
        "delivery-failed",
        "Bad Gateway",
        &detail,
        members,
    )
}

pub fn too_many_requests(head: &Head, retry_after: u64) -> Reply {
    let detail = format!("the rate limit for this route is reached; retry in {retry_after} s");
    problem(head, 429, "rate-limited", "Too Many Requests", &detail)
}

/// The gateway's own configuration is unusable (a variable is missing, say). The caller
/// learns only that; the log says what to fix.
#[cfg_attr(not(feature = "secrets"), allow(dead_code))]
pub fn misconfigured(head: &Head, error: &str) -> Reply {
    eprintln!("[{}] gateway misconfigured: {error}", head.request_id);
    let detail = "the gateway is misconfigured; the operator's log has the details";
    problem(
        head,
        500,
        "gateway-misconfigured",
        "Internal Server Error",
        detail,
    )
}

/// A handler's problem, answered as problem+json with the handler's status (500 if that is
/// not an error status).
pub fn from_handler_problem(head: &Head, handler_problem: Problem) -> Reply {
    let status = if (400..=599).contains(&handler_problem.status) {
        handler_problem.status
    } else {
        500
    };
    problem(
        head,
        status,
        "handler",
        &handler_problem.title,
        &handler_problem.detail,
    )
}

/// The largest response body a handler may return: beyond it the gateway answers 502
/// rather than hold and send it (the handler's memory limit bounds what is built before).
pub const MAX_RESPONSE_BODY: usize = 32 << 20;

/// The most header bytes (names and values) a handler may return; the host refuses a
/// response whose headers pass 128 KiB, and the gateway adds its own.
const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;

/// Headers that describe one connection, not the response (RFC 9110, section 7.6.1): the
/// gateway and its host frame the response themselves, and wasi:http refuses these.
const CONNECTION_HEADERS: [&str; 11] = [
    "connection",
    "content-length",
    "host",
    "http2-settings",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "transfer-encoding",
    "upgrade",
];

/// A handler's response, if HTTP can carry it; otherwise a 502 that says what was wrong.
pub fn from_handler_response(
    head: &Head,
    handler: &str,
    response: Response,
) -> Result<Reply, Reply> {
    let invalid = |what: String| {
        let detail = format!("handler `{handler}` returned an invalid response: {what}");
        problem(
            head,
            502,
            "invalid-handler-response",
            "Bad Gateway",
            &detail,
        )
    };
    if !(100..=599).contains(&response.status) {
        return Err(invalid(format!(
            "status {} is outside 100-599",
            response.status
        )));
    }
    if response.body.len() > MAX_RESPONSE_BODY {
        return Err(invalid(format!(
            "its body of {} bytes is over the limit of {MAX_RESPONSE_BODY} bytes",
            response.body.len()
        )));
    }
    let header_bytes: usize = response
        .headers
        .iter()
        .map(|(n, v)| n.len() + v.len())
        .sum();
    if header_bytes > MAX_RESPONSE_HEADER_BYTES {
        return Err(invalid(format!(
            "its headers take {header_bytes} bytes, over the limit of {MAX_RESPONSE_HEADER_BYTES}"
        )));
    }
    let mut headers = Vec::with_capacity(response.headers.len() + 1);
    for (name, value) in response.headers {
        if !is_token(&name) {
            return Err(invalid(format!(
                "header name {name:?} is not a valid token"
            )));
        }
        if !is_field_value(&value) {
            return Err(invalid(format!(
                "header {name} has a control character (a line break, NUL, ...) in its value"
            )));
        }
        if CONNECTION_HEADERS
            .iter()
            .any(|own| name.eq_ignore_ascii_case(own))
        {
            continue;
        }
        headers.push((name, value.into_bytes()));
    }
    Ok(Reply {
        status: response.status,
        headers,
        body: response.body,
    })
}

/// RFC 9110 `token`: what a header name may be.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// RFC 9110 `field-value`: visible characters, spaces and tabs (and, as UTF-8 text,
/// non-ASCII characters); no control characters.
fn is_field_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || !b.is_ascii_control())
}

/// A request that does not satisfy its route's schemas: a `400` whose `errors` lists each
/// violation (`in`: body or query, `pointer`: a JSON pointer, `message`).
#[cfg(feature = "validation")]
pub fn invalid_request(head: &Head, errors: Vec<serde_json::Value>) -> Reply {
    let detail = format!(
        "the request does not satisfy the route's schema: {} violation{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    let members = [("errors", serde_json::Value::Array(errors))];
    problem_with(
        head,
        400,
        "invalid-request",
        "Bad Request",
        &detail,
        members,
    )
}
