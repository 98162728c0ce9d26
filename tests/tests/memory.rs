//! The instance pool's settings over real HTTP: an idle host gives the memory its pool kept
//! warm back to the system and then serves as before, and `--max-instances` bounds the
//! requests in flight: one the pool cannot hold yet waits for room.
use std::time::{Duration, Instant};

use edgeway_tests::{get, soak, start_test_app};

#[test]
fn an_idle_host_gives_its_pools_memory_back_and_serves_on() {
    let server = start_test_app(&["--release-after-idle", "2"]);
    let rss = || soak::rss_kib(server.pid()).expect("the server's RSS");
    let loaded = soak::run(server.addr, Some(server.pid()), Duration::from_secs(4), 32);
    assert!(loaded.clean(), "{loaded}");
    let [start, _, peak, _] = loaded.rss_kib.expect("the server's RSS");
    assert!(
        peak > start + 16 * 1024,
        "the load should warm the pool's slots:\n{loaded}"
    );
    assert!(
        server.wait_for_stderr("Idle for 2s", Duration::from_secs(20)),
        "no release after 2 s idle:\n{}",
        server.stderr()
    );
    let idle = rss();
    assert!(
        idle < start + (peak - start) / 2,
        "idle RSS {idle} KiB: less than half of the {} KiB the load added went back",
        peak - start
    );

    // The fresh pool serves every route of the mix as before.
    let again = soak::run(server.addr, None, Duration::from_secs(2), 8);
    assert!(again.clean(), "{again}");
    assert!(
        again.per_call.iter().all(|(_, _, count)| *count > 0),
        "{again}"
    );
}

#[test]
fn a_request_the_pool_cannot_hold_yet_waits_for_room() {
    // A request of the test app takes 23 of the pool's 45 memories (the gateway, its
    // handlers and their adapters) and about 90 of its 4 × 45 core instances, so a second
    // request cannot start while a first one runs: it waits until the first is stopped.
    // The waiting request's own timeout counts from its arrival: arriving 2 s before the
    // first is stopped, it has 2 s left to run then, ample on a loaded machine.
    let server = start_test_app(&["--max-instances", "45", "--timeout", "4"]);
    assert_eq!(get(server.addr, "/hello").status, 200);
    let addr = server.addr;
    let busy = std::thread::spawn(move || get(addr, "/fault/loop").status);
    std::thread::sleep(Duration::from_secs(2));
    let sent = Instant::now();
    let waited = get(server.addr, "/hello");
    assert_eq!(waited.status, 200, "{}", waited.text());
    assert!(
        sent.elapsed() > Duration::from_millis(1500),
        "answered after {:?}, before the request ahead of it was stopped",
        sent.elapsed()
    );
    assert_eq!(busy.join().unwrap(), 504);
}

#[test]
fn a_pool_too_small_for_one_request_refuses_it_at_once() {
    let server = start_test_app(&["--max-instances", "20", "--timeout", "30"]);
    let sent = Instant::now();
    let refused = get(server.addr, "/hello");
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(refused.status, 500, "{}", refused.text());
    for part in ["maximum concurrent limit", "raise --max-instances"] {
        assert!(refused.text().contains(part), "{}", refused.text());
    }
}
