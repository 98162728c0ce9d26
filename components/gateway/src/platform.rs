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

/// Writes `value` under `key` in the store `label`.
#[cfg(feature = "events")]
pub fn store(label: &str, key: &str, value: &[u8]) -> Result<(), String> {
    use crate::app::wasi::keyvalue::store;
    let bucket = store::open(label)
        .map_err(|e| format!("opening the `{label}` key-value store failed: {e:?}"))?;
    bucket
        .set(key, value)
        .map_err(|e| format!("writing to the `{label}` key-value store failed: {e:?}"))
}

/// Claims `key` in the store `label` for this replica: adds one to its counter and says
/// whether this was the first count (see `edgeway_events::won`).
#[cfg(feature = "events")]
pub fn claim(label: &str, key: &str) -> Result<bool, String> {
    use crate::app::wasi::keyvalue::{atomics, store};
    let bucket = store::open(label)
        .map_err(|e| format!("opening the `{label}` key-value store failed: {e:?}"))?;
    let count = atomics::increment(&bucket, key, 1)
        .map_err(|e| format!("claiming in the `{label}` key-value store failed: {e:?}"))?;
    Ok(edgeway_events::won(count))
}

/// Writes `value` under `key` in the store `label` and deletes the key the previous value
/// named, so that only the latest claims stay.
#[cfg(feature = "events")]
pub fn replace_claim(label: &str, key: &str, value: &str) -> Result<(), String> {
    use crate::app::wasi::keyvalue::store;
    let failed = |e: store::Error| format!("the `{label}` key-value store failed: {e:?}");
    let bucket = store::open(label).map_err(failed)?;
    if let Some(previous) = bucket.get(key).map_err(failed)? {
        bucket
            .delete(&String::from_utf8_lossy(&previous))
            .map_err(failed)?;
    }
    bucket.set(key, value.as_bytes()).map_err(failed)
}
