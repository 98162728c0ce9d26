//! The wiring, on components written in the text format: a "handler" that imports
//! `wasi:config/store` and an "adapter" that exports it, holding a grant region.
use wac_graph::{CompositionGraph, EncodeOptions};

use super::*;
use crate::{MARKER, REGION_SIZE, inspect};

const CONFIG: &str = "wasi:config/store@0.2.0-draft-2024-09-27";

/// A component importing `interface` (a `get` function) and exporting it again.
fn component(interface: &str, data: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(component
            (import "{interface}" (instance $host
                (export "get" (func (param "key" string) (result (option string))))))
            (core module $m (memory 1) (data (i32.const 0) "{data}"))
            (core instance (instantiate $m))
            (export "{interface}" (instance $host)))"#
    ))
    .unwrap()
}

/// An adapter: the interface in and out, and a grant region in its core module's memory.
fn adapter(interface: &str) -> Vec<u8> {
    let filler = ".".repeat(REGION_SIZE - MARKER.len() - 4);
    let marker = std::str::from_utf8(MARKER).unwrap();
    component(interface, &format!("{marker}\\00\\00\\00\\00{filler}"))
}

/// Composes a handler importing `import` with `isolation`; the composed component.
fn composed(import: &str, isolation: &Isolation<'_>) -> Result<Vec<u8>, ComposeError> {
    let mut graph = CompositionGraph::new();
    let handler = component(import, "handler");
    let package = register(&mut graph, "test:handler", &handler)?;
    let instance = graph.instantiate(package);
    isolate(&mut graph, isolation, "snoop", package, instance)?;
    let export = graph.alias_instance_export(instance, import).unwrap();
    graph.export(export, import).unwrap();
    Ok(graph.encode(EncodeOptions::default()).unwrap())
}

#[test]
fn a_handler_importing_config_gets_an_adapter_with_its_grant() {
    let adapter = adapter(CONFIG);
    let variables = ["greeting".to_owned()];
    let grants = [Grant {
        handler: "snoop",
        variables: &variables,
        outbound_hosts: &[],
    }];
    let isolation = Isolation {
        config: Some(&adapter),
        grants: &grants,
        ..Isolation::default()
    };
    let wasm = composed(CONFIG, &isolation).unwrap();
    // The handler's import is the adapter's export; what is left is the adapter's import.
    let inspection = inspect(&wasm).unwrap();
    assert_eq!(inspection.imports, [CONFIG]);
    // Two memories: the handler's and the adapter's.
    assert_eq!(inspection.memories, 2);
    let grant = b"snoop\ngreeting";
    let mut region = MARKER.to_vec();
    region.extend_from_slice(&(grant.len() as u32).to_le_bytes());
    region.extend_from_slice(grant);
    assert!(
        wasm.windows(region.len()).any(|w| w == region),
        "the grant is written"
    );
}

#[test]
fn a_handler_that_cannot_be_isolated_is_refused() {
    let missing = composed(CONFIG, &Isolation::default()).unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("no config adapter was given to isolate it"),
        "{missing}"
    );
    // A version the adapter does not provide would reach the host directly.
    let adapter = adapter(CONFIG);
    let isolation = Isolation {
        config: Some(&adapter),
        ..Isolation::default()
    };
    let other = "wasi:config/store@0.2.0-rc.1";
    let error = composed(other, &isolation).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "imports `{other}`, which the config adapter does not provide"
        )),
        "{error}"
    );
    // A component that is not an adapter holds no grant region.
    let plain = component(CONFIG, "no region");
    let isolation = Isolation {
        config: Some(&plain),
        ..Isolation::default()
    };
    let error = composed(CONFIG, &isolation).unwrap_err().to_string();
    assert!(error.contains("0 grant regions"), "{error}");
}

#[test]
fn a_handler_calling_out_gets_its_hosts_or_is_refused_without_any() {
    const OUTGOING: &str = "wasi:http/outgoing-handler@0.2.10";
    let adapter = adapter(OUTGOING);
    let hosts = ["http://127.0.0.1:*".to_owned()];
    let granted = [Grant {
        handler: "snoop",
        variables: &[],
        outbound_hosts: &hosts,
    }];
    let isolation = Isolation {
        outbound_http: Some(&adapter),
        grants: &granted,
        ..Isolation::default()
    };
    let wasm = composed(OUTGOING, &isolation).unwrap();
    let grant = b"snoop\nhttp://127.0.0.1:*";
    assert!(
        wasm.windows(grant.len()).any(|w| w == grant),
        "the hosts are written"
    );
    let ungranted = Isolation {
        grants: &[],
        ..isolation
    };
    let error = composed(OUTGOING, &ungranted).unwrap_err().to_string();
    assert!(
        error.contains(&format!(
            "cannot isolate handler `snoop`: it imports {OUTGOING}, and is granted no outbound hosts"
        )),
        "{error}"
    );
}

#[test]
fn handlers_without_state_variables_or_calls_need_no_adapter() {
    let needs = |imports: &[&'static str]| needs_isolation(imports.iter().copied());
    assert_eq!(needs(&["wasi:http/types@0.2.6"]), IsolationNeeds::default());
    assert_eq!(
        needs(&[
            "wasi:keyvalue/store@0.2.0-draft2",
            "wasi:keyvalue/atomics@0.2.0-draft2"
        ]),
        IsolationNeeds {
            key_value: true,
            ..IsolationNeeds::default()
        }
    );
    assert_eq!(
        needs(&[CONFIG, "wasi:io/error@0.2.6"]),
        IsolationNeeds {
            config: true,
            ..IsolationNeeds::default()
        }
    );
    assert_eq!(
        needs(&[
            "wasi:http/types@0.2.10",
            "wasi:http/outgoing-handler@0.2.10"
        ]),
        IsolationNeeds {
            outbound_http: true,
            ..IsolationNeeds::default()
        }
    );
}
