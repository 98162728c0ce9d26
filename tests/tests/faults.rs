//! Handlers that fail on purpose (tests/handlers/fault): each gets a bounded, clear answer, other
//! routes keep answering while it fails and after, and the host's memory (RSS, read from
//! /proc) comes back to where it was.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use edgeway_tests::soak::rss_kib;
use edgeway_tests::{Response, Server, concurrently, get, start_test_app};

/// The test app with tight limits (3 s and 64 MiB per request), shared by the tests of this
/// file, which take turns (the guard) so that each measures the host's memory alone.
fn server() -> (MutexGuard<'static, ()>, &'static Server) {
    static SERVER: OnceLock<Server> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    let server = SERVER.get_or_init(|| {
        let server = start_test_app(&["--timeout", "3", "--max-memory", "64"]);
        // Warm up with as many instances at once as any test here runs: the pooling
        // allocator keeps a little of each slot's memory resident for the next instance,
        // and that belongs in the baseline.
        let addr = server.addr;
        for _ in 0..3 {
            let statuses = concurrently(48, move |_| get(addr, "/hello").status);
            assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        }
        server
    });
    (turn, server)
}

/// The host's RSS in MiB before, at its highest during, and after `work`, which runs while
/// a thread samples every 50 ms. "After" is the lowest of a few samples over two seconds:
/// freed memory is returned to the system lazily.
fn rss_around<T>(server: &Server, work: impl FnOnce() -> T) -> (T, [u64; 3]) {
    let pid = server.pid();
    let rss = move || rss_kib(pid).expect("the server's /proc/<pid>/status") / 1024;
    let before = rss();
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while running.load(Ordering::Relaxed) {
                peak = peak.max(rss());
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        })
    };
    let result = work();
    running.store(false, Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    let after = (0..8)
        .map(|_| {
            std::thread::sleep(Duration::from_millis(250));
            rss()
        })
        .min()
        .unwrap();
    eprintln!("host RSS: before {before} MiB, peak {peak} MiB, after {after} MiB");
    (result, [before, peak.max(before), after])
}

/// The memory bound every fault test holds the host to: at most `peak_growth` MiB more at
/// its peak, and back within 48 MiB of where it started.
fn assert_memory_returns([before, peak, after]: [u64; 3], peak_growth: u64) {
    assert!(
        peak <= before + peak_growth,
        "peak {peak} MiB from {before} MiB"
    );
    assert!(after <= before + 48, "after {after} MiB from {before} MiB");
}

/// The host's own problem (the component died before answering): `status`, a detail that
/// contains `cause`.
fn assert_host_problem(response: &Response, status: u16, cause: &str) {
    assert_eq!(response.status, status, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let problem = response.json();
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["status"], status);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(cause), "{detail}");
}

/// `GET /hello` `n` times while something else runs; returns the slowest answer's time.
fn hello_meanwhile(server: &Server, n: usize) -> Duration {
    (0..n)
        .map(|_| {
            let started = Instant::now();
            let response = get(server.addr, "/hello");
            assert_eq!(response.status, 200, "{}", response.text());
            std::thread::sleep(Duration::from_millis(50));
            started.elapsed()
        })
        .max()
        .unwrap()
}

#[test]
fn a_handler_that_never_returns_is_stopped_with_504_while_other_routes_answer() {
    let (_turn, server) = server();
    let addr = server.addr;
    let ((loops, slowest), memory) = rss_around(server, || {
        // Two spinning handlers: as many as the machine running the tests may have cores.
        let loops = std::thread::spawn(move || {
            concurrently(2, move |_| {
                let started = Instant::now();
                (get(addr, "/fault/loop"), started.elapsed())
            })
        });
        std::thread::sleep(Duration::from_millis(300));
        let slowest = hello_meanwhile(server, 20);
        (loops.join().unwrap(), slowest)
    });
    assert!(
        slowest < Duration::from_secs(2),
        "slowest /hello: {slowest:?}"
    );
    for (response, took) in loops {
        assert_host_problem(&response, 504, "did not respond within 3s");
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }
    assert_eq!(get(addr, "/hello").status, 200);
    assert_memory_returns(memory, 256);
}

#[test]
fn a_handler_that_allocates_without_end_is_stopped_with_500() {
    let (_turn, server) = server();
    let addr = server.addr;
    let (responses, memory) = rss_around(server, || {
        let hogs = std::thread::spawn(move || concurrently(2, move |_| get(addr, "/fault/memory")));
        let slowest = hello_meanwhile(server, 10);
        assert!(
            slowest < Duration::from_secs(2),
            "slowest /hello: {slowest:?}"
        );
        hogs.join().unwrap()
    });
    for response in responses {
        assert_host_problem(&response, 500, "failed before responding");
    }
    assert_eq!(get(addr, "/hello").status, 200);
    // Two instances of at most 64 MiB each, and their copies on the way out.
    assert_memory_returns(memory, 512);
}

#[test]
fn traps_and_panics_are_500s_and_the_host_serves_on() {
    let (_turn, server) = server();
    let addr = server.addr;
    let (responses, memory) = rss_around(server, || {
        concurrently(40, move |i| {
            let target = ["/fault/trap", "/fault/panic", "/hello", "/convert"][i % 4];
            (target, get(addr, target))
        })
    });
    for (target, response) in &responses {
        match *target {
            "/fault/trap" => assert_host_problem(response, 500, "unreachable"),
            "/fault/panic" => assert_host_problem(response, 500, "failed before responding"),
            "/hello" => assert_eq!(response.status, 200),
            _ => {
                response.problem(405, "method-not-allowed");
            }
        }
    }
    assert!(
        server
            .settled_stderr()
            .contains("the fault handler was asked to panic")
    );
    assert_eq!(get(addr, "/hello").status, 200);
    assert_memory_returns(memory, 256);
}

#[test]
fn a_response_over_32_mib_is_a_502_and_one_over_the_memory_limit_a_500() {
    let (_turn, server) = server();
    let addr = server.addr;
    let ((fits, over, hoard), memory) = rss_around(server, || {
        (
            get(addr, "/fault/huge?mib=20"),
            get(addr, "/fault/huge?mib=48"),
            get(addr, "/fault/huge?mib=400"),
        )
    });
    assert_eq!(fits.status, 200);
    assert_eq!(fits.body.len(), 20 << 20);
    let problem = over.problem(502, "invalid-handler-response");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("50331648 bytes is over the limit of 33554432"),
        "{detail}"
    );
    // 400 MiB cannot even be built within the handler's 64 MiB.
    assert_host_problem(&hoard, 500, "failed before responding");
    assert_eq!(get(addr, "/hello").status, 200);
    assert_memory_returns(memory, 512);
}

#[test]
fn response_headers_http_cannot_carry_are_a_502() {
    let (_turn, server) = server();
    let addr = server.addr;
    for (kind, says) in [
        ("header-name", "is not a valid token"),
        ("header-value", "control character"),
        ("header-crlf", "control character"),
        ("header-flood", "over the limit of 65536"),
    ] {
        let response = get(addr, &format!("/fault/{kind}"));
        let problem = response.problem(502, "invalid-handler-response");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{kind}: {problem}"
        );
        assert!(response.header("set-cookie").is_none(), "{kind}");
    }
    // Connection headers are the host's business: dropped, the rest of the answer kept.
    let response = get(addr, "/fault/header-connection");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("x-fault"), Some("kept"));
    assert_eq!(response.header("transfer-encoding"), None);
    assert_eq!(response.text(), "fault");
    assert_eq!(get(addr, "/hello").status, 200);
}
