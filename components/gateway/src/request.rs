//! Reading the incoming request: its head, parameters and body.
use std::borrow::Cow;

use futures::StreamExt;
use spin_sdk::http::IncomingRequest;

use crate::app::Request;
use crate::app::edgeway::gateway::handler::Context;

/// What the gateway needs from the request before routing.
pub struct Head {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub request_id: String,
    pub client_addr: String,
}

impl Head {
    pub fn read(incoming: &IncomingRequest) -> Head {
        let method = incoming.method().to_string();
        let target = incoming.path_with_query().unwrap_or_else(|| "/".into());
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), query.to_owned()),
            None => (target, String::new()),
        };
        let headers: Vec<(String, String)> = incoming
            .headers()
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let request_id = header("x-request-id")
            .filter(|id| is_sane_request_id(id))
            .map_or_else(new_request_id, str::to_owned);
        let client_addr = header("spin-client-addr").unwrap_or_default().to_owned();
        Head {
            method,
            path,
            query,
            headers,
            request_id,
            client_addr,
        }
    }

    pub fn to_handler_request(
        &self,
        route: &str,
        params: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Request {
        Request {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            params,
            body,
            context: Context {
                request_id: self.request_id.clone(),
                route: route.to_owned(),
                client_addr: self.client_addr.clone(),
            },
        }
    }
}

/// A caller's id is kept when it could not break a log line or a header: 1 to 128 of
/// `A-Z a-z 0-9 - _ . :`.
fn is_sane_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 128 random bits as 32 hex digits.
fn new_request_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the id only has to be unique enough to read logs; fall back to zeros
    // rather than fail the request.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-decodes route parameters; `None` if one is not valid UTF-8 once decoded.
pub fn decode_params(raw: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
    raw.iter()
        .map(|(name, value)| {
            edgeway_router::percent_decode(value)
                .map(|v: Cow<'_, str>| ((*name).to_owned(), v.into_owned()))
        })
        .collect()
}

/// Why the body could not be read.
pub enum BodyError {
    TooLarge,
    Stream,
}

/// Reads the whole body, stopping as soon as it passes `limit`.
pub async fn read_body(incoming: IncomingRequest, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut stream = incoming.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| BodyError::Stream)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
