//! Rate limits, counted in the key-value store (tests/app/spin.toml): `/limited` 3 per 2 s by
//! client address, `/burst` 10 per hour, `/burst-by-key` 2 per hour by API key. Windows are
//! aligned to Unix time, so each test first waits for a window with room to finish in.
//! Each route is called by one test only: the counters are shared by the whole process.
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use edgeway_tests::{Response, concurrently, get, request, test_app};

/// Runs this file's tests one at a time. Each request instantiates the whole test app (76 core
/// instances, with its Python and JavaScript handlers), so fifty at once take 3,800 of the
/// pool's 4,000: one more request alongside would be refused for want of an instance.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps until a window of `length` seconds has at least `room` left; with `fresh`, until a
/// new window has just begun.
fn wait_for_window(length: u64, room: Duration, fresh: bool) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into_window = Duration::from_millis((now.as_millis() % (u128::from(length) * 1000)) as u64);
    let left = Duration::from_secs(length) - into_window;
    if fresh || left < room {
        std::thread::sleep(left + Duration::from_millis(30));
    }
}

/// The window of `length` seconds that now falls in.
fn window_index(length: u64) -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / length
}

fn rate_headers(response: &Response) -> [Option<&str>; 3] {
    ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"].map(|n| response.header(n))
}

/// Asserts a 429 problem with `Retry-After` (at most `window` seconds) and no calls left.
fn assert_refused(response: &Response, window: u64) {
    let problem = response.problem(429, "rate-limited");
    let retry_after: u64 = response
        .header("retry-after")
        .expect("a 429 carries Retry-After")
        .parse()
        .unwrap();
    assert!(
        (1..=window).contains(&retry_after),
        "retry-after {retry_after}"
    );
    assert_eq!(response.header("ratelimit-remaining"), Some("0"));
    assert!(problem["detail"].as_str().unwrap().contains("retry in"));
}

#[test]
fn limited_lets_three_through_per_window_then_429_until_the_next() {
    let _alone = one_at_a_time();
    let addr = test_app().addr;
    // Four requests must land in one window; on a machine so busy that they do not, try
    // again in the next one (a fresh window has a fresh counter).
    let responses = (0..5)
        .find_map(|_| {
            wait_for_window(2, Duration::ZERO, true);
            let window = window_index(2);
            let responses: Vec<Response> = (0..4).map(|_| get(addr, "/limited")).collect();
            (window_index(2) == window).then_some(responses)
        })
        .expect("four requests within one 2 s window");
    for (response, remaining) in responses[..3].iter().zip(["2", "1", "0"]) {
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.json()["message"], "Hello, world!");
        let [limit, left, reset] = rate_headers(response);
        assert_eq!((limit, left), (Some("3"), Some(remaining)));
        assert!(matches!(reset, Some("1" | "2")), "{reset:?}");
        assert_eq!(response.header("retry-after"), None);
    }
    assert_refused(&responses[3], 2);
    assert_eq!(responses[3].header("ratelimit-limit"), Some("3"));

    wait_for_window(2, Duration::ZERO, true);
    let response = get(addr, "/limited");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("ratelimit-remaining"), Some("2"));
}

#[test]
fn fifty_at_once_on_burst_let_exactly_ten_through() {
    let _alone = one_at_a_time();
    let addr = test_app().addr;
    wait_for_window(3600, Duration::from_secs(120), false);
    let responses = concurrently(50, move |_| get(addr, "/burst"));
    let passed: Vec<&Response> = responses.iter().filter(|r| r.status == 200).collect();
    let refused: Vec<&Response> = responses.iter().filter(|r| r.status == 429).collect();
    assert_eq!((passed.len(), refused.len()), (10, 40));
    for response in refused {
        assert_refused(response, 3600);
        assert_eq!(response.header("ratelimit-limit"), Some("10"));
    }
    // Each request that passed saw its own count: remaining 9, 8, ..., 0 once each.
    let mut remaining: Vec<u32> = passed
        .iter()
        .map(|r| r.header("ratelimit-remaining").unwrap().parse().unwrap())
        .collect();
    remaining.sort_unstable();
    assert_eq!(remaining, (0..10).collect::<Vec<_>>());
    let mut ids: Vec<&str> = responses
        .iter()
        .map(|r| {
            r.header("x-request-id")
                .expect("every answer has a request id")
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 50, "request ids are distinct");
}

#[test]
fn burst_by_key_counts_each_api_key_on_its_own() {
    let _alone = one_at_a_time();
    let addr = test_app().addr;
    let call = |key: &str| request(addr, "GET", "/burst-by-key", &[("x-api-key", key)], b"");
    let alice = "alice-key-0123456789abcdef";
    let bob = "bob-key-0123456789abcdef";
    wait_for_window(3600, Duration::from_secs(60), false);
    // Auth comes first: a caller without a key is refused before anything is counted.
    let anonymous = get(addr, "/burst-by-key");
    anonymous.problem(401, "unauthorized");
    assert_eq!(anonymous.header("ratelimit-limit"), None);

    for remaining in ["1", "0"] {
        let response = call(alice);
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(response.header("ratelimit-remaining"), Some(remaining));
    }
    assert_refused(&call(alice), 3600);
    let response = call(bob);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["caller"]["name"], "bob");
    assert_eq!(response.header("ratelimit-remaining"), Some("1"));
    assert_refused(&call(alice), 3600);
}
