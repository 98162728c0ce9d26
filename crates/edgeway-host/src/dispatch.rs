//! One HTTP request, from hyper to the component and back, as Spin's HTTP
//! trigger handles it: reserved paths first, then the trigger route, then
//! Spin's headers, then the component. Failures become problem documents.

use std::net::SocketAddr;
use std::sync::Arc;

use http::uri::Authority;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes};
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinHandle};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::{Current, HttpRunner};
use crate::body::GuardedBody;
use crate::guest_output::RequestId;
use crate::instance::{Outcome, Runner};
use crate::problem::{health, problem};
use crate::response_check::{Answer, ResponseCheck};
use crate::service::ServiceRunner;
use crate::spin_headers;

/// Paths under this prefix are answered by Spin itself, never by a component.
const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

/// Routes requests to the app's components.
pub(crate) struct Dispatcher {
    /// The app served, read once per request (a reload swaps it).
    pub(crate) app: Current,
}

impl Dispatcher {
    /// Answers one request (from a connection, or sent by the host itself on a schedule).
    /// Never fails: every error is a response.
    pub(crate) async fn handle<B>(
        &self,
        mut request: Request<B>,
        client_addr: SocketAddr,
    ) -> Response<HyperOutgoingBody>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        // RFC 9112 section 3.2: a request with more than one `Host` must get a 400 (Spin
        // takes the first, so a proxy in front and the app could read different hosts).
        let hosts = request.headers().get_all(header::HOST).iter().count();
        if hosts > 1 {
            let detail = format!("the request has {hosts} `Host` headers; send exactly one");
            return problem(StatusCode::BAD_REQUEST, &detail, None);
        }
        let path = request.uri().path().to_owned();
        if let Some(reserved) = path.strip_prefix(WELL_KNOWN_PREFIX) {
            return match reserved {
                "health" => health(),
                _ => problem(
                    StatusCode::NOT_FOUND,
                    &format!("{path} is reserved by Spin"),
                    None,
                ),
            };
        }
        let app = self.app.get();
        let Some((route_match, component)) = app.routes.matches(&path) else {
            let detail = format!(
                "no route matches {path}: the trigger routes are {}",
                app.routes.describe()
            );
            return problem(StatusCode::NOT_FOUND, &detail, None);
        };
        let runner = app.runners[component].clone();

        // Spin takes the authority from the `Host` header and refuses a
        // request without a valid one; wasi:http needs it too.
        let host_header = request.headers().get(header::HOST).map(|h| h.to_str());
        let (host, authority) =
            match host_header.map(|host| host.map(|h| (h, h.parse::<Authority>()))) {
                Some(Ok((host, Ok(authority)))) => (host.to_owned(), authority),
                _ => {
                    let detail = "the request needs a valid `Host` header";
                    return problem(StatusCode::BAD_REQUEST, detail, None);
                }
            };
        let target = request
            .uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |pq| pq.as_str().to_owned());
        let headers = spin_headers::compute(&route_match, &target, &host, client_addr);
        if let Err(e) = spin_headers::apply(request.headers_mut(), headers) {
            return problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string(), None);
        }

        let method = request.method().as_str().to_owned();
        let response = match runner {
            HttpRunner::Incoming(runner) => call_component(runner, request).await,
            HttpRunner::Service(runner) => call_service(&runner, authority, request).await,
        };
        match &app.responses {
            Some(check) => checked(check, &method, &path, response).await,
            None => response,
        }
    }
}

/// Reads the answer whole, logs on stderr whatever the document says is wrong with it (with
/// the request id and a JSON pointer), and passes it on unchanged.
async fn checked(
    check: &ResponseCheck,
    method: &str,
    path: &str,
    response: Response<HyperOutgoingBody>,
) -> Response<HyperOutgoingBody> {
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            eprintln!("response check: {method} {path}: the body could not be read: {error}");
            Bytes::new()
        }
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let answer = Answer {
        method,
        path,
        status: parts.status.as_u16(),
        content_type: header("content-type"),
        body: &body,
    };
    let request_id = header("x-request-id").unwrap_or("-");
    for (pointer, message) in check.violations(&answer) {
        eprintln!(
            "[{request_id}] response check: {method} {path} answered {} against the OpenAPI document: at \"{pointer}\": {message}",
            answer.status
        );
    }
    let body = http_body_util::Full::new(body)
        .map_err(|never| match never {})
        .boxed_unsync();
    Response::from_parts(parts, body)
}

