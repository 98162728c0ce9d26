//! The benchmarks' baseline: answers every request with the same JSON greeting the `greet`
//! handler gives for `GET /hello`, as a plain `wasi:http` component (no gateway, no handler
//! contract), built like the gateway.
use futures::SinkExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

const BODY: &[u8] = br#"{"message":"Hello, world!"}"#;

#[http_component]
async fn handle(_request: IncomingRequest, out: ResponseOutparam) {
    let headers = Fields::from_list(&[("content-type".to_owned(), b"application/json".to_vec())])
        .expect("a valid header");
    let response = OutgoingResponse::new(headers);
    let mut body = response.take_body();
    out.set(response);
    // A failed write means the client went away: nothing left to answer.
    let _ = body.send(BODY.to_vec()).await;
}
