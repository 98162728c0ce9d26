//! A store, whichever backend keeps it: the operations the host functions call.

use std::sync::Arc;

use super::redis_store::RedisStore;
use super::sqlite::{SqliteStore, StoreError};

/// An open store: a SQLite file (calls run on the blocking pool) or a Redis server.
#[derive(Clone)]
pub(crate) enum Store {
    /// Spin's default backend (`type = "spin"`).
    Sqlite(Arc<SqliteStore>),
    /// Spin's `type = "redis"` backend.
    Redis(Arc<RedisStore>),
}

/// Runs `op` on the blocking pool.
async fn blocking<R: Send + 'static>(
    store: &Arc<SqliteStore>,
    op: impl FnOnce(&SqliteStore) -> Result<R, StoreError> + Send + 'static,
) -> Result<R, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || op(&store))
        .await
        .map_err(|join| StoreError::Task(join.to_string()))?
}

impl Store {
    pub(crate) async fn get(&self, key: String) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.get(&key)).await,
            Store::Redis(r) => r.get(&key).await,
        }
    }

    pub(crate) async fn set(&self, key: String, value: Vec<u8>) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.set(&key, &value)).await,
            Store::Redis(r) => r.set(&key, &value).await,
        }
    }

    pub(crate) async fn delete(&self, key: String) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.delete(&key)).await,
            Store::Redis(r) => r.delete(&key).await,
        }
    }

    pub(crate) async fn exists(&self, key: String) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.exists(&key)).await,
            Store::Redis(r) => r.exists(&key).await,
        }
    }

    pub(crate) async fn keys(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, |s| s.keys()).await,
            Store::Redis(r) => r.keys().await,
        }
    }

    /// The keys starting with `prefix`, in ascending order.
    pub(crate) async fn keys_with_prefix(&self, prefix: String) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.keys_with_prefix(&prefix)).await,
            Store::Redis(r) => r.keys_with_prefix(&prefix).await,
        }
    }

    /// SQLite leaves absent keys out (as Spin's SQLite store does); Redis answers every key
    /// asked for, `None` when absent.
    pub(crate) async fn get_many(
        &self,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, StoreError> {
        match self {
            Store::Sqlite(s) => {
                let found = blocking(s, move |s| s.get_many(&keys)).await?;
                Ok(found.into_iter().map(|(k, v)| (k, Some(v))).collect())
            }
            Store::Redis(r) => r.get_many(&keys).await,
        }
    }

    pub(crate) async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.set_many(&pairs)).await,
            Store::Redis(r) => r.set_many(&pairs).await,
        }
    }

    pub(crate) async fn delete_many(&self, keys: Vec<String>) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.delete_many(&keys)).await,
            Store::Redis(r) => r.delete_many(&keys).await,
        }
    }

    pub(crate) async fn increment(&self, key: String, delta: i64) -> Result<i64, StoreError> {
        match self {
            Store::Sqlite(s) => blocking(s, move |s| s.increment(&key, delta)).await,
            Store::Redis(r) => r.increment(&key, delta).await,
        }
    }

    pub(crate) async fn swap(
        &self,
        key: String,
        expected: Option<Vec<u8>>,
        value: Vec<u8>,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => {
                blocking(s, move |s| s.swap(&key, expected.as_deref(), &value)).await
            }
            Store::Redis(r) => r.swap(&key, expected.as_deref(), &value).await,
        }
    }
}
