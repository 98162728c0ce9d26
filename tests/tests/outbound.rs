//! Outbound HTTP from handlers, over real HTTP both ways: a handler calls an upstream on
//! loopback (tests/src/upstream.rs) through `wasi:http/outgoing-handler` and relays its
//! answer, in Rust (`relay`, edgeway-sdk's `fetch`), Python (`probe-py`, `edgeway.fetch`) and
//! JavaScript (`probe-js`, the runtime's `fetch`). Each handler reaches only the hosts its
//! entry grants it: `relay` and the probes are granted `http://127.0.0.1:*`,
//! `relay-localhost` (the same component as `relay`) `http://localhost:*`; the component
//! allows both, so a refusal comes from the handler's own adapter. One server, with a short
//! request deadline, serves every test here.
use std::sync::OnceLock;

use edgeway_tests::upstream::{Upstream, down_port};
use edgeway_tests::{Response, Server, get, start_test_app};

/// The host's deadline per request, in seconds (`--timeout`).
const DEADLINE: u64 = 3;

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        // The handlers wait on upstreams through WASI 0.2's blocking calls, which hold a
        // WASI 0.3 instance whole (docs/local-host.md): one request per instance, as such
        // an app should run, keeps one test's slow upstream from stalling another's request.
        start_test_app(&[
            "--timeout",
            &DEADLINE.to_string(),
            "--max-instance-concurrent-reuse-count",
            "1",
        ])
    })
}

fn upstream() -> &'static Upstream {
    static UPSTREAM: OnceLock<Upstream> = OnceLock::new();
    UPSTREAM.get_or_init(Upstream::start)
}

/// `route?url=<url>` (and `&timeout_ms=`), from the test app's server.
fn relay(route: &str, url: &str, timeout_ms: Option<u64>) -> Response {
    let timeout = timeout_ms.map_or(String::new(), |ms| format!("&timeout_ms={ms}"));
    get(server().addr, &format!("{route}?url={url}{timeout}"))
}

/// Asserts the upstream's `/hello` came back through `route`, relayed by `language`.
fn assert_relayed(route: &str, host: &str, language: &str) {
    let url = format!("http://{host}:{}/hello", upstream().port());
    let response = relay(route, &url, None);
    assert_eq!(response.status, 200, "{route}: {}", response.text());
    assert_eq!(response.header("x-relayed-by"), Some(language));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["upstream"], "hello");
    // The handler passed its request id on: the upstream saw the caller's request.
    assert_eq!(body["request_id"].as_str(), response.header("x-request-id"));
}

#[test]
fn a_rust_handler_calls_its_granted_host_and_relays_the_answer() {
    assert_relayed("/relay/rust", "127.0.0.1", "rust");
    assert_relayed("/relay/rust-localhost", "localhost", "rust");
}

#[test]
fn python_and_javascript_handlers_call_their_granted_host_and_relay_the_answer() {
    assert_relayed("/py/probe/fetch", "127.0.0.1", "python");
    assert_relayed("/js/probe/fetch", "127.0.0.1", "javascript");
}

#[test]
fn python_and_javascript_handlers_are_refused_other_hosts_and_time_out() {
    let port = upstream().port();
    let denied = relay(
        "/py/probe/fetch",
        &format!("http://localhost:{port}/hello?py"),
        None,
    );
    assert_eq!(
        denied.problem(500, "handler")["title"],
        "Outbound request refused"
    );
    // StarlingMonkey's `fetch` rejects: the probe answers 502 with the error.
    let denied = relay(
        "/js/probe/fetch",
        &format!("http://localhost:{port}/hello?js"),
        None,
    );
    assert_eq!(denied.status, 502, "{}", denied.text());
    assert!(denied.text().contains("fetch"), "{}", denied.text());
    assert!(!upstream().received("/hello?py") && !upstream().received("/hello?js"));
    wait_for_stderr("outbound HTTP request of handler `probe-js` to http://localhost");
    let slow = format!("http://127.0.0.1:{port}/slow/5000");
    let late = relay("/py/probe/fetch", &slow, Some(300));
    assert_eq!(late.problem(504, "handler")["title"], "Upstream timed out");
    let late = relay("/js/probe/fetch", &slow, Some(300));
    assert_eq!(late.status, 504, "{}", late.text());
    let down = format!("http://127.0.0.1:{}/hello", down_port());
    let refused = relay("/py/probe/fetch", &down, None).problem(502, "handler");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .ends_with("cannot be reached: connection refused"),
        "{refused}"
    );
}

#[test]
fn a_handler_never_reaches_a_host_granted_only_to_another() {
    let port = upstream().port();
    for (index, (route, handler, host)) in [
        ("/relay/rust", "relay", "localhost"),
        ("/relay/rust-localhost", "relay-localhost", "127.0.0.1"),
        // Granted to no handler, and not allowed by the component either.
        ("/relay/rust", "relay", "127.0.0.2"),
    ]
    .into_iter()
    .enumerate()
    {
        let target = format!("/hello?denied={index}");
        let url = format!("http://{host}:{port}{target}");
        let response = relay(route, &url, None);
        let problem = response.problem(500, "handler");
        assert_eq!(problem["title"], "Outbound request refused", "{url}");
        let authority = format!("http://{host}:{port}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("is not among this handler's allowed_outbound_hosts"),
            "{problem}"
        );
        assert!(!upstream().received(&target), "{url} was reached");
        let line = format!(
            "outbound HTTP request of handler `{handler}` to {authority} denied: it is not in the handler's allowed_outbound_hosts"
        );
        // One whole line: the adapter writes it at once, so it is not interleaved.
        let stderr = wait_for_stderr(&line);
        assert!(stderr.lines().any(|l| l.contains(&line)), "{stderr}");
    }
}

#[test]
fn a_slow_upstream_times_out_in_the_handler_or_at_the_host() {
    let slow = format!("http://127.0.0.1:{}/slow/", upstream().port());
    // The handler's own deadline: its problem, well before the host's.
    let started = std::time::Instant::now();
    let response = relay("/relay/rust", &format!("{slow}5000"), Some(300));
    let problem = response.problem(504, "handler");
    assert_eq!(problem["title"], "Upstream timed out");
    assert!(
        started.elapsed().as_secs() < DEADLINE,
        "{:?}",
        started.elapsed()
    );
    // No deadline of its own shorter than the host's: the host answers 504.
    let response = relay(
        "/relay/rust",
        &format!("{slow}{}", DEADLINE * 1000 + 3000),
        None,
    );
    assert_eq!(response.status, 504, "{}", response.text());
    let problem = response.json();
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["title"], "Gateway Timeout");
    // A slow upstream within the deadlines is simply slow.
    let response = relay("/relay/rust", &format!("{slow}200"), Some(2000));
    assert_eq!((response.status, response.text()), (200, "late".to_owned()));
}

#[test]
fn a_down_upstream_is_a_502_problem() {
    let url = format!("http://127.0.0.1:{}/hello", down_port());
    let response = relay("/relay/rust", &url, None);
    let problem = response.problem(502, "handler");
    assert_eq!(problem["title"], "Upstream unreachable");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{url} cannot be reached: connection refused")),
        "{problem}"
    );
}

/// The server's stderr once it holds `text` (guest lines are written as they come).
fn wait_for_stderr(text: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let stderr = server().stderr();
        if stderr.contains(text) || std::time::Instant::now() > deadline {
            return stderr;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
