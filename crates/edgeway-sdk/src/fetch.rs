//! Outbound HTTP from a handler: a blocking client over `wasi:http/outgoing-handler`, as
//! Spin provides it.
//!
//! A handler may call only the hosts its entry in spin.toml grants it
//! (`allowed_outbound_hosts = ["https://api.example.com"]`); any other is refused with
//! [`FetchError::Denied`]. Every request has a deadline ([`DEFAULT_TIMEOUT`] unless
//! [`FetchRequest::timeout`] says otherwise) covering the connection, the answer and its body.
//! A [`FetchError`] converts into a [`Problem`] the gateway answers with: `504` for a
//! timeout, `502` for an upstream that cannot be reached, `500` for a denied host.
//!
//! ```no_run
//! use edgeway_sdk::{Handler, Problem, Request, Response, fetch};
//!
//! struct Weather;
//!
//! impl Handler for Weather {
//!     fn handle(_request: Request) -> Result<Response, Problem> {
//!         let answer = fetch::get("https://api.example.com/today")
//!             .header("accept", "application/json")
//!             .timeout(std::time::Duration::from_secs(2))
//!             .send()?;
//!         Ok(Response {
//!             status: answer.status,
//!             headers: vec![("content-type".into(), "application/json".into())],
//!             body: answer.body,
//!         })
//!     }
//! }
//!
//! edgeway_sdk::export!(Weather);
//! ```
//!
//! Why a client of our own rather than `wstd` or spin-sdk's: a handler is a plain
//! synchronous function, and both of those are async clients that need an executor around
//! every call; spin-sdk 5.2 also brings Spin's own interfaces. This one is a few blocking
//! calls over the same `wasi:http` interfaces, at the version every edgeway language uses.
use std::time::Duration;

use crate::Problem;
use crate::wasi_http::wasi::clocks::monotonic_clock;
use crate::wasi_http::wasi::http::outgoing_handler;
use crate::wasi_http::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use crate::wasi_http::wasi::io::poll::{Pollable, poll};
use crate::wasi_http::wasi::io::streams::{OutputStream, StreamError};

/// The deadline of a request that sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A request being built; [`FetchRequest::send`] sends it.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Duration,
}

/// A `GET` of `url`.
pub fn get(url: impl Into<String>) -> FetchRequest {
    request("GET", url)
}

/// A `POST` of `body` to `url`.
pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> FetchRequest {
    request("POST", url).body(body)
}

/// A request with any method.
pub fn request(method: &str, url: impl Into<String>) -> FetchRequest {
    FetchRequest {
        method: method.to_ascii_uppercase(),
        url: url.into(),
        headers: Vec::new(),
        body: Vec::new(),
        timeout: DEFAULT_TIMEOUT,
    }
}

/// An upstream's answer, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// The status code.
    pub status: u16,
    /// The headers, lowercase names, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl FetchResponse {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON, or a `502` problem saying the upstream's answer was not.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_slice(&self.body)
            .map_err(|error| Problem::new(502, "Upstream answered invalid JSON", error.to_string()))
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not `http(s)://host[:port][/path]`.
    InvalidUrl(String),
    /// The host is not among the handler's `allowed_outbound_hosts`.
    Denied(String),
    /// The deadline passed first.
    Timeout(String),
    /// The host could not be reached (refused, unknown, reset).
    Unreachable(String, String),
    /// Anything else the host reported.
    Failed(String, String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::InvalidUrl(url) => write!(f, "`{url}` is not an http or https URL"),
            FetchError::Denied(url) => write!(
                f,
                "{url} is not among this handler's allowed_outbound_hosts"
            ),
            FetchError::Timeout(url) => write!(f, "{url} did not answer in time"),
            FetchError::Unreachable(url, why) => write!(f, "{url} cannot be reached: {why}"),
            FetchError::Failed(url, why) => write!(f, "the request to {url} failed: {why}"),
        }
    }
}

impl std::error::Error for FetchError {}

impl From<FetchError> for Problem {
    fn from(error: FetchError) -> Problem {
        let (status, title) = match error {
            FetchError::Timeout(_) => (504, "Upstream timed out"),
            FetchError::Denied(_) | FetchError::InvalidUrl(_) => (500, "Outbound request refused"),
            FetchError::Unreachable(..) | FetchError::Failed(..) => (502, "Upstream unreachable"),
        };
        Problem::new(status, title, error.to_string())
    }
}

