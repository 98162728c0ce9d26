//! Spin's runtime config file (`spin up --runtime-config-file runtime-config.toml`), the
//! part the local host uses: where each key-value store keeps its data.
//!
//! ```toml
//! [key_value_store.default]
//! type = "redis"
//! url = "redis://127.0.0.1:6379"
//!
//! [key_value_store.cache]
//! type = "spin"               # SQLite, Spin's own backend
//! path = "cache.db"           # relative to this file; without `path`, in memory
//! ```
//!
//! Other top-level tables (`[sqlite_database.*]`, `[llm_compute]`, ...) configure Spin
//! features this host does not have and are ignored. Inside `[key_value_store.<label>]`,
//! an unknown `type` or key is an error naming the file and the key, as Spin refuses it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::check_store_label;
use crate::error::HostError;
use crate::key_value::KeyValueBackend;

/// Reads the runtime config file at `path` and returns the backend of each store it
/// configures, by label. Labels it does not name keep the default (a SQLite file under
/// [`HostConfig::key_value_dir`](crate::HostConfig::key_value_dir)); put the result in
/// [`HostConfig::key_value_backends`](crate::HostConfig::key_value_backends).
///
/// ```no_run
/// let backends = edgeway_host::parse_runtime_config("runtime-config.toml".as_ref())?;
/// # Ok::<(), edgeway_host::HostError>(())
/// ```
pub fn parse_runtime_config(path: &Path) -> Result<BTreeMap<String, KeyValueBackend>, HostError> {
    let fail = |problem: String| HostError::RuntimeConfig {
        path: path.to_owned(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read it: {e}")))?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse(&text, base).map_err(fail)
}

/// Parses the text of a runtime config file; relative paths are taken from `base`.
fn parse(text: &str, base: &Path) -> Result<BTreeMap<String, KeyValueBackend>, String> {
    let document: toml::Table = text
        .parse()
        .map_err(|e| format!("is not valid TOML: {e}"))?;
    let Some(stores) = document.get("key_value_store") else {
        return Ok(BTreeMap::new());
    };
    let stores = stores
        .as_table()
        .ok_or("`key_value_store` must be a table of stores, e.g. [key_value_store.default]")?;
    let mut backends = BTreeMap::new();
    for (label, store) in stores {
        let at = format!("[key_value_store.{label}]");
        check_store_label(label).map_err(|problem| format!("{at}: invalid label: {problem}"))?;
        let store = store
            .as_table()
            .ok_or_else(|| format!("{at} must be a table with a `type`"))?;
        backends.insert(
            label.clone(),
            backend(store, base).map_err(|e| format!("{at} {e}"))?,
        );
    }
    Ok(backends)
}

/// One `[key_value_store.<label>]` table.
fn backend(store: &toml::Table, base: &Path) -> Result<KeyValueBackend, String> {
    let string = |key: &str| -> Result<Option<&str>, String> {
        match store.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!(
                "`{key}` must be a string, not {}",
                other.type_str()
            )),
        }
    };
    let only = |allowed: &[&str]| -> Result<(), String> {
        match store.keys().find(|key| !allowed.contains(&key.as_str())) {
            Some(key) => Err(format!(
                "has the unknown key `{key}` (known: {})",
                allowed.join(", ")
            )),
            None => Ok(()),
        }
    };
    let kind = string("type")?.ok_or("needs a `type` (\"spin\" or \"redis\")")?;
    match kind {
        "spin" => {
            only(&["type", "path"])?;
            Ok(match string("path")? {
                Some(path) => KeyValueBackend::Sqlite {
                    path: base.join(PathBuf::from(path)),
                },
                None => KeyValueBackend::SqliteInMemory,
            })
        }
        "redis" => {
            only(&["type", "url"])?;
            let url = string("url")?
                .ok_or("`type = \"redis\"` needs a `url`, e.g. \"redis://127.0.0.1:6379\"")?;
            ::redis::Client::open(url)
                .map_err(|e| format!("`url` {url:?} is not a Redis URL: {e}"))?;
            Ok(KeyValueBackend::Redis {
                url: url.to_owned(),
            })
        }
        other => Err(format!(
            "has `type = {other:?}`, which the local host does not support (it supports \
             \"spin\" and \"redis\"; run with Spin for other backends)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_spin_and_redis_stores() {
        let text = r#"
            [key_value_store.default]
            type = "redis"
            url = "redis://127.0.0.1:6379"

            [key_value_store.cache]
            type = "spin"
            path = "data/cache.db"

            [key_value_store.scratch]
            type = "spin"

            [sqlite_database.default]
            type = "spin"
        "#;
        let backends = parse(text, Path::new("/app")).unwrap();
        assert_eq!(
            backends,
            BTreeMap::from([
                (
                    "default".to_owned(),
                    KeyValueBackend::Redis {
                        url: "redis://127.0.0.1:6379".to_owned()
                    }
                ),
                (
                    "cache".to_owned(),
                    KeyValueBackend::Sqlite {
                        path: PathBuf::from("/app/data/cache.db")
                    }
                ),
                ("scratch".to_owned(), KeyValueBackend::SqliteInMemory),
            ])
        );
        assert_eq!(parse("", Path::new("/")).unwrap(), BTreeMap::new());
    }

    #[test]
    fn errors_name_the_table_and_key() {
        let cases = [
            (
                "[key_value_store.default]\ntype = \"azure_cosmos\"",
                "[key_value_store.default] has `type = \"azure_cosmos\"`",
            ),
            (
                "[key_value_store.default]\nurl = \"x\"",
                "[key_value_store.default] needs a `type`",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"",
                "[key_value_store.default] `type = \"redis\"` needs a `url`",
            ),
            (
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"http://x\"",
                "`url` \"http://x\" is not a Redis URL",
            ),
            (
                "[key_value_store.default]\ntype = \"spin\"\nfile = \"a.db\"",
                "[key_value_store.default] has the unknown key `file`",
            ),
            (
                "[key_value_store.Bad]\ntype = \"spin\"",
                "[key_value_store.Bad]: invalid label",
            ),
            ("key_value_store = 1", "`key_value_store` must be a table"),
            ("[key_value_store", "is not valid TOML"),
        ];
        for (text, expected) in cases {
            let error = parse(text, Path::new("/")).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn the_file_is_named_in_errors() {
        let missing = Path::new("/nonexistent/runtime-config.toml");
        let error = parse_runtime_config(missing).unwrap_err().to_string();
        assert!(
            error.starts_with("runtime config /nonexistent/runtime-config.toml: cannot read it"),
            "{error}"
        );
    }
}
