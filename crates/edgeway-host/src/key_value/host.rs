//! The host functions of `wasi:keyvalue@0.2.0-draft2`, mirroring Spin's
//! (`spin-factor-key-value`): every SQLite call runs on the blocking pool.
//!
//! A failed resource-table lookup traps (a guest cannot name a handle it
//! does not own, so that is a host bug); storage failures are
//! `error::other(<message>)`.

use std::sync::Arc;

use wasmtime::component::Resource;

use super::bindings::wasi::keyvalue::atomics::{self, CasError};
use super::bindings::wasi::keyvalue::batch;
use super::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};
use super::sqlite::{SqliteStore, StoreError};
use super::{Bucket, Cas, KeyValueView};

/// A host call's result: the outer error traps, the inner one goes to the guest.
type HostResult<T, E = Error> = wasmtime::Result<Result<T, E>>;

/// Runs `op` on the blocking pool and turns its failure into the WIT error.
async fn blocking<R: Send + 'static>(
    store: &Arc<SqliteStore>,
    op: impl FnOnce(&SqliteStore) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, Error> {
    let store = store.clone();
    match tokio::task::spawn_blocking(move || op(&store)).await {
        Ok(result) => result.map_err(|e| Error::Other(e.to_string())),
        Err(join) => Err(Error::Other(format!(
            "the key-value operation failed: {join}"
        ))),
    }
}

impl KeyValueView<'_> {
    fn store(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<Arc<SqliteStore>> {
        Ok(self.table.get(bucket)?.store.clone())
    }

    /// A new `cas` handle for `key`, expecting its current value.
    async fn new_cas(&mut self, store: Arc<SqliteStore>, key: String) -> HostResult<Resource<Cas>> {
        let read_key = key.clone();
        let expected = match blocking(&store, move |s| s.get(&read_key)).await {
            Ok(expected) => expected,
            Err(e) => return Ok(Err(e)),
        };
        let cas = Cas {
            store,
            key,
            expected,
        };
        Ok(Ok(self.table.push(cas)?))
    }
}

impl store::Host for KeyValueView<'_> {
    async fn open(&mut self, identifier: String) -> HostResult<Resource<Bucket>> {
        if !self.stores.allows(&identifier) {
            return Ok(Err(Error::AccessDenied));
        }
        let stores = self.stores.clone();
        let opened = tokio::task::spawn_blocking(move || stores.open_blocking(&identifier)).await;
        let store = match opened {
            Ok(Ok(store)) => store,
            Ok(Err(e)) => return Ok(Err(Error::Other(e.to_string()))),
            Err(join) => {
                return Ok(Err(Error::Other(format!(
                    "opening the store failed: {join}"
                ))));
            }
        };
        Ok(Ok(self.table.push(Bucket { store })?))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<Option<Vec<u8>>> {
        let store = self.store(&bucket)?;
        Ok(blocking(&store, move |s| s.get(&key)).await)
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> HostResult<()> {
        let store = self.store(&bucket)?;
        Ok(blocking(&store, move |s| s.set(&key, &value)).await)
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<()> {
        let store = self.store(&bucket)?;
        Ok(blocking(&store, move |s| s.delete(&key)).await)
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<bool> {
        let store = self.store(&bucket)?;
        Ok(blocking(&store, move |s| s.exists(&key)).await)
    }

    /// All keys in one response, as Spin answers: `cursor` is always `none`,
    /// and a call with a cursor fails with Spin's message.
    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> HostResult<KeyResponse> {
        let store = self.store(&bucket)?;
        if cursor.is_some() {
            return Ok(Err(Error::Other(
                "list_keys: cursor not supported".to_owned(),
            )));
        }
        let keys = blocking(&store, |s| s.keys()).await;
        Ok(keys.map(|keys| KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl batch::Host for KeyValueView<'_> {
    /// Only the keys that exist, each once (Spin's SQLite store leaves absent
    /// keys out rather than returning them with `none`).
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> HostResult<Vec<(String, Option<Vec<u8>>)>> {
        let store = self.store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let found = blocking(&store, move |s| s.get_many(&keys)).await;
        Ok(found.map(|pairs| pairs.into_iter().map(|(k, v)| (k, Some(v))).collect()))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> HostResult<()> {
        let store = self.store(&bucket)?;
        if key_values.is_empty() {
            return Ok(Ok(()));
        }
        Ok(blocking(&store, move |s| s.set_many(&key_values)).await)
    }

    async fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> HostResult<()> {
        let store = self.store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        Ok(blocking(&store, move |s| s.delete_many(&keys)).await)
    }
}

impl atomics::Host for KeyValueView<'_> {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> HostResult<i64> {
        let store = self.store(&bucket)?;
        Ok(blocking(&store, move |s| s.increment(&key, delta)).await)
    }

    /// Swaps if the value is still the one `cas` expects; otherwise returns
    /// `cas-failed` with a new handle expecting the value now stored.
    async fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> HostResult<(), CasError> {
        let Cas {
            store,
            key,
            expected,
        } = self.table.delete(cas)?;
        let swap_key = key.clone();
        let swapped = blocking(&store, move |s| {
            s.swap(&swap_key, expected.as_deref(), &value)
        })
        .await;
        match swapped {
            Ok(true) => Ok(Ok(())),
            Ok(false) => Ok(match self.new_cas(store, key).await? {
                Ok(retry) => Err(CasError::CasFailed(retry)),
                Err(e) => Err(CasError::StoreError(e)),
            }),
            Err(e) => Ok(Err(CasError::StoreError(e))),
        }
    }
}

impl atomics::HostCas for KeyValueView<'_> {
    /// Starts a compare-and-swap on `key`, expecting the value it has now.
    async fn new(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<Resource<Cas>> {
        let store = self.store(&bucket)?;
        self.new_cas(store, key).await
    }

    /// Reads the value again; the swap then expects this value (as in Spin).
    async fn current(&mut self, cas: Resource<Cas>) -> HostResult<Option<Vec<u8>>> {
        let entry = self.table.get(&cas)?;
        let (store, key) = (entry.store.clone(), entry.key.clone());
        let value = match blocking(&store, move |s| s.get(&key)).await {
            Ok(value) => value,
            Err(e) => return Ok(Err(e)),
        };
        self.table.get_mut(&cas)?.expected.clone_from(&value);
        Ok(Ok(value))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
