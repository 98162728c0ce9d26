//! Spin's key-value interfaces: `wasi:keyvalue@0.2.0-draft2` (`store`,
//! `atomics`, `batch`), the version Spin provides, with Spin's semantics.
//!
//! - A component may open only the stores it declares (spin.toml
//!   `key_value_stores`, [`AppComponent::key_value_stores`]); `open` of any
//!   other label returns `error::access-denied`, as Spin does. (Spin refuses
//!   to start an app that declares a store no runtime config defines, so
//!   `no-such-store` does not occur at run time there either.)
//! - By default each declared store is the SQLite file `<key_value_dir>/<label>.db`,
//!   created when a component first opens it; data outlives instances and
//!   host restarts. One connection per store is shared by all instances.
//!   `atomics.increment` keeps counters as 8-byte little-endian s64 values
//!   (Spin's format) and is atomic across concurrent instances.
//! - A label given a [`KeyValueBackend`] in [`HostConfig::key_value_backends`] (what
//!   Spin's runtime config file says, see `runtime_config`) uses that backend instead:
//!   another SQLite file, SQLite in memory, or a Redis server, stored the way Spin's
//!   Redis backend stores it (`redis`).
//!
//! The WIT is in `wit/keyvalue-2024-10-17`; the host functions are in `host`,
//! the backends in `store`, `sqlite` and `redis`. [`KeyValueStore`] reads a
//! store from outside a component (the CLI's dead-letter listing).
//!
//! [`AppComponent::key_value_stores`]: crate::AppComponent::key_value_stores
//! [`HostConfig::key_value_backends`]: crate::HostConfig::key_value_backends

mod host;
mod redis_store;
mod sqlite;
mod store;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};

use crate::error::HostError;
use redis_store::RedisStore;
use sqlite::{SqliteStore, StoreError};
use store::Store;

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

/// Where one store keeps its data (Spin's `[key_value_store.<label>]` in a runtime config
/// file). A label without one is the SQLite file `<key_value_dir>/<label>.db`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyValueBackend {
    /// A SQLite database file, created if missing (Spin's `type = "spin"` with a `path`).
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// A SQLite database in memory, empty at every start (Spin's `type = "spin"` without a
    /// `path`).
    SqliteInMemory,
    /// A Redis server (Spin's `type = "redis"`): keys are Redis keys exactly as the
    /// component writes them, values Redis strings holding its bytes, `increment` is
    /// `INCRBY`, as Spin's Redis backend keeps them.
    Redis {
        /// The server, e.g. `redis://127.0.0.1:6379` (a `/<db>` path picks the database).
        url: String,
    },
}

/// Every store the app may open, by label, opened on first use and shared by all the app's
/// components.
#[derive(Clone)]
struct Opened {
    dir: PathBuf,
    backends: Arc<BTreeMap<String, KeyValueBackend>>,
    open: Arc<tokio::sync::Mutex<HashMap<String, Store>>>,
}

impl Opened {
    /// The store `label`, opening (or connecting to) it on first use.
    async fn open(&self, label: &str) -> Result<Store, StoreError> {
        let mut open = self.open.lock().await;
        if let Some(store) = open.get(label) {
            return Ok(store.clone());
        }
        let store = match self.backends.get(label) {
            Some(KeyValueBackend::Redis { url }) => {
                Store::Redis(Arc::new(RedisStore::connect(url).await?))
            }
            Some(KeyValueBackend::SqliteInMemory) => {
                Store::Sqlite(Arc::new(SqliteStore::open_in_memory()?))
            }
            Some(KeyValueBackend::Sqlite { path }) => {
                Store::Sqlite(open_sqlite(path.clone()).await?)
            }
            None => Store::Sqlite(open_sqlite(self.dir.join(format!("{label}.db"))).await?),
        };
        open.insert(label.to_owned(), store.clone());
        Ok(store)
    }
}

/// Opens a SQLite file on the blocking pool.
async fn open_sqlite(path: PathBuf) -> Result<Arc<SqliteStore>, StoreError> {
    tokio::task::spawn_blocking(move || SqliteStore::open(&path).map(Arc::new))
        .await
        .map_err(|join| StoreError::Task(join.to_string()))?
}

