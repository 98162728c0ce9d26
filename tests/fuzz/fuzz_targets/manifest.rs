//! The manifest parser (edgeway-manifest) on arbitrary text. Whatever it accepts, the rest of
//! the build relies on: every route is valid and routes to a declared handler, the router
//! builds without conflicts, each route matches its own pattern, and the gateway's source is
//! written with every pattern as an escaped Rust string.
#![no_main]

use std::path::Path;

use edgeway_manifest::{Manifest, ManifestError, gateway_source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let manifest = match Manifest::parse("spin.toml", text) {
        Ok(manifest) => manifest,
        Err(ManifestError::Invalid(diagnostics)) => {
            assert!(!diagnostics.is_empty(), "refused without a reason");
            for diagnostic in &diagnostics {
                // Locations point into the text.
                assert!(diagnostic.location.line >= 1 && diagnostic.location.column >= 1);
                assert!(diagnostic.location.line <= text.lines().count().max(1) + 1);
                let _ = diagnostic.to_string();
            }
            return;
        }
        Err(other) => panic!("parsing text cannot fail to read a file: {other}"),
    };
    let router = manifest.router();
    assert_eq!(router.routes().len(), manifest.routes.len());
    for route in &manifest.routes {
        assert!(
            manifest.handler_index(&route.handler).is_some(),
            "route to undeclared handler `{}`",
            route.handler
        );
        let method = route.methods.names().next().unwrap_or("PROPFIND");
        let found = router.at(method, &route.pattern);
        assert!(
            found.is_ok(),
            "`{method} {}` does not route itself",
            route.pattern
        );
    }
    let source = gateway_source(&manifest, Path::new("wit"));
    for route in &manifest.routes {
        assert!(source.contains(&format!("pattern: {:?}", route.pattern)));
    }
});