/// Runs the component on a task of its own (it may keep streaming the
/// body after answering) and turns what happens into a response.
async fn call_component<B>(runner: Arc<Runner>, request: Request<B>) -> Response<HyperOutgoingBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let id = RequestId::next();
    let (outparam, mut response) = oneshot::channel();
    let timeout = runner.timeout();
    let task_id = id.clone();
    let mut task = tokio::spawn(async move { runner.run(task_id, request, outparam).await });

    // Whichever comes first: the component's response, or the end of its
    // run (trap, timeout, or returning without answering).
    let outcome = tokio::select! {
        biased;
        answer = &mut response => match answer {
            Ok(answer) => {
                let abort = watch(id.clone(), task);
                return respond(&id, answer, Some(abort));
            }
            Err(_) => task.await,
        },
        outcome = &mut task => match response.try_recv() {
            // It answered, then its run ended before we looked.
            Ok(answer) => {
                if let Ok(outcome @ (Outcome::Trapped(_) | Outcome::TimedOut)) = &outcome {
                    log_failure(&id, outcome, " after the response started");
                }
                return respond(&id, answer, None);
            }
            Err(_) => outcome,
        },
    };
    let outcome =
        outcome.unwrap_or_else(|e| Outcome::NotStarted(wasmtime::Error::msg(e.to_string())));
    failed(&id, outcome, timeout)
}

/// Passes the request to a `wasi:http@0.3` component and turns what happens into a response.
async fn call_service<B>(
    runner: &ServiceRunner,
    authority: Authority,
    request: Request<B>,
) -> Response<HyperOutgoingBody>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let id = RequestId::next();
    match runner.handle(&id, authority, request).await {
        Ok(response) => response,
        Err(outcome) => failed(&id, outcome, runner.timeout()),
    }
}

/// The component's run ended without a response.
fn failed(
    id: &RequestId,
    outcome: Outcome,
    timeout: std::time::Duration,
) -> Response<HyperOutgoingBody> {
    log_failure(id, &outcome, "");
    let (status, detail) = match &outcome {
        Outcome::TimedOut => (
            StatusCode::GATEWAY_TIMEOUT,
            format!("the component did not respond within {timeout:?} and was stopped"),
        ),
        Outcome::Trapped(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the component failed before responding: {}", cause(e)),
        ),
        Outcome::NotStarted(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the component could not be started: {}", cause(e)),
        ),
        Outcome::Returned => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the component returned without setting a response".to_owned(),
        ),
        Outcome::InstanceFailed(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the component failed before responding: {}", cause(e)),
        ),
        Outcome::ErrorCode(code) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the component answered with the error code {code}"),
        ),
        Outcome::NoRoom => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the instance pool stayed full for {timeout:?}: send fewer requests at once, \
                 or raise --max-instances"
            ),
        ),
    };
    let mut response = problem(status, &detail, Some(id.as_str()));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}

/// The innermost message of an error, e.g. "wasm trap: wasm `unreachable`
/// instruction executed": what a client can read; the log has the rest.
fn cause(error: &wasmtime::Error) -> String {
    error.root_cause().to_string()
}

/// Logs how a run failed on stderr, with the error's causes and the guest's
/// Wasm backtrace (not the host's Rust backtrace, which says nothing about
/// the component).
fn log_failure(id: &RequestId, outcome: &Outcome, when: &str) {
    match outcome {
        Outcome::Returned => eprintln!("{id} the component returned without setting a response"),
        Outcome::TimedOut => eprintln!("{id} the component timed out{when} and was stopped"),
        Outcome::Trapped(e) => eprintln!("{id} the component trapped{when}: {e:#}"),
        Outcome::NotStarted(e) => eprintln!("{id} the component could not be started: {e:#}"),
        Outcome::NoRoom => eprintln!("{id} the instance pool stayed full until the deadline"),
        Outcome::InstanceFailed(e) => {
            eprintln!("{id} the instance serving it failed{when}: {e:#}");
        }
        Outcome::ErrorCode(code) => {
            eprintln!("{id} the component answered with the error code {code}");
        }
    }
}

/// Keeps watching a run whose response has started, to log a later trap or
/// timeout; returns the handle that aborts it.
fn watch(id: RequestId, task: JoinHandle<Outcome>) -> AbortHandle {
    let abort = task.abort_handle();
    tokio::spawn(async move {
        match task.await {
            Ok(Outcome::Returned) => {}
            Ok(outcome) => log_failure(&id, &outcome, " after the response started"),
            // Aborted because the client went away: nothing to report.
            Err(e) if e.is_cancelled() => {}
            Err(e) => eprintln!("{id} host task failed: {e}"),
        }
    });
    abort
}

/// Passes the component's answer on. A response whose run is still going is
/// guarded by `abort`; an error code becomes a `500` (Spin: "guest failed to
/// produce a response").
fn respond(
    id: &RequestId,
    answer: Result<Response<HyperOutgoingBody>, ErrorCode>,
    abort: Option<AbortHandle>,
) -> Response<HyperOutgoingBody> {
    match (answer, abort) {
        (Ok(response), Some(abort)) => {
            response.map(|body| GuardedBody::new(body, abort).boxed_unsync())
        }
        (Ok(response), None) => response,
        (Err(code), _) => {
            let detail = format!("the component answered with the error code {code:?}");
            eprintln!("{id} {detail}");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                &detail,
                Some(id.as_str()),
            )
        }
    }
}
