//! The cargo workspace that holds the gateway and the Rust handlers: what is in it, and
//! building its components for `wasm32-wasip2`.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The target every component is built for.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// A cargo workspace of components.
pub struct Workspace {
    root: PathBuf,
    target_dir: PathBuf,
    packages: Vec<Package>,
}

/// A package in the workspace.
pub struct Package {
    pub name: String,
    /// Cargo's package id: names the package even where a dependency shares its name
    /// (a handler called `quote` or `serde`), which `-p <name>` cannot.
    pub id: String,
    /// The folder holding its Cargo.toml.
    pub dir: PathBuf,
    /// The name of its `cdylib` target, if it has one: the `.wasm` file's stem.
    pub cdylib: Option<String>,
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// What `cargo <args>` run in `dir` printed, or its error.
fn cargo_output(args: &[&str], dir: &Path) -> anyhow::Result<Vec<u8>> {
    let output = cargo()
        .args(args)
        .current_dir(dir)
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!(
            "cargo {} failed in {}:\n{}",
            args[0],
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(output.stdout)
}

impl Workspace {
    /// Reads the workspace that the crate in `dir` belongs to.
    pub fn containing(dir: &Path) -> anyhow::Result<Workspace> {
        let dir = dir
            .canonicalize()
            .with_context(|| format!("{} does not exist", dir.display()))?;
        // Cargo reads `.cargo/config.toml` (the target folder) from where it runs, so it
        // runs in the workspace's root, which a member may name from elsewhere
        // (`package.workspace`, as the test-only handlers under tests/handlers do).
        let root_manifest = cargo_output(
            &["locate-project", "--workspace", "--message-format", "plain"],
            &dir,
        )?;
        let root_manifest = PathBuf::from(String::from_utf8_lossy(&root_manifest).trim());
        let metadata = cargo_output(
            &["metadata", "--no-deps", "--format-version", "1"],
            root_manifest.parent().unwrap_or(&dir),
        )?;
        let metadata: serde_json::Value = serde_json::from_slice(&metadata)?;
        let packages = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|package| Package {
                name: package["name"].as_str().unwrap_or_default().to_owned(),
                id: package["id"].as_str().unwrap_or_default().to_owned(),
                dir: Path::new(package["manifest_path"].as_str().unwrap_or_default())
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                cdylib: package["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find_map(|target| {
                        let kinds = target["crate_types"].as_array()?;
                        kinds.iter().any(|k| k == "cdylib").then(|| {
                            target["name"]
                                .as_str()
                                .unwrap_or_default()
                                .replace('-', "_")
                        })
                    }),
            })
            .collect();
        let target_dir = PathBuf::from(metadata["target_directory"].as_str().unwrap_or("target"));
        let root = PathBuf::from(metadata["workspace_root"].as_str().unwrap_or_default());
        Ok(Workspace {
            root,
            target_dir,
            packages,
        })
    }

    /// The workspace's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The package whose Cargo.toml is in `dir`.
    pub fn package_in(&self, dir: &Path) -> Option<&Package> {
        let dir = dir.canonicalize().ok()?;
        self.packages.iter().find(|p| p.dir == dir)
    }

    /// The package called `name`.
    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// Where a release build puts a package's component.
    pub fn wasm_path(&self, package: &Package) -> Option<PathBuf> {
        let stem = package.cdylib.as_ref()?;
        Some(
            self.target_dir
                .join(WASM_TARGET)
                .join("release")
                .join(format!("{stem}.wasm")),
        )
    }

    /// Takes the workspace's build lock, held until the returned file is dropped. Builds of
    /// different apps write the same `gateway.wasm` (generated from each app's manifest), so
    /// each build holds the lock from compiling until it has read what it built.
    pub fn lock(&self) -> anyhow::Result<std::fs::File> {
        std::fs::create_dir_all(&self.target_dir)
            .with_context(|| format!("cannot create {}", self.target_dir.display()))?;
        let path = self.target_dir.join("edgeway-build.lock");
        let file = std::fs::File::create(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }

    /// Builds `packages` in release mode for [`WASM_TARGET`] with `features` (`package/feature`);
    /// `envs` reach the build scripts.
    pub fn build(
        &self,
        packages: &[&Package],
        features: &[String],
        envs: &[(&str, &Path)],
    ) -> anyhow::Result<()> {
        let mut command = cargo();
        command
            .args(["build", "--release", "--target", WASM_TARGET])
            .current_dir(&self.root);
        for package in packages {
            command.args(["-p", &package.id]);
        }
        if !features.is_empty() {
            command.args(["--features", &features.join(",")]);
        }
        for (name, value) in envs {
            command.env(name, value);
        }
        let status = command.status().context("cannot run cargo")?;
        if !status.success() {
            bail!(
                "building the components failed (cargo exited with {status}); see cargo's messages above"
            );
        }
        Ok(())
    }
}
