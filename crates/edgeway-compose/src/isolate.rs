//! Isolation adapters: composed between the host and each handler that imports
//! `wasi:keyvalue`, `wasi:config` or `wasi:http/outgoing-handler`, so that no handler reaches
//! another's keys, the gateway's variables, or a host granted only to another.
//!
//! The gateway and every handler are composed into one component, and an import the graph
//! leaves open becomes one import of that component: without adapters, every handler would
//! share the gateway's store (and read or overwrite any key, rate-limit counters included)
//! and its variables (API keys, JWT secrets). With them, a handler's `wasi:keyvalue` imports
//! are wired to its own instance of the key-value adapter, which prefixes its keys with
//! `<handler>/`, its `wasi:config` import to its own instance of the config adapter,
//! which answers only the variables granted to it, and its `wasi:http/outgoing-handler`
//! import to its own instance of the outbound adapter, which sends requests only to the hosts
//! granted to it. Each adapter instance costs one linear memory.
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
    /// The outbound HTTP adapter (`components/adapters/outbound-http`), for handlers that
    /// import `wasi:http/outgoing-handler`.
    pub outbound_http: Option<&'a [u8]>,
    /// What each handler is given; a handler not listed is given nothing.
    pub grants: &'a [Grant<'a>],
}

/// What one handler is given.
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    /// The handler's name.
    pub handler: &'a str,
    /// The names of the variables it may read.
    pub variables: &'a [String],
    /// The hosts it may call, in Spin's `allowed_outbound_hosts` syntax.
    pub outbound_hosts: &'a [String],
}

/// Which adapters a handler needs, from its imports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IsolationNeeds {
    /// It imports `wasi:keyvalue`.
    pub key_value: bool,
    /// It imports `wasi:config`.
    pub config: bool,
    /// It imports `wasi:http/outgoing-handler`.
    pub outbound_http: bool,
}

/// The interfaces an adapter stands in for, by prefix of their names.
struct Adapter<'a> {
    /// `wasi:keyvalue/`, `wasi:config/` or `wasi:http/outgoing-handler`.
    prefix: &'static str,
    /// How errors name it.
    label: &'static str,
    wasm: Option<&'a [u8]>,
    /// What of a handler's grant it is given.
    entries: fn(&Grant<'a>) -> &'a [String],
    /// Whether a handler given none of those may still import the interfaces.
    empty_allowed: bool,
}

const KEY_VALUE: &str = "wasi:keyvalue/";
const CONFIG: &str = "wasi:config/";
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler";

impl<'a> Isolation<'a> {
    fn adapters(&self) -> [Adapter<'a>; 3] {
        [
            Adapter {
                prefix: KEY_VALUE,
                label: "key-value",
                wasm: self.key_value,
                entries: |_| &[],
                empty_allowed: true,
            },
            Adapter {
                prefix: CONFIG,
                label: "config",
                wasm: self.config,
                entries: |grant| grant.variables,
                empty_allowed: true,
            },
            Adapter {
                prefix: OUTGOING_HANDLER,
                label: "outbound HTTP",
                wasm: self.outbound_http,
                entries: |grant| grant.outbound_hosts,
                empty_allowed: false,
            },
        ]
    }

    fn grant(&self, handler: &str) -> Option<&Grant<'a>> {
        self.grants.iter().find(|grant| grant.handler == handler)
    }
}

/// Which adapters a component with `imports` needs.
pub fn needs_isolation<'a>(imports: impl IntoIterator<Item = &'a str>) -> IsolationNeeds {
    imports
        .into_iter()
        .fold(IsolationNeeds::default(), |needs, name| IsolationNeeds {
            key_value: needs.key_value || name.starts_with(KEY_VALUE),
            config: needs.config || name.starts_with(CONFIG),
            outbound_http: needs.outbound_http || name.starts_with(OUTGOING_HANDLER),
        })
}

/// Wires the `wasi:keyvalue`, `wasi:config` and `wasi:http/outgoing-handler` imports of the
/// handler `name` (instance `instance` of `package`) to adapter instances of its own.
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
        let entries = isolation.grant(name).map_or(&[][..], adapter.entries);
        if entries.is_empty() && !adapter.empty_allowed {
            return Err(refuse(format!(
                "it imports {}, and is granted no outbound hosts; list the hosts it calls in its `allowed_outbound_hosts`",
                imports.join(", ")
            )));
        }
        let Some(wasm) = adapter.wasm else {
            return Err(refuse(format!(
                "it imports {}, and no {} adapter was given to isolate it",
                imports.join(", "),
                adapter.label
            )));
        };
        let granted = write_grant(wasm, name, entries).map_err(|e| refuse(e.to_string()))?;
        let adapter_package = register(
            graph,
            &format!("edgeway:{}-adapter-{name}", adapter.label.replace(' ', "-")),
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
