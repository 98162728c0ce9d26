//! The benchmarks' WASI 0.3 baseline: `hello-http`'s answer from a plain
//! `wasi:http/handler@0.3.0` component (no gateway, no handler contract), built like the
//! gateway's WASI 0.3 build.
use spin_sdk::http::{HeaderMap, HeaderName, HeaderValue, IntoResponse, Request, StatusCode};
use spin_sdk::http_service;

const BODY: &str = r#"{"message":"Hello, world!"}"#;

#[http_service]
async fn handle(_request: Request) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    );
    (StatusCode::OK, headers, BODY.to_owned())
}
