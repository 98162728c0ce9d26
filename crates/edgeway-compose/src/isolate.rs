//! Isolation adapters: composed between the host and each handler that imports
//! `wasi:keyvalue` or `wasi:config`, so that no handler reaches another's keys or the
//! gateway's variables.
//!
//! The gateway and every handler are composed into one component, and an import the graph
//! leaves open becomes one import of that component: without adapters, every handler would
//! share the gateway's store (and read or overwrite any key, rate-limit counters included)
//! and its variables (API keys, JWT secrets). With them, a handler's `wasi:keyvalue` imports
//! are wired to its own instance of the key-value adapter, which prefixes its keys with
//! `<handler>/`, and its `wasi:config` import to its own instance of the config adapter,
//! which answers only the variables granted to it. Each adapter instance costs one linear
//! memory.
use wac_graph::{CompositionGraph, NodeId, PackageId};

use crate::compose::{register, wiring};
use crate::{ComposeError, write_grant};

/// The adapters, and what each handler is granted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Isolation<'a> {
    /// The key-value adapter (`components/adapters/key-value`), for handlers that import
    /// `wasi:keyvalue`.
    pub key_value: Option<&'a [u8]>,
    /// The config adapter (`components/adapters/config`), for handlers that import
    /// `wasi:config`.
    pub config: Option<&'a [u8]>,
    /// The variables each handler may read; a handler not listed may read none.
    pub grants: &'a [Grant<'a>],
}

/// The variables one handler may read.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The handler's name.
    pub handler: &'a str,
    /// The names of its variables.
    pub variables: &'a [String],
}

/// The interfaces an adapter stands in for, by package prefix.
struct Adapter<'a> {
    /// `wasi:keyvalue/` or `wasi:config/`.
    prefix: &'static str,
    /// How errors name it.
    label: &'static str,
    wasm: Option<&'a [u8]>,
}

impl Isolation<'_> {
    fn adapters(&self) -> [Adapter<'_>; 2] {
        [
            Adapter {
                prefix: "wasi:keyvalue/",
                label: "key-value",
                wasm: self.key_value,
            },
            Adapter {
                prefix: "wasi:config/",
                label: "config",
                wasm: self.config,
            },
        ]
    }

    fn variables(&self, handler: &str) -> &[String] {
        self.grants
            .iter()
            .find(|grant| grant.handler == handler)
            .map_or(&[], |grant| grant.variables)
    }
}

/// Which interfaces of `imports` need an adapter: `(key-value, config)`.
pub fn needs_isolation<'a>(imports: impl IntoIterator<Item = &'a str>) -> (bool, bool) {
    imports
        .into_iter()
        .fold((false, false), |(kv, config), name| {
            (
                kv || name.starts_with("wasi:keyvalue/"),
                config || name.starts_with("wasi:config/"),
            )
        })
}

/// Wires the `wasi:keyvalue` and `wasi:config` imports of the handler `name` (instance
/// `instance` of `package`) to adapter instances of its own.
pub(crate) fn isolate(
    graph: &mut CompositionGraph,
    isolation: &Isolation<'_>,
    name: &str,
    package: PackageId,
    instance: NodeId,
) -> Result<(), ComposeError> {
    let refuse = |reason: String| ComposeError::Isolation {
        name: name.to_owned(),
        reason,
    };
    for adapter in isolation.adapters() {
        let imports: Vec<String> = graph.types()[graph[package].ty()]
            .imports
            .keys()
            .filter(|import| import.starts_with(adapter.prefix))
            .cloned()
            .collect();
        if imports.is_empty() {
            continue;
        }
        let Some(wasm) = adapter.wasm else {
            return Err(refuse(format!(
                "it imports {}, and no {} adapter was given to isolate it",
                imports.join(", "),
                adapter.label
            )));
        };
        let granted = write_grant(wasm, name, isolation.variables(name))
            .map_err(|e| refuse(e.to_string()))?;
        let adapter_package = register(
            graph,
            &format!("edgeway:{}-adapter-{name}", adapter.label),
            &granted,
        )?;
        let exports = &graph.types()[graph[adapter_package].ty()].exports;
        if let Some(missing) = imports.iter().find(|i| !exports.contains_key(*i)) {
            let provided: Vec<&str> = exports.keys().map(String::as_str).collect();
            return Err(refuse(format!(
                "it imports `{missing}`, which the {} adapter does not provide (it provides {}); build the handler against the versions in wit/deps",
                adapter.label,
                provided.join(", ")
            )));
        }
        let adapter_instance = graph.instantiate(adapter_package);
        for import in &imports {
            let export = graph
                .alias_instance_export(adapter_instance, import)
                .map_err(|e| wiring(name, e))?;
            graph
                .set_instantiation_argument(instance, import, export)
                .map_err(|e| wiring(name, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
