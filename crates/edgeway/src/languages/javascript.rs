//! JavaScript handlers in the AWS Lambda style: a module exporting `handler(event, context)`,
//! presented with API Gateway HTTP API events (requests) and EventBridge events (events) by
//! the edgeway adapter and built with componentize-js (StarlingMonkey) through its API. The
//! packages its package.json depends on are installed with `npm ci` from its lockfile and
//! bundled with it by esbuild into one ES module first.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use edgeway_manifest::Language;

use super::{Toolchain, World, run};

/// The tools folder with componentize-js in its node_modules.
const TOOLS: &str = "js";
const COMPONENTIZE_JS: &str = "js/node_modules/@bytecodealliance/componentize-js/package.json";
const PREVIEW2_SHIM: &str = "js/node_modules/@bytecodealliance/preview2-shim/package.json";
const ESBUILD: &str = "js/node_modules/esbuild/package.json";

/// The adapter (`src/lambda.js`) and the build script (`src/build.mjs`).
pub(super) fn sdk(toolchain: &Toolchain) -> PathBuf {
    toolchain.root.join("crates/edgeway-sdk-js/src")
}

pub(super) fn versions(toolchain: &Toolchain) -> anyhow::Result<String> {
    let mut versions = Vec::new();
    for file in [COMPONENTIZE_JS, PREVIEW2_SHIM, ESBUILD] {
        let path = toolchain.tool(file, Language::JavaScript)?;
        let package: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        versions.push(format!("{} {}", package["name"], package["version"]));
    }
    let node = Command::new("node").arg("--version").output().context(
        "JavaScript handlers need Node.js (`node`) on PATH; scripts/install.sh installs it",
    )?;
    versions.push(format!(
        "node {}",
        String::from_utf8_lossy(&node.stdout).trim()
    ));
    Ok(versions.join("\n"))
}

/// Builds `folder` into `output`, a component of `world`, with `node build.mjs`; its
/// packages are installed under `work`.
pub(super) fn build(
    toolchain: &Toolchain,
    folder: &Path,
    work: &Path,
    name: &str,
    world: World,
    output: &Path,
) -> anyhow::Result<()> {
    let packages = install_packages(folder, work, name)?;
    let mut command = Command::new("node");
    command
        .arg(sdk(toolchain).join("build.mjs"))
        .arg(toolchain.tool(TOOLS, Language::JavaScript)?)
        .arg(folder)
        .arg(toolchain.wit())
        .arg(world.name())
        .arg(output)
        .args(packages);
    run(&mut command, "componentize-js (node build.mjs)")
}

/// Installs the `dependencies` of `folder`'s package.json, as its package-lock.json pins
/// them, into `<work>/<name>.npm` with `npm ci`, unless that lockfile is installed there
/// already: the node_modules folder, or `None` when there are no dependencies.
fn install_packages(folder: &Path, work: &Path, name: &str) -> anyhow::Result<Option<PathBuf>> {
    let manifest_path = folder.join("package.json");
    let Ok(manifest) = std::fs::read(&manifest_path) else {
        return Ok(None);
    };
    let package: serde_json::Value = serde_json::from_slice(&manifest)
        .with_context(|| format!("{} is not JSON", manifest_path.display()))?;
    if package["dependencies"]
        .as_object()
        .is_none_or(|dependencies| dependencies.is_empty())
    {
        return Ok(None);
    }
    let lock_path = folder.join("package-lock.json");
    let Ok(lock) = std::fs::read(&lock_path) else {
        bail!(
            "{}: error: it lists dependencies but there is no package-lock.json beside it\n  \
             hint: run `npm install` in {} and keep package-lock.json with the handler, so \
             every build installs the same packages",
            manifest_path.display(),
            folder.display()
        );
    };
    let target = work.join(format!("{name}.npm"));
    let modules = target.join("node_modules");
    let marker = modules.join(".edgeway-installed");
    let wanted = [manifest, lock].concat();
    if std::fs::read(&marker).ok().as_deref() == Some(wanted.as_slice()) {
        return Ok(Some(modules));
    }
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target)?;
    std::fs::copy(&manifest_path, target.join("package.json"))?;
    std::fs::copy(&lock_path, target.join("package-lock.json"))?;
    // No install scripts: what they build is native code, which a component cannot load.
    let mut command = Command::new("npm");
    command
        .args([
            "ci",
            "--omit=dev",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
        ])
        .args(["--loglevel=error"])
        .current_dir(&target);
    run(&mut command, "npm ci")?;
    std::fs::write(&marker, wanted)?;
    Ok(Some(modules))
}

#[cfg(test)]
mod tests {
    use super::install_packages;

    #[test]
    fn dependencies_need_a_lockfile_and_none_need_no_install() {
        let dir = std::env::temp_dir().join(format!("edgeway-js-packages-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for manifest in [
            None,
            Some(r#"{"name": "x"}"#),
            Some(r#"{"dependencies": {}}"#),
        ] {
            let _ = std::fs::remove_file(dir.join("package.json"));
            if let Some(text) = manifest {
                std::fs::write(dir.join("package.json"), text).unwrap();
            }
            assert_eq!(
                install_packages(&dir, &dir, "x").unwrap(),
                None,
                "{manifest:?}"
            );
        }
        std::fs::write(
            dir.join("package.json"),
            r#"{"dependencies": {"validator": "13.15.35"}}"#,
        )
        .unwrap();
        let error = install_packages(&dir, &dir, "x").unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "{}: error: it lists dependencies but there is no package-lock.json beside it",
                dir.join("package.json").display()
            )),
            "{error}"
        );
        assert!(error.contains("hint: run `npm install` in"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
