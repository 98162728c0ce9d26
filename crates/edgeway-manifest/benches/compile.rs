//! Manifest compilation, as `edgeway build` and the gateway's build script do it: reading and
//! checking spin.toml, planning a split deployment, and writing the gateway's route table, for
//! the example app and for generated apps of 10, 100 and 1,000 routes.
//!
//! `cargo bench -p edgeway-manifest --bench compile`
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use edgeway_manifest::{Manifest, gateway_source, split};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An app of `n` routes over `n / 4` handlers (all built from `components/greet`), shaped
/// like the router benchmark's: collection, item, nested and wildcard routes.
fn generated(n: usize) -> String {
    let handlers = n.div_ceil(4);
    let mut text = String::from(
        "spin_manifest_version = 2\n[application]\nname = \"bench\"\n\
         [component.gateway]\nsource = \"target/edgeway/bench.wasm\"\n\
         [component.gateway.tool.edgeway.handlers]\n",
    );
    for h in 0..handlers {
        text.push_str(&format!("h{h} = {{ path = \"components/greet\" }}\n"));
    }
    text.push_str("[component.gateway.tool.edgeway.routes]\n");
    for i in 0..n {
        let (r, shape) = (i / 4, i % 4);
        let pattern = match shape {
            0 => format!("/r{r}"),
            1 => format!("/r{r}/:id"),
            2 => format!("/r{r}/:id/items/:item"),
            _ => format!("/r{r}/static/..."),
        };
        text.push_str(&format!("\"GET {pattern}\" = \"h{r}\"\n"));
    }
    text
}

fn compile(c: &mut Criterion) {
    let path = repo().join("spin.toml");
    let wit = repo().join("wit").canonicalize().unwrap();
    let mut apps = vec![(
        "example".to_owned(),
        std::fs::read_to_string(&path).unwrap(),
    )];
    for n in [10, 100, 1000] {
        apps.push((format!("{n} routes"), generated(n)));
    }
    let mut group = c.benchmark_group("manifest");
    for (name, text) in &apps {
        group.bench_with_input(BenchmarkId::new("load", name), text, |b, text| {
            b.iter(|| Manifest::parse(&path, black_box(text)).unwrap())
        });
        let manifest = Manifest::parse(&path, text).unwrap();
        group.bench_with_input(
            BenchmarkId::new("gateway_source", name),
            &manifest,
            |b, m| b.iter(|| gateway_source(black_box(m), &wit)),
        );
        group.bench_with_input(BenchmarkId::new("split_plan", name), &manifest, |b, m| {
            b.iter(|| split::plan(black_box(m)))
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
