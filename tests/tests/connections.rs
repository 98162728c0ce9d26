//! Slow and greedy clients, and shutdown, over TCP against the test app on the local host:
//! a request head sent too slowly is dropped (`--header-timeout`) while other clients are
//! served, a connection beyond `--max-connections` gets a `503` problem, and SIGTERM lets
//! the request in flight finish, refuses new connections and exits 0 (`--shutdown-timeout`).
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use edgeway_tests::{Server, edgeway, exchange, get, mode_args, read_response, repo_root, tokens};

/// The test app on a server of its own, with `args`. The app is built once, before the
/// first server starts: servers starting together must not build it over each other.
fn start(args: &[&str]) -> Server {
    static BUILT: OnceLock<()> = OnceLock::new();
    let manifest = repo_root().join("tests/app/spin.toml");
    BUILT.get_or_init(|| {
        let status = edgeway()
            .arg("build")
            .args(mode_args(&[]))
            .arg("--manifest")
            .arg(&manifest)
            .status()
            .expect("edgeway runs");
        assert!(status.success(), "building the test app failed");
    });
    let args = [&["--no-build"], args].concat();
    Server::start(&manifest, &args, &tokens::variables())
}

/// A connection that sent the first half of a request head.
fn slow_client(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stream
}

/// Whether `stream` is open right now: nothing to read, and neither closed nor reset.
fn still_open(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let peeked = stream.peek(&mut [0u8; 1]);
    stream.set_nonblocking(false).unwrap();
    matches!(peeked, Err(e) if e.kind() == ErrorKind::WouldBlock)
}

/// Waits up to `wait` for the server to close `stream`: `true` once it has (end of stream
/// or a reset), `false` if it stays open. Panics if the server answers instead.
fn closed_by_server(stream: &mut TcpStream, wait: Duration) -> bool {
    stream
        .set_read_timeout(Some(wait.max(Duration::from_millis(10))))
        .unwrap();
    let mut buffer = [0u8; 256];
    match stream.read(&mut buffer) {
        Ok(0) => true,
        Ok(n) => panic!(
            "the server answered: {:?}",
            String::from_utf8_lossy(&buffer[..n])
        ),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => true,
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("reading failed: {e}"),
    }
}

/// A request to a handler that never returns (only the 30 s request timeout would stop it),
/// given a second to reach the handler.
fn stuck_request(addr: SocketAddr) -> TcpStream {
    let mut stuck = TcpStream::connect(addr).expect("connect");
    stuck
        .write_all(b"GET /fault/loop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    stuck
}

/// Waits until the server stops accepting connections (at most 10 s).
fn wait_until_refused(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return,
            _ => assert!(Instant::now() < deadline, "still accepting after SIGTERM"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_request_head_sent_line_by_line_is_dropped_after_the_header_timeout() {
    let server = start(&["--header-timeout", "2"]);
    let started = Instant::now();
    let mut stream = slow_client(server.addr);
    // One more header line every 500 ms: the head as a whole must arrive within 2 s.
    let mut lines = 0;
    let dropped_after = loop {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still open after 10 s"
        );
        let line = format!("x-slow-{lines}: a\r\n");
        if stream.write_all(line.as_bytes()).is_err() {
            break started.elapsed();
        }
        lines += 1;
        if closed_by_server(&mut stream, Duration::from_millis(500)) {
            break started.elapsed();
        }
    };
    assert!(
        dropped_after >= Duration::from_millis(1900),
        "dropped after {dropped_after:?}, before the timeout"
    );
    assert!(dropped_after < Duration::from_secs(5), "{dropped_after:?}");
    assert!(lines >= 3, "only {lines} lines sent");
    // A slow client is routine: no error line for it.
    assert!(
        !server.stderr().contains("Connection from"),
        "{}",
        server.stderr()
    );
    assert_eq!(get(server.addr, "/hello").status, 200);
}

#[test]
fn five_hundred_slow_clients_do_not_keep_another_waiting() {
    let server = start(&["--header-timeout", "5"]);
    let started = Instant::now();
    let mut slow: Vec<TcpStream> = (0..500).map(|_| slow_client(server.addr)).collect();
    let asked = Instant::now();
    let response = get(server.addr, "/hello");
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        asked.elapsed()
    );
    // They were all still open while it was served...
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "too slow to tell: {:?}",
        started.elapsed()
    );
    for (i, stream) in slow.iter().enumerate() {
        assert!(still_open(stream), "slow client {i} closed early");
    }
    // ...and the header timeout closes every one of them.
    let deadline = started + Duration::from_secs(15);
    for (i, stream) in slow.iter_mut().enumerate() {
        let wait = deadline.saturating_duration_since(Instant::now());
        assert!(closed_by_server(stream, wait), "slow client {i} still open");
    }
    assert_eq!(get(server.addr, "/hello").status, 200);
}

