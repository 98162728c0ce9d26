//! Reading the incoming request: its head, parameters and body.
use std::borrow::Cow;

use edgeway_policy::request_id::{self, Traceparent};
use spin_sdk::http::IncomingRequest;
use wasi::io::streams::StreamError;

use crate::app::Request;
use crate::app::edgeway::gateway::handler::{Caller, Context};
use crate::platform;

/// What the gateway needs from the request before routing.
pub struct Head {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub request_id: String,
    /// The gateway's span as a `traceparent` value: a child of the caller's, or a new trace.
    /// Written once here, since the response and the handler's context both carry it.
    pub traceparent: String,
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
        let header = |name| find_header(&headers, name);
        let request_id = match request_id::accept(header("x-request-id")) {
            Some(id) => id.to_owned(),
            None => request_id::generate(platform::now().as_millis() as u64, platform::random()),
        };
        let traceparent = match header("traceparent").and_then(Traceparent::parse) {
            Some(parent) => parent.child(platform::random()),
            None => Traceparent::start(platform::random(), platform::random()),
        }
        .to_string();
        let client_addr = header("spin-client-addr").unwrap_or_default().to_owned();
        Head {
            method,
            path,
            query,
            headers,
            request_id,
            traceparent,
            client_addr,
        }
    }

    /// The first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    pub fn to_handler_request(
        &self,
        route: &str,
        params: Vec<(String, String)>,
        body: Vec<u8>,
        caller: Option<Caller>,
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
                caller,
                traceparent: self.traceparent.clone(),
            },
        }
    }
}

fn find_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
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

/// How much one read asks for.
const READ_SIZE: u64 = 64 * 1024;

/// Why the body could not be read.
pub enum BodyError {
    TooLarge,
    Stream,
}

/// Reads the whole body, refusing at once a declared length over `limit` and stopping as
/// soon as the bytes read pass it, so an oversized body is never held in memory.
///
/// Blocking reads, because the instance serves this one request and has nothing else to
/// run meanwhile: an empty body takes one read instead of a read, a pollable and a round
/// through the executor (measured ×1.05 requests/s on a GET, docs/benchmarks.md).
pub fn read_body(head: &Head, incoming: IncomingRequest, limit: u64) -> Result<Vec<u8>, BodyError> {
    let declared = head
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let incoming_body = incoming.consume().map_err(|()| BodyError::Stream)?;
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
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => return Err(BodyError::Stream),
        }
    }
    if declared.is_some_and(|length| length != body.len() as u64) {
        return Err(BodyError::Stream);
    }
    Ok(body)
}
