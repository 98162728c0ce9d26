//! The baseline of `scripts/outbound-bench.sh`: the gateway and one handler composed with the
//! handler's `wasi:http/outgoing-handler` import going straight to the host, where `edgeway
//! build` puts the grant adapter (`components/adapters/outbound-http`) in between.
//!
//! ```sh
//! cargo run --release -p edgeway-compose --example compose_without_outbound_adapter -- \
//!     gateway.wasm handler.wasm <handler name> out.wasm
//! ```
//!
//! The composer gives every handler that imports outgoing-handler an adapter, and this passes
//! it a stand-in that has no code: it imports the host's outgoing-handler and exports that same
//! instance, so the handler's calls reach the host as if nothing were in between. Nothing
//! checks the handler's hosts here; `edgeway build` always composes the real adapter.
use std::error::Error;

use edgeway_compose::{Grant, Handler, Isolation, MARKER, REGION_SIZE, compose_isolated, inspect};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};
use wasm_encoder::{ComponentSection, CustomSection};

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [gateway, handler, name, output] = &args[..] else {
        return Err(
            "usage: compose_without_outbound_adapter GATEWAY.wasm HANDLER.wasm NAME OUT.wasm"
                .into(),
        );
    };
    let gateway = std::fs::read(gateway)?;
    let handler = std::fs::read(handler)?;
    let stand_in = pass_through(&handler)?;
    // The composer writes a grant into every outbound adapter; the stand-in never reads it.
    let hosts = ["*://*:*".to_owned()];
    let grants = [Grant {
        handler: name,
        variables: &[],
        outbound_hosts: &hosts,
    }];
    let isolation = Isolation {
        outbound_http: Some(&stand_in),
        grants: &grants,
        ..Isolation::default()
    };
    let handlers = [Handler {
        name,
        wasm: &handler,
        http: true,
        events: false,
    }];
    let composed = compose_isolated(&gateway, &handlers, &isolation)?;
    std::fs::write(output, &composed)?;
    // One linear memory fewer than the same app from `edgeway build`: the adapter's.
    let memories = inspect(&composed)?.memories;
    println!("{output}: {memories} linear memories");
    Ok(())
}

/// A component that imports the outgoing-handler `handler` imports and exports it unchanged,
/// holding the grant region the composer looks for (in a custom section: nothing reads it).
fn pass_through(handler: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes("handler", None, handler.to_vec(), graph.types_mut())?;
    let (import, kind) = graph.types()[package.ty()]
        .imports
        .iter()
        .find(|(import, _)| import.starts_with("wasi:http/outgoing-handler"))
        .map(|(import, kind)| (import.clone(), *kind))
        .ok_or("the handler does not import wasi:http/outgoing-handler")?;
    let host = graph.import(&import, kind)?;
    graph.export(host, &import)?;
    let mut wasm = graph.encode(EncodeOptions::default())?;
    let mut region = MARKER.to_vec();
    region.resize(REGION_SIZE, 0);
    CustomSection {
        name: "edgeway-grant-region".into(),
        data: region.into(),
    }
    .append_to_component(&mut wasm);
    Ok(wasm)
}
