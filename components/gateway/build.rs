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
    check_features(&manifest.gateway_features());
    let source = edgeway_manifest::gateway_source(&manifest, &wit_dir.canonicalize().unwrap());
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("app.rs");
    std::fs::write(out, source).unwrap();
}

/// The cargo features turned on must be exactly the policies the manifest uses: the generated
/// world imports what they need, and the code behind each is compiled only with its feature.
fn check_features(needed: &[&str]) {
    for feature in ["api-key", "jwt", "rate-limit"] {
        let on = std::env::var_os(format!(
            "CARGO_FEATURE_{}",
            feature.to_uppercase().replace('-', "_")
        ))
        .is_some();
        let used = needed.contains(&feature);
        if on != used {
            panic!(
                "the manifest {} the `{feature}` policy but the gateway is built {} its `{feature}` feature; build with `edgeway build`, which chooses the features from the manifest",
                if used { "uses" } else { "does not use" },
                if on { "with" } else { "without" },
            );
        }
    }
}
