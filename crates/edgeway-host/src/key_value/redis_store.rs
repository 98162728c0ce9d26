//! One key-value store on a Redis server, the way Spin's `type = "redis"` backend
//! (`spin-key-value-redis`) keeps it: every key is the Redis key as the guest wrote it (no
//! prefix, so `todos/1` is the Redis key `todos/1` and `SET` raises the usual keyspace
//! notifications), values are Redis strings holding the guest's bytes, `increment` is
//! `INCRBY` (so a counter is the decimal text Redis keeps), `list-keys` is `KEYS *`,
//! `get-many` is `MGET`, `set-many` is `MSET`, `delete-many` is one `DEL`.
//!
//! One auto-reconnecting connection (`ConnectionManager`, as Spin uses) per store, shared by
//! all instances. Compare-and-swap runs as one Lua script (`GET`, compare, `SET`), which is
//! atomic on the server; Spin uses `WATCH`/`MULTI` on a connection of its own to the same
//! effect.

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::sqlite::StoreError;

/// Sets `KEYS[1]` to `ARGV[2]` if its value is still `ARGV[3]` (`ARGV[1]` = `1`), or if it is
/// still absent (`ARGV[1]` = `0`); returns 1 if it did.
const SWAP_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
local matches
if ARGV[1] == '1' then matches = (current == ARGV[3]) else matches = (current == false) end
if matches then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// A store on a Redis server.
pub(crate) struct RedisStore {
    conn: ConnectionManager,
}

impl RedisStore {
    /// Connects to the server at `url` (`redis://host:port[/db]`).
    pub(crate) async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let conn = client.get_connection_manager().await?;
        Ok(Self { conn })
    }

    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.conn().get(key).await?)
    }

    pub(crate) async fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        Ok(self.conn().set(key, value).await?)
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), StoreError> {
        Ok(self.conn().del(key).await?)
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.conn().exists(key).await?)
    }

    /// Every key of the database, in Redis's order (Spin's `KEYS *`).
    pub(crate) async fn keys(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.conn().keys("*").await?)
    }

    /// The keys that start with `prefix`, sorted (`KEYS` with the prefix's glob characters
    /// escaped).
    pub(crate) async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut pattern = String::with_capacity(prefix.len() + 1);
        for c in prefix.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        let mut keys: Vec<String> = self.conn().keys(pattern).await?;
        keys.sort();
        Ok(keys)
    }

    /// Every key asked for, with its value if it has one (`MGET`).
    pub(crate) async fn get_many(
        &self,
        keys: &[String],
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, StoreError> {
        let values: Vec<Option<Vec<u8>>> = self.conn().mget(keys).await?;
        Ok(keys.iter().cloned().zip(values).collect())
    }

    pub(crate) async fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        Ok(self.conn().mset(pairs).await?)
    }

    pub(crate) async fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        Ok(self.conn().del(keys).await?)
    }

    /// `INCRBY key delta`: the counter is Redis's decimal text, as on Spin.
    pub(crate) async fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        Ok(self.conn().incr(key, delta).await?)
    }

    /// Sets `key` to `value` if its value is still `expected` (`None`: still absent).
    pub(crate) async fn swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, StoreError> {
        let swapped: i64 = redis::cmd("EVAL")
            .arg(SWAP_SCRIPT)
            .arg(1)
            .arg(key)
            .arg(if expected.is_some() { "1" } else { "0" })
            .arg(value)
            .arg(expected.unwrap_or_default())
            .query_async(&mut self.conn())
            .await?;
        Ok(swapped == 1)
    }
}
