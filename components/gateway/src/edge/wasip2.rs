//! WASI 0.2: `wasi:http/incoming-handler`, a fresh instance for every request.
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;
use wasi::io::streams::StreamError;

use super::BodyError;
use crate::request::Head;

/// How much one read asks for.
const READ_SIZE: u64 = 64 * 1024;

/// The request's body, not read yet.
pub struct Incoming(IncomingRequest);

impl Incoming {
    /// Reads the whole body, stopping as soon as the bytes read pass `limit`, so an oversized
    /// body is never held in memory; `declared` is its `content-length`.
    ///
    /// Blocking reads, because the instance serves this one request and has nothing else to
    /// run meanwhile: an empty body takes one read instead of a read, a pollable and a round
    /// through the executor (measured ×1.05 requests/s on a GET, docs/benchmarks.md).
    pub async fn read(self, declared: Option<u64>, limit: u64) -> Result<Vec<u8>, BodyError> {
        let incoming_body = self.0.consume().map_err(|()| BodyError::Stream)?;
        let stream = incoming_body.stream().map_err(|()| BodyError::Stream)?;
        let mut body = Vec::with_capacity(declared.unwrap_or(0) as usize);
        // `stream` is declared after `incoming_body`, so it is dropped first, as WASI requires.
        loop {
            match stream.blocking_read(READ_SIZE) {
                Ok(chunk) => {
                    if (body.len() + chunk.len()) as u64 > limit {
                        return Err(BodyError::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(StreamError::Closed) => return Ok(body),
                Err(StreamError::LastOperationFailed(_)) => return Err(BodyError::Stream),
            }
        }
    }
}

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let headers = incoming
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect();
    let head = Head::new(
        incoming.method().to_string(),
        incoming.path_with_query().unwrap_or_else(|| "/".into()),
        headers,
    );
    let reply = crate::respond(head, Incoming(incoming)).await;
    let headers = Fields::from_list(&reply.headers)
        .expect("replies carry only headers the gateway checked or wrote");
    let response = OutgoingResponse::new(headers);
    response
        .set_status_code(reply.status)
        .expect("replies carry only statuses the gateway checked or wrote");
    // The client may have gone away; there is nobody left to tell.
    let _ = out.set_with_body(response, reply.body).await;
}