#[test]
fn a_connection_beyond_the_limit_gets_a_503_problem_and_is_closed() {
    let server = start(&["--max-connections", "2"]);
    let mut held: Vec<TcpStream> = (0..2).map(|_| slow_client(server.addr)).collect();
    // The host accepts in order: the two held connections take the limit.
    let raw = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    let refused = exchange(server.addr, raw, false, Duration::from_secs(10))
        .expect("an answer, then the end of the connection");
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(refused.header("connection"), Some("close"));
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("x-request-id"),
        None,
        "the gateway never ran"
    );
    let problem = refused.json();
    assert_eq!(problem["status"], 503);
    assert_eq!(problem["title"], "Service Unavailable");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("maximum of 2 connections"), "{detail}");
    assert!(
        server.wait_for_stderr(
            "Refusing new connections with 503: 2 are open",
            Duration::from_secs(10)
        ),
        "{}",
        server.stderr()
    );
    // Once one closes, new clients are served again.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(server.addr, "/hello").status != 200 {
        assert!(Instant::now() < deadline, "still refused after a close");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_finishes_the_request_in_flight_refuses_new_connections_and_exits_0() {
    let server = start(&[]);
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // The head and half the body; the `100 Continue` shows the gateway reads the body.
    stream
        .write_all(
            b"POST /echo/x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
              Content-Length: 10\r\nExpect: 100-continue\r\n\r\n",
        )
        .unwrap();
    let mut pending = Vec::new();
    let mut buffer = [0u8; 1024];
    while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).expect("a 100 Continue");
        assert!(n > 0, "closed before the 100 Continue");
        pending.extend_from_slice(&buffer[..n]);
    }
    assert!(pending.starts_with(b"HTTP/1.1 100"), "{pending:?}");
    pending.clear();
    stream.write_all(b"hello").unwrap();

    server.terminate();
    wait_until_refused(server.addr);
    stream.write_all(b"world").unwrap();
    let response = read_response(&mut stream, &mut pending, false)
        .expect("the answer")
        .expect("an answer, not a closed connection");
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(
        response.text().contains("helloworld"),
        "{}",
        response.text()
    );

    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("edgeway exits after the last request");
    assert!(status.success(), "exited with {status}");
    assert!(
        server.wait_for_stderr("Shutting down", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );
}

#[test]
fn the_shutdown_timeout_bounds_how_long_a_request_holds_up_the_exit() {
    let server = start(&["--shutdown-timeout", "1"]);
    let mut stuck = stuck_request(server.addr);

    server.terminate();
    let signalled = Instant::now();
    let status = server
        .wait_for_exit(Duration::from_secs(10))
        .expect("edgeway exits once the shutdown timeout passes");
    assert!(status.success(), "exited with {status}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "{:?}",
        signalled.elapsed()
    );
    assert!(closed_by_server(&mut stuck, Duration::from_secs(5)));
    assert!(
        server.wait_for_stderr("Shutdown timeout", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );
}

#[test]
fn a_second_signal_stops_at_once() {
    let server = start(&[]);
    let mut stuck = stuck_request(server.addr);
    server.terminate();
    wait_until_refused(server.addr);
    server.terminate();
    let status = server
        .wait_for_exit(Duration::from_secs(5))
        .expect("edgeway exits without waiting 30 s for the request");
    assert!(status.success(), "exited with {status}");
    assert!(closed_by_server(&mut stuck, Duration::from_secs(5)));
    assert!(
        server.wait_for_stderr("a second signal", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );
}

#[test]
fn unusable_limits_are_refused_before_anything_runs() {
    for (flag, value) in [
        ("--header-timeout", "0"),
        ("--max-connections", "0"),
        ("--shutdown-timeout", "86401"),
    ] {
        let output = edgeway()
            .args(["up", "--host", "local", flag, value])
            .output()
            .expect("edgeway runs");
        assert!(!output.status.success(), "{flag} {value} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{stderr}");
    }
}
