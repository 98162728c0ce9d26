//! Five seconds of the soak test (`scripts/soak.sh` runs it for ten minutes): every response of
//! a mix of succeeding and failing routes has its expected status, no connection fails, and
//! the host's memory stays bounded.
use std::time::Duration;

use edgeway_tests::{get, soak, start_test_app};

#[test]
fn five_seconds_of_mixed_load_get_only_expected_answers() {
    let server = start_test_app(&[]);
    let report = soak::run(server.addr, Some(server.pid()), Duration::from_secs(5), 32);
    eprintln!("{report}");
    assert!(report.clean(), "{report}");
    for (name, _, count) in &report.per_call {
        assert!(*count > 0, "no answer for {name}:\n{report}");
    }
    // Memory grows while the pool's slots warm up: each memory slot an instance used keeps
    // the pages it touched (up to 2 MiB) resident for the next instance. Five seconds at 32
    // connections add about 50 MiB on the test app's 17 memories; a leak of a few KiB per
    // request would pass 256 MiB.
    let [start, _, peak, _] = report.rss_kib.expect("the server's RSS");
    assert!(peak < start + 256 * 1024, "{report}");
    assert_eq!(get(server.addr, "/.well-known/spin/health").status, 200);
}
