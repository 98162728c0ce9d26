//! The host functions of `wasi:keyvalue@0.2.0-draft2`, mirroring Spin's
//! (`spin-factor-key-value`), on whichever backend keeps the store (`store`).
//!
//! A failed resource-table lookup traps (a guest cannot name a handle it
//! does not own, so that is a host bug); storage failures are
//! `error::other(<message>)`.

use wasmtime::component::Resource;

use super::bindings::wasi::keyvalue::atomics::{self, CasError};
use super::bindings::wasi::keyvalue::batch;
use super::bindings::wasi::keyvalue::store::{self, Error, KeyResponse};
use super::sqlite::StoreError;
use super::store::Store;
use super::{Bucket, Cas, KeyValueView};

/// A host call's result: the outer error traps, the inner one goes to the guest.
type HostResult<T, E = Error> = wasmtime::Result<Result<T, E>>;

/// A storage failure as the WIT error.
fn other(error: StoreError) -> Error {
    Error::Other(error.to_string())
}

impl KeyValueView<'_> {
    fn store(&self, bucket: &Resource<Bucket>) -> wasmtime::Result<Store> {
        Ok(self.table.get(bucket)?.store.clone())
    }

    /// A new `cas` handle for `key`, expecting its current value.
    async fn new_cas(&mut self, store: Store, key: String) -> HostResult<Resource<Cas>> {
        let expected = match store.get(key.clone()).await {
            Ok(expected) => expected,
            Err(e) => return Ok(Err(other(e))),
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
        let store = match self.stores.opened.open(&identifier).await {
            Ok(store) => store,
            Err(e) => return Ok(Err(other(e))),
        };
        Ok(Ok(self.table.push(Bucket { store })?))
    }
}

impl store::HostBucket for KeyValueView<'_> {
    async fn get(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<Option<Vec<u8>>> {
        let store = self.store(&bucket)?;
        Ok(store.get(key).await.map_err(other))
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> HostResult<()> {
        let store = self.store(&bucket)?;
        Ok(store.set(key, value).await.map_err(other))
    }

    async fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<()> {
        let store = self.store(&bucket)?;
        Ok(store.delete(key).await.map_err(other))
    }

    async fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> HostResult<bool> {
        let store = self.store(&bucket)?;
        Ok(store.exists(key).await.map_err(other))
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
        let keys = store.keys().await.map_err(other);
        Ok(keys.map(|keys| KeyResponse { keys, cursor: None }))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl batch::Host for KeyValueView<'_> {
    /// With SQLite, only the keys that exist, each once (Spin's SQLite store leaves absent
    /// keys out rather than returning them with `none`); with Redis, every key asked for.
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> HostResult<Vec<(String, Option<Vec<u8>>)>> {
        let store = self.store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        Ok(store.get_many(keys).await.map_err(other))
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
        Ok(store.set_many(key_values).await.map_err(other))
    }

    async fn delete_many(&mut self, bucket: Resource<Bucket>, keys: Vec<String>) -> HostResult<()> {
        let store = self.store(&bucket)?;
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        Ok(store.delete_many(keys).await.map_err(other))
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
        Ok(store.increment(key, delta).await.map_err(other))
    }

    /// Swaps if the value is still the one `cas` expects; otherwise returns
    /// `cas-failed` with a new handle expecting the value now stored.
    async fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> HostResult<(), CasError> {
        let Cas {
            store,
            key,
            expected,
        } = self.table.delete(cas)?;
        let swapped = store.swap(key.clone(), expected, value).await;
        match swapped {
            Ok(true) => Ok(Ok(())),
            Ok(false) => Ok(match self.new_cas(store, key).await? {
                Ok(retry) => Err(CasError::CasFailed(retry)),
                Err(e) => Err(CasError::StoreError(e)),
            }),
            Err(e) => Ok(Err(CasError::StoreError(other(e)))),
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
        let value = match store.get(key).await {
            Ok(value) => value,
            Err(e) => return Ok(Err(other(e))),
        };
        self.table.get_mut(&cas)?.expected.clone_from(&value);
        Ok(Ok(value))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
