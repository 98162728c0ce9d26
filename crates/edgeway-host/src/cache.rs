//! The on-disk cache of compiled components, so a restart does not recompile.
//!
//! A compiled component is only valid for the engine settings it was compiled
//! with, so the cache key hashes the settings together with the Wasm bytes:
//! `<cache_dir>/<sha256(settings, wasm)>.cwasm`.
//!
//! Every build of an app adds an entry (159 MB for the test app), so a watch loop would
//! fill the disk: a load marks the entry it used as used now, and after writing a new one
//! the cache drops the least recently used entries beyond [`CACHE_BUDGET`]. An entry that
//! a running host has mapped stays readable to it after its file is removed.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::engine::{HostEngine, hex};
use crate::error::{HostError, chain};
use crate::load_progress::{LoadProgress, LoadStep};

/// How much the compiled components in one cache directory may take together: room for
/// several builds of a large app (single and split) side by side.
pub(crate) const CACHE_BUDGET: u64 = 2 << 30;

/// The cache key of a component: SHA-256 over the engine fingerprint and the
/// Wasm bytes (with a separator, so the two parts cannot run into each other).
pub(crate) fn cache_key(wasm: &[u8], fingerprint: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(fingerprint.as_bytes());
    digest.update([0]);
    digest.update(wasm);
    hex(&digest.finalize())
}

/// Loads the component from the cache, or compiles it and fills the cache; tells
/// `progress` which.
///
/// Blocking (file I/O and Cranelift): call it from a blocking thread.
pub(crate) fn load_or_compile(
    host_engine: &HostEngine,
    wasm_path: &Path,
    cache_dir: &Path,
    progress: &LoadProgress,
) -> Result<Component, HostError> {
    let wasm = std::fs::read(wasm_path).map_err(|source| HostError::ReadComponent {
        path: wasm_path.to_owned(),
        source,
    })?;
    let cached = cache_dir.join(format!(
        "{}.cwasm",
        cache_key(&wasm, &host_engine.fingerprint)
    ));
    let engine = &host_engine.engine;

    if cached.is_file() {
        match load_cached(engine, &cached) {
            Ok(component) => {
                mark_used(&cached);
                progress.report(LoadStep::FromCache {
                    component: wasm_path,
                    cached: &cached,
                });
                return Ok(component);
            }
            // Cached files only exist for components that compiled with these
            // exact settings, so a failure means a damaged or foreign file:
            // compile again and replace it.
            Err(e) => eprintln!(
                "Ignoring unusable cache entry {}: {}",
                cached.display(),
                chain(&e)
            ),
        }
    }

    progress.report(LoadStep::Compiling {
        component: wasm_path,
    });
    let started = std::time::Instant::now();
    let compile_error = |e: wasmtime::Error| HostError::Compile {
        path: wasm_path.to_owned(),
        reason: chain(&e),
    };
    // A throwaway engine with the same settings compiles, so that the compiler's working
    // state (Cranelift's contexts, kept for the next compile) goes with it instead of
    // staying on the serving engine's heap. Before its first request, the test app's first
    // start held 146-181 MiB when the serving engine compiled and 48-81 MiB with a throwaway
    // one (a warm start: 32 MiB).
    let compiled = Engine::new(engine.config())
        .and_then(|compiler| compiler.precompile_component(&wasm))
        .map_err(compile_error)?;
    // Served from the cache file's mapping, the code is the page cache's (shared, paged in
    // as it runs, reclaimable) instead of the host's own memory: 300 MiB for an app with
    // Python and JavaScript handlers. A cache that cannot be written costs a recompile at
    // the next start, not this start: warn and serve the compiler's output.
    let component = match store(&compiled, &cached) {
        Ok(()) => {
            prune(cache_dir, CACHE_BUDGET);
            load_cached(engine, &cached)
        }
        Err(e) => {
            eprintln!(
                "Warning: cannot write the compile cache {}: {e}",
                cached.display()
            );
            // SAFETY: the bytes are `precompile_component`'s output, made just above by
            // this engine.
            unsafe { Component::deserialize(engine, &compiled) }
        }
    }
    .map_err(compile_error)?;
    progress.report(LoadStep::Compiled {
        component: wasm_path,
        cached: &cached,
        elapsed: started.elapsed(),
    });
    Ok(component)
}

