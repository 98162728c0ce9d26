use wac_graph::types::{ItemKind, Package};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

use crate::CONTRACT;
use crate::isolate::{Isolation, isolate};

/// A handler component to compose.
pub struct Handler<'a> {
    /// The name the gateway imports it under.
    pub name: &'a str,
    /// The component's bytes.
    pub wasm: &'a [u8],
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
    /// A handler does not export the contract.
    #[error("handler `{name}` does not export `{CONTRACT}` (it exports: {exports})")]
    MissingContract {
        /// The handler's name.
        name: String,
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
/// `wasi:http/incoming-handler`. Exports a handler has beyond the contract (componentize-py
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
    let mut contract_instances = Vec::new();
    for handler in handlers {
        let package = register(
            &mut graph,
            &format!("edgeway:handler-{}", handler.name),
            handler.wasm,
        )?;
        let exports = &graph.types()[graph[package].ty()].exports;
        if !exports.contains_key(CONTRACT) {
            let names: Vec<&str> = exports.keys().map(String::as_str).collect();
            return Err(ComposeError::MissingContract {
                name: handler.name.to_owned(),
                exports: if names.is_empty() {
                    "nothing".into()
                } else {
                    names.join(", ")
                },
            });
        }
        let instance = graph.instantiate(package);
        isolate(&mut graph, isolation, handler.name, package, instance)?;
        let contract = graph
            .alias_instance_export(instance, CONTRACT)
            .map_err(|e| wiring(handler.name, e))?;
        contract_instances.push((handler.name, contract));
    }

    let gateway_instance = graph.instantiate(gateway_package);
    for &(name, contract) in &contract_instances {
        let handle = graph
            .alias_instance_export(contract, "handle")
            .map_err(|e| wiring(name, e))?;
        graph
            .set_instantiation_argument(gateway_instance, name, handle)
            .map_err(|e| wiring(name, e))?;
    }
    wire_contract_types(
        &mut graph,
        gateway_package,
        gateway_instance,
        &contract_instances,
    )?;

    let http = graph[gateway_package].ty();
    let export_name = graph.types()[http]
        .exports
        .keys()
        .find(|name| name.starts_with("wasi:http/incoming-handler@0.2"))
        .cloned()
        .ok_or_else(|| {
            ComposeError::Encode(
                "the gateway does not export wasi:http/incoming-handler@0.2.x".into(),
            )
        })?;
    let incoming = graph
        .alias_instance_export(gateway_instance, &export_name)
        .map_err(|e| ComposeError::Encode(e.to_string()))?;
    graph
        .export(incoming, export_name)
        .map_err(|e| ComposeError::Encode(e.to_string()))?;
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
    contract_instances: &[(&str, NodeId)],
) -> Result<(), ComposeError> {
    let Some(&(name, contract)) = contract_instances.first() else {
        return Ok(());
    };
    let imports: Vec<(String, bool)> = graph.types()[graph[gateway_package].ty()]
        .imports
        .iter()
        .map(|(import, kind)| (import.clone(), matches!(kind, ItemKind::Type(_))))
        .collect();
    for (import, is_type) in imports {
        let argument = if import == CONTRACT {
            contract
        } else if is_type {
            graph
                .alias_instance_export(contract, &import)
                .map_err(|e| wiring(name, e))?
        } else {
            continue;
        };
        graph
            .set_instantiation_argument(gateway_instance, &import, argument)
            .map_err(|e| wiring(name, e))?;
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
