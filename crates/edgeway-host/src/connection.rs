//! One client connection: admitted under [`HostConfig::max_connections`] and served by hyper
//! within [`HostConfig::header_timeout`], or refused with a `503`; and how the host's
//! shutdown reaches it.
//!
//! [`HostConfig::max_connections`]: crate::HostConfig::max_connections
//! [`HostConfig::header_timeout`]: crate::HostConfig::header_timeout

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::dispatch::Dispatcher;
use crate::problem::problem;

/// Refusals under way at once. Past that, a connection beyond the limit is closed at accept:
/// a flood must not cost more than this many tasks on top of the connections served.
const MAX_REFUSALS: usize = 64;

/// How long a refused client has to send its request head and take the `503`.
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// Admits accepted connections and spawns the task that serves or refuses each.
pub(crate) struct Acceptor {
    dispatcher: Arc<Dispatcher>,
    stop: watch::Receiver<bool>,
    http: Arc<http1::Builder>,
    /// One permit per connection served.
    served: Arc<Semaphore>,
    /// One permit per refusal under way.
    refusals: Arc<Semaphore>,
    max_connections: usize,
    /// Whether the last connection was refused: the log says so once per episode.
    refusing: bool,
}

impl Acceptor {
    /// Serves at most `max_connections` at once, each with `header_timeout` to send a
    /// request head; `stop` turns to `true` when the host shuts down.
    pub(crate) fn new(
        dispatcher: Arc<Dispatcher>,
        stop: watch::Receiver<bool>,
        header_timeout: Duration,
        max_connections: usize,
    ) -> Self {
        let mut http = http1::Builder::new();
        http.keep_alive(true)
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        Self {
            dispatcher,
            stop,
            http: Arc::new(http),
            served: Arc::new(Semaphore::new(max_connections)),
            refusals: Arc::new(Semaphore::new(MAX_REFUSALS)),
            max_connections,
            refusing: false,
        }
    }

    /// Serves `stream` on a task in `tasks` if the limit allows, else refuses it with a
    /// `503` (or, when too many refusals are under way, closes it at once).
    pub(crate) fn accept(
        &mut self,
        stream: TcpStream,
        client_addr: SocketAddr,
        tasks: &mut JoinSet<()>,
    ) {
        if let Ok(permit) = self.served.clone().try_acquire_owned() {
            self.refusing = false;
            tasks.spawn(serve(
                stream,
                client_addr,
                self.http.clone(),
                self.dispatcher.clone(),
                self.stop.clone(),
                permit,
            ));
            return;
        }
        if !self.refusing {
            self.refusing = true;
            eprintln!(
                "Refusing new connections with 503: {} are open, the limit",
                self.max_connections
            );
        }
        // Dropping the stream closes it: the refusal without an answer.
        if let Ok(permit) = self.refusals.clone().try_acquire_owned() {
            tasks.spawn(refuse(stream, self.max_connections, permit));
        }
    }
}

/// Serves one keep-alive HTTP/1.1 connection until it closes, its client is too slow to
/// send a request head, or the host stops, in which case the request in flight is
/// finished first. `_permit` counts it against the limit until then.
async fn serve(
    stream: TcpStream,
    client_addr: SocketAddr,
    http: Arc<http1::Builder>,
    dispatcher: Arc<Dispatcher>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    // A response whose body follows its head (a WASI 0.3 body is a stream) goes out in two
    // writes; with Nagle's algorithm the second waits for the client's delayed ACK (~40 ms).
    // Failing to set it only costs latency.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let dispatcher = dispatcher.clone();
        async move { Ok::<_, Infallible>(dispatcher.handle(request, client_addr).await) }
    });
    let connection = http.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stopping(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = result {
        // A client closing mid-request is routine, and so is one that sent no head in
        // time (a slow client, or an idle keep-alive one); anything else is worth a line.
        if !e.is_incomplete_message() && !e.is_canceled() && !e.is_timeout() {
            eprintln!("Connection from {client_addr} failed: {e}");
        }
    }
}

/// Reads one request head and answers `503` with a problem document and
/// `Connection: close`, within [`REFUSAL_TIME`]. Reading the head first lets the client
/// see the answer: closing a socket with unread bytes would reset it.
async fn refuse(stream: TcpStream, max_connections: usize, _permit: OwnedSemaphorePermit) {
    let service = service_fn(move |_request| async move {
        let detail = format!(
            "the host is serving its maximum of {max_connections} connections; \
             retry when one closes"
        );
        let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, &detail, None);
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        Ok::<_, Infallible>(response)
    });
    let mut http = http1::Builder::new();
    http.keep_alive(false);
    let connection = http.serve_connection(TokioIo::new(stream), service);
    // A client too slow for the refusal, or one that sent garbage, was refused anyway.
    let _ = tokio::time::timeout(REFUSAL_TIME, connection).await;
}

/// Resolves once the host stops (or is gone).
pub(crate) async fn stopping(stop: &mut watch::Receiver<bool>) {
    // Err means the sender is gone, which also means stopping.
    let _ = stop.wait_for(|stopping| *stopping).await;
}
