use std::path::PathBuf;
use std::sync::Arc;

use super::*;

/// A fresh directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("edgeway-host-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn store(dir: &TempDir) -> SqliteStore {
    SqliteStore::open(&dir.0.join("default.db")).unwrap()
}

#[test]
fn get_set_delete_exists_keys() {
    let dir = TempDir::new("crud");
    let store = store(&dir);
    assert_eq!(store.get("a").unwrap(), None);
    assert!(!store.exists("a").unwrap());
    assert!(store.keys().unwrap().is_empty());

    store.set("b", b"2").unwrap();
    store.set("a", b"1").unwrap();
    store.set("a", b"one").unwrap();
    store.set("empty", b"").unwrap();
    assert_eq!(store.get("a").unwrap().as_deref(), Some(&b"one"[..]));
    assert_eq!(store.get("empty").unwrap().as_deref(), Some(&b""[..]));
    assert!(store.exists("a").unwrap());
    assert_eq!(store.keys().unwrap(), ["a", "b", "empty"]);

    store.delete("a").unwrap();
    store.delete("never-set").unwrap();
    assert_eq!(store.get("a").unwrap(), None);
    assert!(!store.exists("a").unwrap());
    assert_eq!(store.keys().unwrap(), ["b", "empty"]);
}

#[test]
fn batch_operations() {
    let dir = TempDir::new("batch");
    let store = store(&dir);
    store
        .set_many(&[("x".into(), b"1".to_vec()), ("y".into(), b"2".to_vec())])
        .unwrap();
    let keys = ["y", "missing", "x", "y"].map(String::from);
    assert_eq!(
        store.get_many(&keys).unwrap(),
        [("y".into(), b"2".to_vec()), ("x".into(), b"1".to_vec())]
    );
    store.delete_many(&["x".into(), "missing".into()]).unwrap();
    assert_eq!(store.keys().unwrap(), ["y"]);
}

#[test]
fn increment_uses_spins_format_and_checks_it() {
    let dir = TempDir::new("incr");
    let store = store(&dir);
    assert_eq!(store.increment("n", 1).unwrap(), 1);
    assert_eq!(store.increment("n", 2).unwrap(), 3);
    assert_eq!(store.increment("n", -10).unwrap(), -7);
    assert_eq!(
        store.get("n").unwrap(),
        Some((-7i64).to_le_bytes().to_vec())
    );

    store.set("text", b"5").unwrap();
    let err = store.increment("text", 1).unwrap_err();
    assert!(
        matches!(err, StoreError::NotACounter { len: 1, .. }),
        "{err}"
    );
    store.set("max", &i64::MAX.to_le_bytes()).unwrap();
    let err = store.increment("max", 1).unwrap_err();
    assert!(matches!(err, StoreError::Overflow { .. }), "{err}");
    assert_eq!(store.increment("max", 0).unwrap(), i64::MAX);
}

#[test]
fn concurrent_increments_are_exact() {
    let dir = TempDir::new("incr-threads");
    let store = Arc::new(store(&dir));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    store.increment("counter", 1).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(store.increment("counter", 0).unwrap(), 800);
}

#[test]
fn increments_from_separate_connections_are_exact() {
    // Two connections to one file stand for two host processes: the
    // immediate transaction, not the in-process mutex, keeps them apart.
    let dir = TempDir::new("incr-connections");
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let path = dir.0.join("default.db");
            std::thread::spawn(move || {
                let store = SqliteStore::open(&path).unwrap();
                for _ in 0..50 {
                    store.increment("counter", 1).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(store(&dir).increment("counter", 0).unwrap(), 200);
}

#[test]
fn compare_and_swap() {
    let dir = TempDir::new("cas");
    let store = store(&dir);
    // Absent: inserts, but never overwrites a value that appeared meanwhile.
    assert!(store.swap("k", None, b"first").unwrap());
    assert!(!store.swap("k", None, b"again").unwrap());
    // Present: swaps only from the expected value.
    assert!(!store.swap("k", Some(b"stale"), b"x").unwrap());
    assert!(store.swap("k", Some(b"first"), b"second").unwrap());
    assert_eq!(store.get("k").unwrap().as_deref(), Some(&b"second"[..]));
    // Deleted meanwhile: an update from the old value fails.
    store.delete("k").unwrap();
    assert!(!store.swap("k", Some(b"second"), b"x").unwrap());
}

#[test]
fn data_survives_reopening_and_uses_wal() {
    let dir = TempDir::new("persist");
    {
        let store = store(&dir);
        store.set("kept", b"yes").unwrap();
        store.increment("n", 41).unwrap();
    }
    let store = store(&dir);
    assert_eq!(store.get("kept").unwrap().as_deref(), Some(&b"yes"[..]));
    assert_eq!(store.increment("n", 1).unwrap(), 42);
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn connections_opening_a_new_file_at_once_all_succeed() {
    const CONNECTIONS: usize = 4;
    for round in 0..30 {
        let dir = TempDir::new("open-race");
        let path = dir.0.join("default.db");
        let start = Arc::new(std::sync::Barrier::new(CONNECTIONS));
        let openers: Vec<_> = (0..CONNECTIONS)
            .map(|n| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    let store = SqliteStore::open(&path)?;
                    store.set(&format!("k{n}"), b"v")
                })
            })
            .collect();
        for opener in openers {
            if let Err(error) = opener.join().unwrap() {
                panic!("round {round}: {error}");
            }
        }
        assert_eq!(store(&dir).keys().unwrap().len(), CONNECTIONS);
    }
}
