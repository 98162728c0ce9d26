//! One key-value store as a SQLite database file: one table, WAL mode,
//! blocking calls (the caller runs them off the async workers).
//!
//! All instances of the component share one connection per store, so calls
//! on a store run one at a time in this process; `increment` and `swap` are
//! also atomic against other processes using the same file (one
//! `BEGIN IMMEDIATE` transaction, or one statement).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

/// How long a call waits for another process holding the file's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// SQLite failed (I/O, a locked or corrupt file).
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The Redis server refused a command or could not be reached.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The blocking task running the call failed.
    #[error("the key-value operation failed: {0}")]
    Task(String),
    /// `increment` found a value that it did not write.
    #[error(
        "the value of key {key:?} is not a counter: it has {len} bytes, while `increment` \
         keeps a counter as an 8-byte little-endian s64 (as Spin does)"
    )]
    NotACounter {
        /// The key.
        key: String,
        /// The length of the value found.
        len: usize,
    },
    /// `increment` would leave the s64 range.
    #[error("incrementing key {key:?} by {delta} overflows an s64")]
    Overflow {
        /// The key.
        key: String,
        /// The requested delta.
        delta: i64,
    },
}

/// A store backed by one SQLite database file.
pub(crate) struct SqliteStore {
    conn: Mutex<Connection>,
}

impl From<Connection> for SqliteStore {
    fn from(conn: Connection) -> Self {
        Self {
            conn: Mutex::new(conn),
        }
    }
}

fn create_table(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS key_value (
             key   TEXT PRIMARY KEY NOT NULL,
             value BLOB NOT NULL
         )",
        [],
    )?;
    Ok(())
}

/// Runs `step` again while SQLite answers busy or locked, for up to [`BUSY_TIMEOUT`].
fn retry_while_busy(mut step: impl FnMut() -> rusqlite::Result<()>) -> rusqlite::Result<()> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(error)
                if matches!(
                    error.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                ) && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Connections setting up a new file at once (the host and `edgeway events`, two
        // hosts) can refuse each other without the busy handler: SQLite answers
        // SQLITE_BUSY at once where waiting could deadlock. So the setup is retried.
        retry_while_busy(|| {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
            debug_assert_eq!(mode.to_ascii_lowercase(), "wal");
            // With WAL, NORMAL loses no committed data when the process dies
            // (only, at worst, the last transactions on a power cut).
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            create_table(&conn)
        })?;
        Ok(Self::from(conn))
    }

    /// A database in memory, gone when the host stops (Spin's `type = "spin"` without a
    /// `path`).
    pub(crate) fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()?;
        create_table(&conn)?;
        Ok(Self::from(conn))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock left no transaction open (dropping
        // a `Transaction` rolls it back), so the connection is still usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value of `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(get(&self.conn(), key)?)
    }

    /// Sets `key` to `value`, replacing any value.
    pub(crate) fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        set(&self.conn(), key, value)?;
        Ok(())
    }

    /// Removes `key`; nothing happens if it is absent.
    pub(crate) fn delete(&self, key: &str) -> Result<(), StoreError> {
        delete(&self.conn(), key)?;
        Ok(())
    }

    /// Whether `key` has a value.
    pub(crate) fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached("SELECT 1 FROM key_value WHERE key = ?1")?;
        Ok(statement.exists([key])?)
    }

    /// Every key, in ascending order.
    pub(crate) fn keys(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached("SELECT key FROM key_value ORDER BY key")?;
        let keys = statement.query_map([], |row| row.get(0))?;
        Ok(keys.collect::<Result<_, _>>()?)
    }

    /// The keys that start with `prefix`, in ascending order.
    pub(crate) fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT key FROM key_value WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let keys = statement.query_map([prefix], |row| row.get(0))?;
        Ok(keys.collect::<Result<_, _>>()?)
    }

    /// The keys of `keys` that have a value, with it, in the order asked
    /// (each key once), read in one transaction. Absent keys are left out,
    /// as Spin's SQLite store does.
    pub(crate) fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut found = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for key in keys.iter().filter(|key| seen.insert(key.as_str())) {
            if let Some(value) = get(&tx, key)? {
                found.push((key.clone(), value));
            }
        }
        tx.commit()?;
        Ok(found)
    }

    /// Sets every pair, in one transaction.
    pub(crate) fn set_many(&self, pairs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (key, value) in pairs {
            set(&tx, key, value)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes every key, in one transaction.
    pub(crate) fn delete_many(&self, keys: &[String]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for key in keys {
            delete(&tx, key)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Adds `delta` to the counter at `key` (absent counts as 0) and returns
    /// the new value. The counter is stored as 8 little-endian bytes, Spin's
    /// format. `BEGIN IMMEDIATE` takes the write lock before reading, so no
    /// other writer (thread or process) can come in between.
    pub(crate) fn increment(&self, key: &str, delta: i64) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = match get(&tx, key)? {
            None => 0,
            Some(bytes) => {
                let bytes: [u8; 8] =
                    bytes
                        .as_slice()
                        .try_into()
                        .map_err(|_| StoreError::NotACounter {
                            key: key.to_owned(),
                            len: bytes.len(),
                        })?;
                i64::from_le_bytes(bytes)
            }
        };
        let new = current
            .checked_add(delta)
            .ok_or_else(|| StoreError::Overflow {
                key: key.to_owned(),
                delta,
            })?;
        set(&tx, key, &new.to_le_bytes())?;
        tx.commit()?;
        Ok(new)
    }

    /// Compare-and-swap in one statement: sets `key` to `value` only if its
    /// value is still `expected` (`None`: only if `key` is still absent, so
    /// an insert never overwrites). Returns whether it swapped.
    pub(crate) fn swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        value: &[u8],
    ) -> Result<bool, StoreError> {
        let conn = self.conn();
        let changed = match expected {
            Some(old) => conn
                .prepare_cached("UPDATE key_value SET value = ?3 WHERE key = ?1 AND value = ?2")?
                .execute(params![key, old, value])?,
            None => conn
                .prepare_cached(
                    "INSERT INTO key_value (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO NOTHING",
                )?
                .execute(params![key, value])?,
        };
        Ok(changed == 1)
    }
}

fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM key_value WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()
}

fn set(conn: &Connection, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO key_value (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

fn delete(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM key_value WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
