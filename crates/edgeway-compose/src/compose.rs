use wac_graph::types::{ItemKind, Package};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

use crate::isolate::{Isolation, isolate};
use crate::{CONTRACT, EVENTS, INBOUND_REDIS};

/// The HTTP exports a gateway may have: WASI 0.2's, or WASI 0.3's (the composed app exports
/// the one it has).
const HTTP_EXPORTS: [&str; 2] = ["wasi:http/incoming-handler@0.2", "wasi:http/handler@0.3"];

/// A handler component to compose.
pub struct Handler<'a> {
    /// The name the gateway imports it under.
    pub name: &'a str,
    /// The component's bytes.
    pub wasm: &'a [u8],
    /// Whether the gateway calls it for requests (it must export the contract).
    pub http: bool,
    /// Whether the gateway delivers events to it (it must export the event interface).
    pub events: bool,
}

/// Why the components could not be composed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComposeError {
    /// A component could not be read.
    #[error("`{name}` is not a valid component: {reason}")]
    InvalidComponent {
        /// The gateway's or the handler's name.
        name: String,
        /// What the parser said.
        reason: String,
    },
    /// A handler does not export the interface the manifest needs of it.
    #[error("handler `{name}` does not export `{interface}` (it exports: {exports})")]
    MissingContract {
        /// The handler's name.
        name: String,
        /// The interface it lacks: the contract, or the event interface.
        interface: &'static str,
        /// What it exports instead.
        exports: String,
    },
    /// The gateway does not import a handler it was given, or its import does not fit.
    #[error("cannot wire handler `{name}` into the gateway: {reason}")]
    Wiring {
        /// The handler's name.
        name: String,
        /// What the graph said.
        reason: String,
    },
    /// A handler imports `wasi:keyvalue` or `wasi:config` and cannot be given an adapter
    /// of its own.
    #[error("cannot isolate handler `{name}`: {reason}")]
    Isolation {
        /// The handler's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Encoding or validating the composed component failed.
    #[error("the composed component is invalid: {0}")]
    Encode(String),
}