/// Deserializes a cached component.
fn load_cached(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts the file to be the output of
    // `Component::serialize`. The cache directory is the host's own; files in
    // it are written only by `store` below (atomically, so never half-written),
    // and Wasmtime still checks the header, version and engine compatibility.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Writes the compiled `bytes` to `path` atomically: a temporary file in the same
/// directory, then a rename, so a concurrent or crashed start never sees a
/// partial file.
fn store(bytes: &[u8], path: &Path) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp = temp_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Sets the entry's modification time to now: the cache's record of when it was last used.
/// Best effort: a read-only cache is only pruned less well.
fn mark_used(entry: &Path) {
    let now = std::time::SystemTime::now();
    let _ = std::fs::File::options()
        .write(true)
        .open(entry)
        .and_then(|file| file.set_modified(now));
}

/// Removes the least recently used `.cwasm` entries of `dir` until the rest take at most
/// `budget` bytes; the newest entry always stays. Best effort: an entry another host
/// removed first, or one that cannot be removed, is skipped.
fn prune(dir: &Path, budget: u64) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.0));
    let mut kept = 0;
    for (index, (_, len, path)) in entries.iter().enumerate() {
        kept += len;
        if index > 0 && kept > budget {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A temporary name beside `path`, unique to this process.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".tmp-{}", std::process::id()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable() {
        let key = cache_key(b"\0asm", "settings-a");
        assert_eq!(key, cache_key(b"\0asm", "settings-a"));
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn key_changes_with_settings_and_bytes() {
        let key = cache_key(b"\0asm", "settings-a");
        assert_ne!(key, cache_key(b"\0asm", "settings-b"));
        assert_ne!(key, cache_key(b"\0asm\x01", "settings-a"));
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        assert_ne!(cache_key(b"c", "ab"), cache_key(b"bc", "a"));
    }

    #[test]
    fn second_load_hits_the_cache() {
        let dir = std::env::temp_dir().join(format!("edgeway-cache-test-{}", std::process::id()));
        let wasm = dir.join("empty.wasm");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&wasm, "(component)").unwrap();
        let engine = crate::engine::build(&crate::PoolConfig::default()).unwrap();
        let cache = dir.join("cache");

        let steps = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = steps.clone();
        let progress = LoadProgress::new(move |step| {
            seen.lock().unwrap().push(match step {
                LoadStep::Compiling { .. } => "compiling",
                LoadStep::Compiled { .. } => "compiled",
                LoadStep::FromCache { .. } => "from cache",
            })
        });
        load_or_compile(&engine, &wasm, &cache, &progress).unwrap();
        let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
        assert_eq!(entries.len(), 1, "exactly one .cwasm, no temp file left");
        load_or_compile(&engine, &wasm, &cache, &progress).unwrap();

        std::fs::write(entries[0].as_ref().unwrap().path(), b"garbage").unwrap();
        load_or_compile(&engine, &wasm, &cache, &progress).expect("a damaged entry is recompiled");
        assert_eq!(
            *steps.lock().unwrap(),
            [
                "compiling",
                "compiled",
                "from cache",
                "compiling",
                "compiled"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pruning_drops_the_least_recently_used_beyond_the_budget() {
        let dir = std::env::temp_dir().join(format!("edgeway-prune-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let now = std::time::SystemTime::now();
        // Oldest first: a, b, c, d; 100 bytes each, and one file that is not an entry.
        for (age, name) in [(4, "a"), (3, "b"), (2, "c"), (1, "d")] {
            let path = dir.join(format!("{name}.cwasm"));
            std::fs::write(&path, [0; 100]).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(now - age * hour).unwrap();
        }
        std::fs::write(dir.join("notes.txt"), [0; 1000]).unwrap();
        mark_used(&dir.join("a.cwasm"));

        prune(&dir, 250);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["a.cwasm", "d.cwasm", "notes.txt"]);

        prune(&dir, 0);
        assert!(
            dir.join("a.cwasm").exists(),
            "the newest entry always stays"
        );
        assert!(!dir.join("d.cwasm").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
