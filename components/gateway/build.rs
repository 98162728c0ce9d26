//! Compiles the app's manifest into the gateway: its WIT world (one import per handler), the
//! route table in priority order and the dispatch function. `edgeway build` points
//! `EDGEWAY_MANIFEST` at the app's spin.toml; a plain `cargo build` uses the example app.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=EDGEWAY_MANIFEST");
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let manifest_path = std::env::var_os("EDGEWAY_MANIFEST")
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../../spin.toml"));
    let wit_dir = here.join("../../wit");
    println!("cargo:rerun-if-changed={}", manifest_path.display());
    println!("cargo:rerun-if-changed={}", wit_dir.display());
    let manifest = match edgeway_manifest::Manifest::load(&manifest_path) {
        Ok(manifest) => manifest,
        Err(error) => panic!("{error}"),
    };
    let source = edgeway_manifest::gateway_source(&manifest, &wit_dir.canonicalize().unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("app.rs");
    std::fs::write(out, source).unwrap();
}
