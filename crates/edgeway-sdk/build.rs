//! Encodes each world a handler can target as the `component-type` custom section that
//! `export!` and `export_events!` place in the handler's crate. The section tells the
//! component linker which interfaces the component exports, so the macro the handler calls
//! decides its world, whatever features other crates in the same build turn on.
use std::path::PathBuf;

use wit_component::StringEncoding;
use wit_parser::Resolve;

/// The worlds of ../../wit an export macro can pick.
const WORLDS: [&str; 5] = [
    "http-handler",
    "stateful-handler",
    "event-handler",
    "http-event-handler",
    "stateful-event-handler",
];

fn main() {
    let wit = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("../../wit");
    println!("cargo:rerun-if-changed={}", wit.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let mut resolve = Resolve::default();
    let (package, files) = resolve
        .push_path(&wit)
        .unwrap_or_else(|e| panic!("cannot read {}: {e:?}", wit.display()));
    for file in files.paths() {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    for name in WORLDS {
        let world = resolve
            .select_world(&[package], Some(name))
            .unwrap_or_else(|e| panic!("{}: no world `{name}`: {e:?}", wit.display()));
        let section = wit_component::metadata::encode(&resolve, world, StringEncoding::UTF8, None)
            .unwrap_or_else(|e| panic!("cannot encode world `{name}`: {e:?}"));
        std::fs::write(out.join(format!("{name}.bin")), section).unwrap();
    }
}
