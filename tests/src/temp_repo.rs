//! A copy of the parts of the repository an app needs to build, in a temporary folder, for
//! tests that change an app's files (`edgeway new`, `edgeway up --watch`).
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cleanup, edgeway, repo_root};

/// The parts of the repository an app needs to build, copied to a temporary folder (removed
/// on drop), with an app of one Rust handler, `greet`.
pub struct TempRepo {
    dir: PathBuf,
}

impl TempRepo {
    /// The app's spin.toml: a gateway and `greet` on `GET /hello`.
    pub const APP: &str = r#"# A new app.
spin_manifest_version = 2

[application]
name = "new-app"

[[trigger.http]]
route = "/..."
component = "gateway"

[component.gateway]
source = "target/edgeway/new-app.wasm"

# The handlers.
[component.gateway.tool.edgeway.handlers]
greet = { path = "components/examples/greet" }   # Rust

# The routes.
[component.gateway.tool.edgeway.routes]
"GET /hello" = "greet"
"#;

    /// A copy named `name`, so that tests running at once have one each.
    pub fn new(name: &str) -> TempRepo {
        let dir = cleanup::temp_dir(name, 0);
        let root = repo_root();
        for path in [
            "wit",
            "crates/edgeway-sdk",
            "crates/edgeway-sdk-python",
            "crates/edgeway-sdk-js",
            "crates/edgeway-events",
            "crates/edgeway-manifest",
            "crates/edgeway-outbound",
            "crates/edgeway-openapi",
            "crates/edgeway-router",
            "crates/edgeway-policy",
            "components/.cargo",
            "components/Cargo.lock",
            "components/gateway",
            "components/examples/greet",
        ] {
            copy(&root.join(path), &dir.join(path));
        }
        // Replaces the array that starts on the line beginning with `key`, one line or many.
        let edit = |path: &str, key: &str, new: &str| {
            let text = std::fs::read_to_string(root.join(path)).unwrap();
            let start = text.find(&format!("\n{key}")).unwrap() + 1;
            let end = start + text[start..].find(']').unwrap() + 1;
            let text = format!("{}{new}{}", &text[..start], &text[end..]);
            std::fs::write(dir.join(path), text).unwrap();
        };
        edit("Cargo.toml", "members = ", "members = [\"crates/*\"]");
        edit(
            "components/Cargo.toml",
            "members = ",
            "members = [\"gateway\", \"examples/greet\"]",
        );
        std::fs::write(dir.join("spin.toml"), Self::APP).unwrap();
        TempRepo { dir }
    }

    /// The copy's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> PathBuf {
        self.dir.join("spin.toml")
    }

    /// The environment of commands in the copy: the repository's tools, and a cargo target
    /// folder of its own that outlives the copy (the gateway's name is the same in both).
    pub fn envs(&self) -> Vec<(&'static str, String)> {
        let root = repo_root();
        vec![
            (
                "EDGEWAY_TOOLS",
                root.join(".edgeway/tools").display().to_string(),
            ),
            (
                "CARGO_TARGET_DIR",
                root.join("target/edgeway-new-test").display().to_string(),
            ),
        ]
    }

    /// Runs `edgeway new` with `args` in the copy.
    pub fn new_handler(&self, args: &[&str]) {
        run(edgeway()
            .arg("new")
            .args(args)
            .arg("--manifest")
            .arg(self.manifest())
            .envs(self.envs()));
    }
}

impl Drop for TempRepo {
    fn drop(&mut self) {
        cleanup::remove_now(&self.dir);
    }
}

/// Runs a command to success, or fails with what it printed.
pub fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn copy(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
        return;
    }
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !["target", "node_modules", "__pycache__"].contains(&name.to_str().unwrap()) {
            copy(&entry.path(), &to.join(name));
        }
    }
}
