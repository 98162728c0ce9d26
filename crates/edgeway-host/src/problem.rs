//! Responses the host writes itself: RFC 9457 problem documents and Spin's
//! health answer.

use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// The media type of RFC 9457 problem documents.
const PROBLEM_JSON: &str = "application/problem+json";

/// Builds a response with a fixed body.
fn fixed(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Vec<u8>,
) -> Response<HyperOutgoingBody> {
    let body = Full::new(Bytes::from(body))
        .map_err(Into::into)
        .boxed_unsync();
    let mut response = Response::new(body);
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A problem document for an error the host produced (not the component).
///
/// `type` is `about:blank`, so `title` is the status's reason phrase as
/// RFC 9457 §4.2.1 asks; `detail` says what happened, and `request_id`
/// (when the request reached the component) matches the host's stderr log.
pub(crate) fn problem(
    status: StatusCode,
    detail: &str,
    request_id: Option<&str>,
) -> Response<HyperOutgoingBody> {
    let mut document = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(id) = request_id {
        document["request_id"] = id.into();
    }
    fixed(
        status,
        Some(PROBLEM_JSON),
        document.to_string().into_bytes(),
    )
}

/// Spin's answer to `/.well-known/spin/health`: `200` with the body `OK` and,
/// as in Spin, no content type.
pub(crate) fn health() -> Response<HyperOutgoingBody> {
    fixed(StatusCode::OK, None, b"OK".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response<HyperOutgoingBody>) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn problem_has_rfc9457_fields() {
        let response = problem(StatusCode::GATEWAY_TIMEOUT, "too slow", Some("ab12"));
        assert_eq!(response.status(), 504);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = body_of(response).await;
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["title"], "Gateway Timeout");
        assert_eq!(body["status"], 504);
        assert_eq!(body["detail"], "too slow");
        assert_eq!(body["request_id"], "ab12");
    }
}
