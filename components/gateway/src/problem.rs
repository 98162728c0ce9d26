//! Every answer the gateway writes itself: RFC 9457 problem responses, and handler responses
//! checked before they reach the wire.
use edgeway_router::Methods;
use serde_json::json;

use crate::app::{Problem, Response};
use crate::request::{BodyError, Head};

/// A response ready to send.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

/// A problem response. `kind` names the problem type (`urn:edgeway:problem:<kind>`) so
/// clients can tell problems apart without parsing the text.
fn problem(head: &Head, status: u16, kind: &str, title: &str, detail: &str) -> Reply {
    let body = json!({
        "type": format!("urn:edgeway:problem:{kind}"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": head.path,
        "request_id": head.request_id,
    });
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
        "{} is not allowed on {}; allowed: {allowed}",
        head.method, head.path
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
        .push(("allow".into(), allowed.to_string().into_bytes()));
    reply
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
    let mut headers = Vec::with_capacity(response.headers.len() + 1);
    for (name, value) in response.headers {
        if !is_token(&name) {
            return Err(invalid(format!(
                "header name {name:?} is not a valid token"
            )));
        }
        if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\0')) {
            return Err(invalid(format!(
                "header {name} has a line break or NUL in its value"
            )));
        }
        // The gateway frames the body itself.
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
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
