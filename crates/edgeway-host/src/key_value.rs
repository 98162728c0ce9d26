//! Spin's key-value interfaces: `wasi:keyvalue@0.2.0-draft2` (`store`,
//! `atomics`, `batch`), the version Spin provides, with Spin's semantics.
//!
//! - A component may open only the stores it declares (spin.toml
//!   `key_value_stores`, [`AppComponent::key_value_stores`]); `open` of any
//!   other label returns `error::access-denied`, as Spin does. (Spin refuses
//!   to start an app that declares a store no runtime config defines, so
//!   `no-such-store` does not occur at run time there either.)
//! - Each declared store is the SQLite file `<key_value_dir>/<label>.db`,
//!   created when a component first opens it; data outlives instances and
//!   host restarts. One connection per store is shared by all instances.
//! - `atomics.increment` keeps counters as 8-byte little-endian s64 values
//!   (Spin's format) and is atomic across concurrent instances.
//!
//! The WIT is in `wit/keyvalue-2024-10-17`; the host functions are in `host`
//! and the storage in `sqlite`.
//!
//! [`AppComponent::key_value_stores`]: crate::AppComponent::key_value_stores

mod host;
mod sqlite;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use wasmtime::component::{HasData, Linker, ResourceTable};

use crate::error::HostError;
use sqlite::{SqliteStore, StoreError};

/// Host bindings generated from the vendored WIT.
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/keyvalue-2024-10-17",
        world: "wasi:keyvalue/imports",
        imports: { default: async | trappable },
        with: {
            "wasi:keyvalue/store.bucket": crate::key_value::Bucket,
            "wasi:keyvalue/atomics.cas": crate::key_value::Cas,
        },
    });
}

/// The key-value stores of the served component, shared by all its
/// instances.
pub(crate) struct KeyValueStores {
    dir: PathBuf,
    /// The labels the component declares.
    allowed: BTreeSet<String>,
    /// The stores opened so far, by label; shared by all the app's components.
    open: Arc<Mutex<HashMap<String, Arc<SqliteStore>>>>,
}

impl KeyValueStores {
    /// Stores for the labels `allowed` (already validated) under `dir`,
    /// which is created if missing.
    pub(crate) fn new(dir: &Path, allowed: &[String]) -> Result<Self, HostError> {
        std::fs::create_dir_all(dir).map_err(|source| HostError::KeyValueDir {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            dir: dir.to_owned(),
            allowed: allowed.iter().cloned().collect(),
            open: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// The same stores (one connection each, whichever component opens them), for another
    /// component that declares the labels `allowed`.
    pub(crate) fn for_component(&self, allowed: &[String]) -> Self {
        Self {
            dir: self.dir.clone(),
            allowed: allowed.iter().cloned().collect(),
            open: self.open.clone(),
        }
    }

    /// Whether the component declared `label`.
    fn allows(&self, label: &str) -> bool {
        self.allowed.contains(label)
    }

    /// The store for the declared `label`, opening its file on first use.
    /// Blocking.
    fn open_blocking(&self, label: &str) -> Result<Arc<SqliteStore>, StoreError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = open.get(label) {
            return Ok(store.clone());
        }
        let store = Arc::new(SqliteStore::open(&self.dir.join(format!("{label}.db")))?);
        open.insert(label.to_owned(), store.clone());
        Ok(store)
    }
}

/// An open store, as the guest's `bucket` resource (`pub` because the
/// generated bindings re-export it; the module is private).
pub struct Bucket {
    store: Arc<SqliteStore>,
}

/// A compare-and-swap in progress, as the guest's `cas` resource: the key
/// and the value the swap expects to replace (`None`: the key is absent).
pub struct Cas {
    store: Arc<SqliteStore>,
    key: String,
    expected: Option<Vec<u8>>,
}

/// What the key-value host functions of one instance reach: its resource
/// table and the shared stores.
pub(crate) struct KeyValueView<'a> {
    /// The instance's resource table (shared with WASI).
    pub(crate) table: &'a mut ResourceTable,
    /// The component's stores.
    pub(crate) stores: &'a Arc<KeyValueStores>,
}

struct HasKeyValue;

impl HasData for HasKeyValue {
    type Data<'a> = KeyValueView<'a>;
}

/// Adds `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` to `linker`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KeyValueView<'_>,
) -> wasmtime::Result<()> {
    bindings::Imports::add_to_linker::<T, HasKeyValue>(linker, view)
}

#[cfg(test)]
mod tests;
