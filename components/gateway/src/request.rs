//! Reading the incoming request: its head, parameters and body.
use std::borrow::Cow;

use edgeway_policy::request_id::{self, Traceparent};

use crate::app::Request;
use crate::app::edgeway::gateway::handler::{Caller, Context};
use crate::edge::{BodyError, Incoming};
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
    /// The head of a request for `target` (path and query), with `headers` in the order
    /// they came, names in lowercase.
    pub fn new(method: String, target: String, headers: Vec<(String, String)>) -> Head {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), query.to_owned()),
            None => (target, String::new()),
        };
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

/// Reads the whole body, refusing at once a declared length over `limit` and stopping as
/// soon as the bytes read pass it, so an oversized body is never held in memory.
pub async fn read_body(head: &Head, incoming: Incoming, limit: u64) -> Result<Vec<u8>, BodyError> {
    let declared = head
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let body = incoming.read(declared, limit).await?;
    if declared.is_some_and(|length| length != body.len() as u64) {
        return Err(BodyError::Stream);
    }
    Ok(body)
}
