//! A WASI 0.3 build on the local host, which reuses instances as Spin 4.1 does: one after
//! another up to `--max-instance-reuse-count`, several at once, idle ones kept for
//! `--idle-instance-timeout`. `snoop` (tests/handlers/snoop) counts the requests its instance
//! served in a global, which shows which requests shared an instance.
//!
//! The tests build the test app for WASI 0.3, so they are ignored in the run of every suite
//! and run by `scripts/test.sh` in its WASI 0.3 run (`EDGEWAY_TEST_WASI=0.3`), where the test
//! app is built that way anyway.
use std::collections::BTreeSet;
use std::time::Duration;

use edgeway_tests::{Response, Server, concurrently, get, request, start_test_app, wasi_mode};
use serde_json::Value;

const RUN_BY: &str = "run by scripts/test.sh with EDGEWAY_TEST_WASI=0.3";

/// The test app built for WASI 0.3 on a server of its own, with `args`.
fn start(args: &[&str]) -> Server {
    assert_eq!(wasi_mode().as_deref(), Some("0.3"), "{RUN_BY}");
    start_test_app(args)
}

/// How many requests snoop-a's instance had served when it answered this one.
fn served(server: &Server) -> u64 {
    let response = get(server.addr, "/snoop-a/memory");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["served"].as_u64().expect("a count")
}

#[test]
#[ignore = "run by scripts/test.sh with EDGEWAY_TEST_WASI=0.3"]
fn an_instance_serves_requests_one_after_another_until_its_reuse_count() {
    let server = start(&["--max-instance-reuse-count", "3"]);
    let counts: Vec<u64> = (0..7).map(|_| served(&server)).collect();
    assert_eq!(counts, [1, 2, 3, 1, 2, 3, 1]);
}

#[test]
#[ignore = "run by scripts/test.sh with EDGEWAY_TEST_WASI=0.3"]
fn an_idle_instance_is_retired_after_the_idle_timeout() {
    let server = start(&[]);
    assert_eq!([served(&server), served(&server)], [1, 2]);
    // Spin's default idle timeout is 1 s.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(served(&server), 1);
}

/// Concurrent requests share instances, and none sees another's request id or caller, nor
/// counts against another's rate limit.
#[test]
#[ignore = "run by scripts/test.sh with EDGEWAY_TEST_WASI=0.3"]
fn concurrent_requests_share_instances_and_keep_what_is_theirs() {
    let server = start(&[]);
    let addr = server.addr;
    let callers = [
        ("alice", "alice-key-0123456789abcdef"),
        ("bob", "bob-key-0123456789abcdef"),
    ];
    let answers = concurrently(32, move |i| {
        let (name, key) = callers[i % 2];
        let id = format!("reuse-{i}");
        let headers = [("x-api-key", key), ("x-request-id", id.as_str())];
        let echoed = request(addr, "GET", &format!("/keyed/{i}"), &headers, b"");
        let snooped = get(addr, "/snoop-b/memory");
        (i, name, echoed, snooped)
    });
    let mut instances = 0;
    for (i, name, echoed, snooped) in &answers {
        assert_eq!(echoed.status, 200, "{}", echoed.text());
        let body = echoed.json();
        assert_eq!(body["request_id"], format!("reuse-{i}"), "{body}");
        assert_eq!(
            echoed.header("x-request-id"),
            Some(format!("reuse-{i}").as_str())
        );
        assert_eq!(body["caller"]["name"], *name, "{body}");
        assert_eq!(body["path"], format!("/keyed/{i}"), "{body}");
        assert_eq!(snooped.status, 200, "{}", snooped.text());
        if snooped.json()["served"] == 1 {
            instances += 1;
        }
    }
    assert!(
        instances < answers.len(),
        "{instances} instances for {} requests: none was reused",
        answers.len()
    );

    // `/burst-by-key` allows each API key 2 requests an hour: 2 of each caller's 4 pass.
    let limited = concurrently(8, move |i| {
        let (name, key) = callers[i % 2];
        let response = request(addr, "GET", "/burst-by-key", &[("x-api-key", key)], b"");
        (name, response.status)
    });
    for (name, _) in callers {
        let passed: Vec<u16> = limited
            .iter()
            .filter(|(caller, status)| *caller == name && *status == 200)
            .map(|(_, status)| *status)
            .collect();
        assert_eq!(passed.len(), 2, "{name}: {limited:?}");
    }
    let refused = limited.iter().filter(|(_, status)| *status == 429).count();
    assert_eq!(refused, 4, "{limited:?}");
}

/// A trap discards its instance: the request that trapped, and any other in flight on that
/// instance, get a 500 problem; the requests after them are served by fresh instances.
#[test]
#[ignore = "run by scripts/test.sh with EDGEWAY_TEST_WASI=0.3"]
fn a_trap_discards_the_instance_and_the_next_requests_succeed() {
    let server = start(&[]);
    assert_eq!([served(&server), served(&server)], [1, 2]);
    assert_trap_problem(&get(server.addr, "/fault/panic"));
    assert_eq!(served(&server), 1, "the instance that trapped served on");

    let addr = server.addr;
    let answers = concurrently(16, move |i| {
        let target = if i == 0 { "/fault/trap" } else { "/hello" };
        (target, get(addr, target))
    });
    for (target, response) in &answers {
        match (*target, response.status) {
            ("/hello", 200) => assert_eq!(response.json()["message"], "Hello, world!"),
            // In flight on the instance that trapped.
            (_, 500) => assert_trap_problem(response),
            _ => panic!("{target}: {} {}", response.status, response.text()),
        }
    }
    let after: BTreeSet<u16> = (0..10).map(|_| get(addr, "/hello").status).collect();
    assert_eq!(after, BTreeSet::from([200]));
}

fn assert_trap_problem(response: &Response) {
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let problem: Value = response.json();
    assert!(problem["detail"].as_str().is_some(), "{problem}");
}
