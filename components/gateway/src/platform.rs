//! What the gateway asks of its host: randomness, the clock, configuration (Spin variables
//! through `wasi:config`) and counters (`wasi:keyvalue`). Each import exists in the gateway's
//! world only when the manifest uses a policy that needs it.
use std::time::{SystemTime, UNIX_EPOCH};

/// `N` random bytes. Ids only need to be unique enough to read logs, so a host without
/// randomness gets zeros rather than a failed request.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// Time since the Unix epoch.
pub fn now() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// What `make` derives from variables, made once per instance: on WASI 0.3 an instance serves
/// many requests, and variables do not change while the app runs. A failure is not kept, so
/// the next request tries again (a secret store may come back).
#[cfg(feature = "secrets")]
pub fn once<T: Send + Sync>(
    cell: &'static std::sync::OnceLock<T>,
    make: impl FnOnce() -> Result<T, String>,
) -> Result<&'static T, String> {
    if let Some(made) = cell.get() {
        return Ok(made);
    }
    let made = make()?;
    Ok(cell.get_or_init(|| made))
}

/// The gateway component's variable `name`.
#[cfg(feature = "secrets")]
pub fn variable(name: &str) -> Result<String, String> {
    use crate::app::wasi::config::store;
    match store::get(name) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(format!(
            "the variable `{name}` is not set for the gateway component"
        )),
        Err(error) => Err(format!("reading the variable `{name}` failed: {error:?}")),
    }
}

/// Adds one to the counter `key` in the `default` store and returns the new count. When it
/// is the first count of a window, the previous window's counter is deleted.
#[cfg(feature = "rate-limit")]
pub fn count(key: &str, previous: &str) -> Result<i64, String> {
    use crate::app::wasi::keyvalue::{atomics, store};
    let bucket = store::open("default")
        .map_err(|e| format!("opening the `default` key-value store failed: {e:?}"))?;
    let count = atomics::increment(&bucket, key, 1)
        .map_err(|e| format!("counting in the key-value store failed: {e:?}"))?;
    if count == 1 {
        let _ = bucket.delete(previous);
    }
    Ok(count)
}

/// The key-value store `label`.
#[cfg(feature = "events")]
fn bucket(label: &str) -> Result<crate::app::wasi::keyvalue::store::Bucket, String> {
    crate::app::wasi::keyvalue::store::open(label)
        .map_err(|e| format!("opening the `{label}` key-value store failed: {e:?}"))
}

/// Writes `value` under `key` in the store `label`.
#[cfg(feature = "events")]
pub fn store(label: &str, key: &str, value: &[u8]) -> Result<(), String> {
    bucket(label)?
        .set(key, value)
        .map_err(|e| format!("writing to the `{label}` key-value store failed: {e:?}"))
}

/// Claims `key` in the store `label` for this replica: adds one to its counter and says
/// whether this was the first count (see `edgeway_events::won`).
#[cfg(feature = "events")]
pub fn claim(label: &str, key: &str) -> Result<bool, String> {
    let count = crate::app::wasi::keyvalue::atomics::increment(&bucket(label)?, key, 1)
        .map_err(|e| format!("claiming in the `{label}` key-value store failed: {e:?}"))?;
    Ok(edgeway_events::won(count))
}

/// The value of `key` in the store `label`, if any.
#[cfg(feature = "events")]
pub fn load(label: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
    bucket(label)?
        .get(key)
        .map_err(|e| format!("reading from the `{label}` key-value store failed: {e:?}"))
}

/// Deletes `key` from the store `label`; nothing happens if it is absent.
#[cfg(feature = "events")]
pub fn remove(label: &str, key: &str) -> Result<(), String> {
    bucket(label)?
        .delete(key)
        .map_err(|e| format!("deleting from the `{label}` key-value store failed: {e:?}"))
}
