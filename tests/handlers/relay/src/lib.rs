//! `relay` (test-only): `GET ...?url=U&timeout_ms=T` fetches `U` with edgeway-sdk's client
//! (deadline `T`, default the client's) and answers with the upstream's status, body and
//! `content-type`, plus `x-relayed-by: rust`. A failed call is the problem the SDK makes of
//! it (`502`, `504`, `500` for a denied host). The test app declares it twice, with
//! different hosts, to show a handler reaching only its own.
use std::time::Duration;

use edgeway_sdk::{Handler, Problem, Request, Response, fetch};

struct Relay;

/// The query parameter `name`, as written (tests pass plain values).
fn query<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

impl Handler for Relay {
    fn handle(request: Request) -> Result<Response, Problem> {
        let url = query(&request, "url")
            .ok_or_else(|| Problem::new(400, "No URL", "give the URL to call as ?url="))?;
        let mut call = fetch::get(url).header("x-request-id", &request.context.request_id);
        if let Some(ms) = query(&request, "timeout_ms").and_then(|ms| ms.parse().ok()) {
            call = call.timeout(Duration::from_millis(ms));
        }
        let answer = call.send()?;
        let mut headers = vec![("x-relayed-by".to_owned(), "rust".to_owned())];
        if let Some(kind) = answer.header("content-type") {
            headers.push(("content-type".to_owned(), kind.to_owned()));
        }
        Ok(Response {
            status: answer.status,
            headers,
            body: answer.body,
        })
    }
}

edgeway_sdk::export!(Relay);
