//! WASI 0.3: `wasi:http/handler@0.3.0`, whose instance the host may reuse for many requests,
//! one after another and at once.
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use spin_sdk::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use spin_sdk::http_service;

use super::BodyError;
use crate::request::Head;

/// The request's body, not read yet.
pub struct Incoming(spin_sdk::wasip3::http_compat::IncomingRequestBody);

impl Incoming {
    /// Reads the whole body, stopping as soon as the bytes read pass `limit`, so an oversized
    /// body is never held in memory; `declared` is its `content-length`. Reads wait without
    /// blocking, so the instance's other requests go on meanwhile.
    pub async fn read(mut self, declared: Option<u64>, limit: u64) -> Result<Vec<u8>, BodyError> {
        let mut body = Vec::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(frame) = self.0.frame().await {
            let frame = frame.map_err(|_| BodyError::Stream)?;
            if let Ok(chunk) = frame.into_data() {
                if (body.len() + chunk.len()) as u64 > limit {
                    return Err(BodyError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
        }
        Ok(body)
    }
}

#[http_service]
async fn handle(request: Request) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
    let head = Head::new(parts.method.as_str().to_owned(), target, headers);
    let reply = crate::respond(head, Incoming(body)).await;
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status)
        .expect("replies carry only statuses the gateway checked or wrote");
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        let checked = "replies carry only headers the gateway checked or wrote";
        let name = HeaderName::from_bytes(name.as_bytes()).expect(checked);
        headers.append(name, HeaderValue::from_bytes(&value).expect(checked));
    }
    response
}
