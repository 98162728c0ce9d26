//! The hostile request corpus (tests/hostile/*.toml, format in tests/hostile/README.md),
//! replayed byte for byte over TCP against the test app on the local host: every case gets
//! its expected answer, no request without credentials reaches a route with auth, and the
//! server answers a health check after every case.
use std::collections::BTreeSet;

use edgeway_tests::hostile::{self, Case};
use edgeway_tests::{get, repo_root, test_app};

fn corpus() -> Vec<Case> {
    hostile::load(&repo_root().join("tests/hostile"))
}

#[test]
fn every_hostile_request_gets_its_answer_and_the_server_stays_up() {
    let cases = corpus();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let addr = test_app().addr;
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = case.run(addr) {
            failures.push(format!("{}: {why}", case.name));
        }
        let health = get(addr, "/.well-known/spin/health");
        assert_eq!(health.status, 200, "no health after {}", case.name);
    }
    assert_eq!(get(addr, "/hello").status, 200);
    let shown: Vec<String> = failures
        .iter()
        .map(|f| f.chars().take(600).collect())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        shown.join("\n")
    );
}

#[test]
fn the_corpus_covers_every_path_rule_and_every_protected_route() {
    let cases = corpus();
    let rules: BTreeSet<&str> = cases
        .iter()
        .filter_map(|c| c.name.strip_prefix("path.")?.split('.').next())
        .collect();
    // The rules of docs/manifest.md, "Path normalisation".
    for rule in [
        "dot-segment",
        "empty-segment",
        "trailing-slash",
        "case",
        "decoded-exact",
        "encoded-slash",
        "double-encoding",
        "bad-escape",
        "not-utf8",
        "control",
        "not-absolute",
        "ordinary",
        "long",
        "reserved",
    ] {
        assert!(rules.contains(rule), "no case for the path rule {rule}");
    }
    let protected: Vec<&Case> = cases.iter().filter(|c| c.protected).collect();
    for route in ["/keyed", "/todos", "/me", "/admin", "/burst-by-key"] {
        let aimed = protected.iter().filter(|c| c.raw.contains(route)).count();
        assert!(aimed >= 1, "no bypass attempt on {route}");
    }
    assert!(protected.len() >= 60, "{} bypass attempts", protected.len());
}