/// The key-value stores of the served component, shared by all its
/// instances.
pub(crate) struct KeyValueStores {
    /// The labels the component declares.
    allowed: BTreeSet<String>,
    opened: Opened,
}

impl KeyValueStores {
    /// Stores for the labels `allowed` (already validated) under `dir`,
    /// which is created if missing, with the `backends` of labels that are not files there.
    pub(crate) fn new(
        dir: &Path,
        backends: &BTreeMap<String, KeyValueBackend>,
        allowed: &[String],
    ) -> Result<Self, HostError> {
        std::fs::create_dir_all(dir).map_err(|source| HostError::KeyValueDir {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            allowed: allowed.iter().cloned().collect(),
            opened: Opened {
                dir: dir.to_owned(),
                backends: Arc::new(backends.clone()),
                open: Arc::default(),
            },
        })
    }

    /// The same stores (one connection each, whichever component opens them), for another
    /// component that declares the labels `allowed`.
    pub(crate) fn for_component(&self, allowed: &[String]) -> Self {
        Self {
            allowed: allowed.iter().cloned().collect(),
            opened: self.opened.clone(),
        }
    }

    /// Whether the component declared `label`.
    fn allows(&self, label: &str) -> bool {
        self.allowed.contains(label)
    }
}

/// One store read from outside a component, e.g. by the CLI listing dead letters.
///
/// ```no_run
/// # async fn run() -> Result<(), edgeway_host::HostError> {
/// use std::collections::BTreeMap;
/// use edgeway_host::KeyValueStore;
///
/// let store = KeyValueStore::open(".edgeway/key-value".as_ref(), &BTreeMap::new(), "default").await?;
/// for key in store.keys_with_prefix("edgeway:dead-letter:").await? {
///     let value = store.get(&key).await?.unwrap_or_default();
///     println!("{key}: {}", String::from_utf8_lossy(&value));
/// }
/// # Ok(()) }
/// ```
pub struct KeyValueStore {
    label: String,
    store: Store,
}

impl KeyValueStore {
    /// Opens the store `label` as the host would: its backend from `backends` (e.g. from
    /// [`parse_runtime_config`](crate::parse_runtime_config)), else the SQLite file
    /// `<key_value_dir>/<label>.db` (created if missing, like the folder).
    pub async fn open(
        key_value_dir: &Path,
        backends: &BTreeMap<String, KeyValueBackend>,
        label: &str,
    ) -> Result<KeyValueStore, HostError> {
        let stores = KeyValueStores::new(key_value_dir, backends, &[])?;
        let store = stores
            .opened
            .open(label)
            .await
            .map_err(|e| error(label, e))?;
        Ok(KeyValueStore {
            label: label.to_owned(),
            store,
        })
    }

    /// The keys that start with `prefix`, in ascending order.
    pub async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, HostError> {
        let keys = self.store.keys_with_prefix(prefix.to_owned()).await;
        keys.map_err(|e| error(&self.label, e))
    }

    /// The value of `key`, if it has one.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        let value = self.store.get(key.to_owned()).await;
        value.map_err(|e| error(&self.label, e))
    }

    /// Sets `key` to `value`.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), HostError> {
        let set = self.store.set(key.to_owned(), value.to_vec()).await;
        set.map_err(|e| error(&self.label, e))
    }

    /// Removes `key`; nothing happens if it is absent.
    pub async fn delete(&self, key: &str) -> Result<(), HostError> {
        let deleted = self.store.delete(key.to_owned()).await;
        deleted.map_err(|e| error(&self.label, e))
    }
}

fn error(label: &str, error: StoreError) -> HostError {
    HostError::KeyValue {
        label: label.to_owned(),
        reason: error.to_string(),
    }
}

/// An open store, as the guest's `bucket` resource (`pub` because the
/// generated bindings re-export it; the module is private).
pub struct Bucket {
    store: Store,
}

/// A compare-and-swap in progress, as the guest's `cas` resource: the key
/// and the value the swap expects to replace (`None`: the key is absent).
pub struct Cas {
    store: Store,
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