impl FetchRequest {
    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets the deadline for the whole exchange (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the request and reads the whole answer, blocking until it is in or the
    /// deadline passes.
    pub fn send(self) -> Result<FetchResponse, FetchError> {
        let url = self.url.clone();
        let fail = |code: ErrorCode| error(&url, code);
        let (scheme, authority, path) =
            split_url(&self.url).ok_or_else(|| FetchError::InvalidUrl(url.clone()))?;
        let deadline = monotonic_clock::subscribe_duration(nanos(self.timeout));
        let wait = |pollable: &Pollable| -> Result<(), FetchError> {
            match poll(&[pollable, &deadline]).contains(&0) {
                true => Ok(()),
                false => Err(FetchError::Timeout(url.clone())),
            }
        };

        let fields: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone().into_bytes()))
            .collect();
        let headers = Fields::from_list(&fields)
            .map_err(|e| FetchError::Failed(url.clone(), format!("invalid header: {e:?}")))?;
        let outgoing = OutgoingRequest::new(headers);
        let invalid = |_| FetchError::InvalidUrl(url.clone());
        outgoing
            .set_method(&method(&self.method))
            .map_err(invalid)?;
        outgoing.set_scheme(Some(&scheme)).map_err(invalid)?;
        outgoing.set_authority(Some(authority)).map_err(invalid)?;
        outgoing.set_path_with_query(Some(path)).map_err(invalid)?;
        let options = RequestOptions::new();
        for set in [
            RequestOptions::set_connect_timeout,
            RequestOptions::set_first_byte_timeout,
            RequestOptions::set_between_bytes_timeout,
        ] {
            // A host that cannot time out on its own still has our deadline.
            let _ = set(&options, Some(nanos(self.timeout)));
        }
        let body = outgoing.body().expect("a new request's body is taken once");
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(fail)?;
        write_body(&body, &self.body, &wait, &url)?;
        OutgoingBody::finish(body, None).map_err(fail)?;

        let response = loop {
            if let Some(result) = future.get() {
                break result.expect("the response is taken once").map_err(fail)?;
            }
            wait(&future.subscribe())?;
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect();
        let incoming = response.consume().expect("the body is taken once");
        let body = read_body(&incoming, &wait, &url)?;
        drop(incoming);
        Ok(FetchResponse {
            status,
            headers,
            body,
        })
    }
}

fn write_body(
    body: &OutgoingBody,
    bytes: &[u8],
    wait: &dyn Fn(&Pollable) -> Result<(), FetchError>,
    url: &str,
) -> Result<(), FetchError> {
    let stream = body.write().expect("a body's stream is taken once");
    match write_all(&stream, bytes, wait)? {
        // The host closes the body's stream once the upstream stops reading it, which an
        // upstream may do after it has answered: the response says what happened.
        Ok(()) | Err(StreamError::Closed) => Ok(()),
        Err(StreamError::LastOperationFailed(e)) => {
            Err(FetchError::Failed(url.to_owned(), e.to_debug_string()))
        }
    }
}

/// Writes `bytes` to `stream` and flushes them: the outer error is waiting's (the
/// deadline), the inner one the stream's.
fn write_all(
    stream: &OutputStream,
    bytes: &[u8],
    wait: &dyn Fn(&Pollable) -> Result<(), FetchError>,
) -> Result<Result<(), StreamError>, FetchError> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let room = loop {
            match stream.check_write() {
                Ok(0) => wait(&stream.subscribe())?,
                Ok(room) => break room,
                Err(e) => return Ok(Err(e)),
            }
        };
        let (now, later) = rest.split_at(rest.len().min(room as usize));
        if let Err(e) = stream.write(now) {
            return Ok(Err(e));
        }
        rest = later;
    }
    if let Err(e) = stream.flush() {
        return Ok(Err(e));
    }
    wait(&stream.subscribe())?;
    Ok(Ok(()))
}

fn read_body(
    body: &IncomingBody,
    wait: &dyn Fn(&Pollable) -> Result<(), FetchError>,
    url: &str,
) -> Result<Vec<u8>, FetchError> {
    let stream = body.stream().expect("a body's stream is taken once");
    let mut read = Vec::new();
    loop {
        match stream.read(64 * 1024) {
            Ok(chunk) if chunk.is_empty() => wait(&stream.subscribe())?,
            Ok(chunk) => read.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(read),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(FetchError::Failed(url.to_owned(), e.to_debug_string()));
            }
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    }
}

/// `(scheme, authority, path with query)` of an absolute http(s) URL.
fn split_url(url: &str) -> Option<(Scheme, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        _ => return None,
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let path = if path.is_empty() { "/" } else { path };
    (!authority.is_empty()).then_some((scheme, authority, path))
}

fn error(url: &str, code: ErrorCode) -> FetchError {
    let url = url.to_owned();
    let why = |text: &str| text.to_owned();
    match code {
        ErrorCode::HttpRequestDenied => FetchError::Denied(url),
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => FetchError::Timeout(url),
        ErrorCode::ConnectionRefused => FetchError::Unreachable(url, why("connection refused")),
        ErrorCode::ConnectionTerminated => FetchError::Unreachable(url, why("connection closed")),
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
            FetchError::Unreachable(url, why("the name does not resolve"))
        }
        ErrorCode::ConnectionLimitReached
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable => {
            FetchError::Unreachable(url, why("the destination is unavailable"))
        }
        other => {
            let text = format!("{other:?}");
            FetchError::Failed(url, text.trim_start_matches("ErrorCode::").to_owned())
        }
    }
}
