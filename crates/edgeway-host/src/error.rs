//! The error type of [`Host::bind`](crate::Host::bind) and [`Host::serve`](crate::Host::serve).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the host could not start (or stopped serving).
///
/// Every variant says what to look at; the ones that wrap a Wasmtime error
/// carry its full message chain as text, because `wasmtime::Error` is not a
/// `std::error::Error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A [`HostConfig`](crate::HostConfig) field has a value the host cannot use.
    #[error("invalid host configuration: `{field}` {problem}")]
    InvalidConfig {
        /// The offending field of `HostConfig`.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },

    /// The trigger route is not a route Spin would accept.
    #[error("invalid trigger route {route:?}: {problem}")]
    InvalidRoute {
        /// The route as given.
        route: String,
        /// What is wrong with it.
        problem: String,
    },

    /// The Wasmtime engine could not be created with the pooling settings.
    #[error("cannot create the Wasmtime engine: {reason}")]
    Engine {
        /// Wasmtime's message.
        reason: String,
    },

    /// The component file could not be read.
    #[error("cannot read component {path}")]
    ReadComponent {
        /// The component path from the configuration.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Wasmtime rejected the component: invalid Wasm, or over a pooling limit
    /// (for example more than 32 linear memories, exactly as Spin refuses it).
    #[error("cannot load component {path}: {reason}")]
    Compile {
        /// The component path from the configuration.
        path: PathBuf,
        /// Wasmtime's message, with its causes.
        reason: String,
    },

    /// The component imports something the host does not provide, or does not
    /// export exactly one of `wasi:http/incoming-handler@0.2.x` and
    /// `wasi:http/handler@0.3.x`.
    #[error(
        "component {path} cannot run here: {reason} (a component must export \
         wasi:http/incoming-handler@0.2.x or wasi:http/handler@0.3.x and import only \
         WASI 0.2 and 0.3 interfaces)"
    )]
    Link {
        /// The component path from the configuration.
        path: PathBuf,
        /// Wasmtime's message, with its causes.
        reason: String,
    },

    /// The key-value directory could not be created.
    #[error("cannot create the key-value directory {path}")]
    KeyValueDir {
        /// The configured `key_value_dir`.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A key-value store could not be opened or read from outside a component
    /// ([`KeyValueStore`](crate::KeyValueStore)).
    #[error("key-value store `{label}`: {reason}")]
    KeyValue {
        /// The store's label.
        label: String,
        /// What failed (the backend's message).
        reason: String,
    },

    /// A runtime config file (Spin's `--runtime-config-file`) could not be read or says
    /// something the host cannot use.
    #[error("runtime config {path}: {problem}")]
    RuntimeConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the table or key, e.g.
        /// `[key_value_store.default] type = "azure_cosmos" is not supported ...`.
        problem: String,
    },

    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The configured listen address.
        addr: SocketAddr,
        /// The I/O error (for example: address already in use).
        #[source]
        source: std::io::Error,
    },

    /// Writing the `Serving ...` line to stdout failed.
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

/// Formats a Wasmtime error with all its causes on one line.
pub(crate) fn chain(error: &wasmtime::Error) -> String {
    format!("{error:#}")
}
