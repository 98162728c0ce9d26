//! Handlers that never finish or never stop allocating are stopped by the host's per-request
//! limits; the answer is a problem, and the host serves on.
use std::time::{Duration, Instant};

use edgeway_tests::{Server, get, repo_root, tokens};

fn server() -> Server {
    let manifest = repo_root().join("tests/app/spin.toml");
    Server::start(
        &manifest,
        &["--timeout", "2", "--max-memory", "64"],
        &tokens::variables(),
    )
}

#[test]
fn a_handler_that_never_returns_is_stopped_with_504() {
    let server = server();
    let started = Instant::now();
    let response = get(server.addr, "/fault/loop");
    assert_eq!(response.status, 504, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(get(server.addr, "/hello").status, 200);
}

#[test]
fn a_handler_that_allocates_without_end_is_stopped_with_500() {
    let server = server();
    let response = get(server.addr, "/fault/memory");
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/hello").status, 200);
    }
}
