//! A small app written for one test: the greet example handler behind a gateway, with an
//! `api_keys` variable and whatever tables the test adds.
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{cleanup, repo_root};

/// The app's folder, removed when dropped.
pub struct GreetApp {
    dir: PathBuf,
}

impl GreetApp {
    /// Writes `<temp>/…/spin.toml` for the app `name`: `application` lines go under
    /// `[application]`, `api_keys` (`name=key` pairs) is the variable's default, and `tables`
    /// follow the `greet` handler's declaration.
    pub fn new(name: &str, application: &str, api_keys: &str, tables: &str) -> GreetApp {
        static APPS: AtomicUsize = AtomicUsize::new(0);
        let dir = cleanup::temp_dir("app", APPS.fetch_add(1, Ordering::Relaxed));
        std::fs::create_dir_all(&dir).unwrap();
        let text = format!(
            "spin_manifest_version = 2\n[application]\nname = \"{name}\"\n{application}\n\
             [variables]\napi_keys = {{ default = \"{api_keys}\", secret = true }}\n\
             [component.gateway]\nsource = \"{}\"\n\
             [component.gateway.variables]\napi_keys = \"{{{{ api_keys }}}}\"\n\
             [component.gateway.tool.edgeway.handlers]\ngreet = {{ path = \"{}\" }}\n{tables}",
            dir.join("app.wasm").display(),
            repo_root().join("components/examples/greet").display()
        );
        std::fs::write(dir.join("spin.toml"), text).unwrap();
        GreetApp { dir }
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join("spin.toml")
    }
}

impl Drop for GreetApp {
    fn drop(&mut self) {
        cleanup::remove_now(&self.dir);
    }
}
