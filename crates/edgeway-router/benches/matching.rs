//! Route matching and table building at 10, 100 and 1,000 routes.
//!
//! The routes are all `GET`; "first" is the first route in priority order, "deepest-last"
//! the deepest route of the last resource, "catch-all" a path only `/...` matches, and
//! "not-allowed" a `POST` that ends in a 405.
//!
//! `cargo bench -p edgeway-router --bench matching`
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgeway_router::{Methods, Router};
use std::hint::black_box;

/// `n` routes shaped like a real API: resources with collection, item and nested routes, and
/// a catch-all at the end.
fn patterns(n: usize) -> Vec<String> {
    let mut patterns = vec!["/...".to_owned()];
    let mut resource = 0;
    while patterns.len() < n {
        for shape in [
            "/r{i}",
            "/r{i}/:id",
            "/r{i}/:id/items/:item",
            "/r{i}/static/...",
        ] {
            if patterns.len() < n {
                patterns.push(shape.replace("{i}", &resource.to_string()));
            }
        }
        resource += 1;
    }
    patterns
}

fn router(patterns: &[String]) -> Router<'_, usize> {
    let mut router = Router::new();
    for (i, pattern) in patterns.iter().enumerate() {
        router.insert(Methods::GET, pattern, i).unwrap();
    }
    router
}

fn matching(c: &mut Criterion) {
    let mut group = c.benchmark_group("match");
    for n in [10, 100, 1000] {
        let patterns = patterns(n);
        let router = router(&patterns);
        let last = (n - 1) / 4;
        let paths = [
            format!("/r{last}/42/items/7"),
            "/r0".to_owned(),
            "/nowhere/at/all".to_owned(),
        ];
        group.bench_with_input(BenchmarkId::new("deepest-last", n), &paths[0], |b, path| {
            b.iter(|| router.at("GET", black_box(path)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("first", n), &paths[1], |b, path| {
            b.iter(|| router.at("GET", black_box(path)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("catch-all", n), &paths[2], |b, path| {
            b.iter(|| router.at("GET", black_box(path)).unwrap())
        });
        // No route takes POST: every route that matches the path is visited for `Allow`.
        group.bench_with_input(BenchmarkId::new("not-allowed", n), &paths[0], |b, path| {
            b.iter(|| router.at("POST", black_box(path)).unwrap_err())
        });
    }
    group.finish();
}

fn building(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    for n in [10, 100, 1000] {
        let patterns = patterns(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &patterns, |b, patterns| {
            b.iter(|| router(patterns))
        });
    }
    group.finish();
}

criterion_group!(benches, matching, building);
criterion_main!(benches);
