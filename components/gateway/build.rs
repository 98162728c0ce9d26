//! Compiles the app's manifest into the gateway: its WIT world (one import per handler), the
//! route table in priority order and the dispatch function; and the app's OpenAPI document
//! and docs page, which the gateway serves. `edgeway build` points
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
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("app.rs"), source).unwrap();
    // The document the gateway serves is the one `edgeway openapi` prints, byte for byte.
    std::fs::write(
        out_dir.join("openapi.json"),
        edgeway_openapi::to_json(&manifest),
    )
    .unwrap();
    let docs = here.join("src/docs.html");
    println!("cargo:rerun-if-changed={}", docs.display());
    let page = std::fs::read_to_string(&docs).unwrap();
    let openapi_path = manifest.api.openapi_path.as_deref().unwrap_or_default();
    let title = html_escape(&manifest.api.title);
    let page = page
        .replace("__EDGEWAY_OPENAPI_PATH__", &html_escape(openapi_path))
        .replace("__EDGEWAY_TITLE__", &title);
    std::fs::write(out_dir.join("docs.html"), page).unwrap();
}

/// Text for an HTML attribute or element.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The cargo features turned on must be exactly the policies the manifest uses: the generated
/// world imports what they need, and the code behind each is compiled only with its feature.
/// The HTTP edge may be either, since `edgeway build --wasi` overrides the manifest's.
fn check_features(needed: &[&str]) {
    let on = |feature: &str| {
        let variable = format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"));
        std::env::var_os(variable).is_some()
    };
    if on("wasip2") == on("wasip3") {
        panic!(
            "the gateway needs exactly one of the features `wasip2` and `wasip3`; build with `edgeway build`, which chooses from the manifest's `wasi`"
        );
    }
    for feature in ["api-key", "jwt", "rate-limit", "validation", "events"] {
        let used = needed.contains(&feature);
        if on(feature) != used {
            panic!(
                "the manifest {} the `{feature}` policy but the gateway is built {} its `{feature}` feature; build with `edgeway build`, which chooses the features from the manifest",
                if used { "uses" } else { "does not use" },
                if on(feature) { "with" } else { "without" },
            );
        }
    }
}