/// Composes `gateway` with `handlers` into one component that exports only the gateway's
/// `wasi:http/incoming-handler@0.2` or `wasi:http/handler@0.3`. Exports a handler has beyond the contract (componentize-py
/// adds `init`, for example) are ignored. A handler that imports `wasi:keyvalue` or
/// `wasi:config` is refused: see [`compose_isolated`].
pub fn compose(gateway: &[u8], handlers: &[Handler<'_>]) -> Result<Vec<u8>, ComposeError> {
    compose_isolated(gateway, handlers, &Isolation::default())
}

/// Like [`compose`], with each handler's `wasi:keyvalue` and `wasi:config` imports wired
/// to adapter instances of its own (see [`Isolation`]).
pub fn compose_isolated(
    gateway: &[u8],
    handlers: &[Handler<'_>],
    isolation: &Isolation<'_>,
) -> Result<Vec<u8>, ComposeError> {
    let mut graph = CompositionGraph::new();
    let gateway_package = register(&mut graph, "edgeway:gateway-component", gateway)?;
    // (import name, the handler's instance of the interface, the function)
    let mut wires: Vec<(String, &str, NodeId, &str)> = Vec::new();
    let mut contract_instances = Vec::new();
    let mut event_instances = Vec::new();
    for handler in handlers {
        let package = register(
            &mut graph,
            &format!("edgeway:handler-{}", handler.name),
            handler.wasm,
        )?;
        let exports = &graph.types()[graph[package].ty()].exports;
        let needed = [(handler.http, CONTRACT), (handler.events, EVENTS)];
        if let Some(&(_, interface)) = needed
            .iter()
            .find(|(needed, interface)| *needed && !exports.contains_key(*interface))
        {
            let names: Vec<&str> = exports.keys().map(String::as_str).collect();
            return Err(ComposeError::MissingContract {
                name: handler.name.to_owned(),
                interface,
                exports: if names.is_empty() {
                    "nothing".into()
                } else {
                    names.join(", ")
                },
            });
        }
        let instance = graph.instantiate(package);
        isolate(&mut graph, isolation, handler.name, package, instance)?;
        if handler.http {
            let contract = graph
                .alias_instance_export(instance, CONTRACT)
                .map_err(|e| wiring(handler.name, e))?;
            contract_instances.push((handler.name, contract));
            wires.push((handler.name.to_owned(), handler.name, contract, "handle"));
        }
        if handler.events {
            let events = graph
                .alias_instance_export(instance, EVENTS)
                .map_err(|e| wiring(handler.name, e))?;
            event_instances.push((handler.name, events));
            wires.push((
                format!("{}-deliver", handler.name),
                handler.name,
                events,
                "deliver",
            ));
        }
    }

    let gateway_instance = graph.instantiate(gateway_package);
    for (import, name, interface, function) in &wires {
        let function = graph
            .alias_instance_export(*interface, function)
            .map_err(|e| wiring(name, e))?;
        graph
            .set_instantiation_argument(gateway_instance, import, function)
            .map_err(|e| wiring(name, e))?;
    }
    wire_contract_types(
        &mut graph,
        gateway_package,
        gateway_instance,
        &[
            (CONTRACT, contract_instances.first().copied()),
            (EVENTS, event_instances.first().copied()),
        ],
    )?;

    let http = graph[gateway_package].ty();
    let export_name = graph.types()[http]
        .exports
        .keys()
        .find(|name| HTTP_EXPORTS.iter().any(|http| name.starts_with(http)))
        .cloned()
        .ok_or_else(|| {
            ComposeError::Encode(format!(
                "the gateway exports neither {}.x",
                HTTP_EXPORTS.join(".x nor ")
            ))
        })?;
    let redis = graph.types()[http].exports.contains_key(INBOUND_REDIS);
    for export in std::iter::once(export_name.as_str()).chain(redis.then_some(INBOUND_REDIS)) {
        let item = graph
            .alias_instance_export(gateway_instance, export)
            .map_err(|e| ComposeError::Encode(e.to_string()))?;
        graph
            .export(item, export)
            .map_err(|e| ComposeError::Encode(e.to_string()))?;
    }
    graph
        .encode(EncodeOptions::default())
        .map_err(|e| ComposeError::Encode(chain(&e)))
}

/// The gateway imports the contract interface for its types only, and the types its world
/// `use`s as type imports (`request`, `response`, `problem`). Any handler's export of the
/// contract satisfies them, leaving the composed component without a non-WASI import.
fn wire_contract_types(
    graph: &mut CompositionGraph,
    gateway_package: wac_graph::PackageId,
    gateway_instance: NodeId,
    interfaces: &[(&str, Option<(&str, NodeId)>)],
) -> Result<(), ComposeError> {
    let imports: Vec<(String, bool)> = graph.types()[graph[gateway_package].ty()]
        .imports
        .iter()
        .map(|(import, kind)| (import.clone(), matches!(kind, ItemKind::Type(_))))
        .collect();
    let exporters: Vec<(&str, &str, NodeId)> = interfaces
        .iter()
        .filter_map(|&(interface, first)| first.map(|(name, node)| (interface, name, node)))
        .collect();
    for (import, is_type) in imports {
        let argument = if let Some(&(_, name, node)) = exporters
            .iter()
            .find(|(interface, ..)| *interface == import)
        {
            Some((name, node))
        } else if is_type {
            // A type `use`d by the world: the interface that has it.
            exporters.iter().find_map(|&(_, name, node)| {
                graph
                    .alias_instance_export(node, &import)
                    .ok()
                    .map(|alias| (name, alias))
            })
        } else {
            None
        };
        if let Some((name, argument)) = argument {
            graph
                .set_instantiation_argument(gateway_instance, &import, argument)
                .map_err(|e| wiring(name, e))?;
        }
    }
    Ok(())
}

pub(crate) fn register(
    graph: &mut CompositionGraph,
    name: &str,
    wasm: &[u8],
) -> Result<wac_graph::PackageId, ComposeError> {
    let invalid = |reason: String| ComposeError::InvalidComponent {
        name: name.to_owned(),
        reason,
    };
    let package = Package::from_bytes(name, None, wasm.to_vec(), graph.types_mut())
        .map_err(|e| invalid(format!("{e:#}")))?;
    graph
        .register_package(package)
        .map_err(|e| invalid(e.to_string()))
}

/// An error and its causes, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub(crate) fn wiring(name: &str, error: impl std::fmt::Display) -> ComposeError {
    ComposeError::Wiring {
        name: name.to_owned(),
        reason: error.to_string(),
    }
}
