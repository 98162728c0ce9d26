//! JavaScript handlers in the AWS Lambda style: a module exporting `handler(event, context)`,
//! presented with API Gateway HTTP API events (requests) and EventBridge events (events) by
//! the edgeway adapter and built with componentize-js (StarlingMonkey) through its API.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use edgeway_manifest::Language;

use super::{Toolchain, World, run};

/// The tools folder with componentize-js in its node_modules.
const TOOLS: &str = "js";
const COMPONENTIZE_JS: &str = "js/node_modules/@bytecodealliance/componentize-js/package.json";
const PREVIEW2_SHIM: &str = "js/node_modules/@bytecodealliance/preview2-shim/package.json";

/// The adapter (`src/lambda.js`) and the build script (`src/build.mjs`).
pub(super) fn sdk(toolchain: &Toolchain) -> PathBuf {
    toolchain.root.join("crates/edgeway-sdk-js/src")
}

pub(super) fn versions(toolchain: &Toolchain) -> anyhow::Result<String> {
    let mut versions = Vec::new();
    for file in [COMPONENTIZE_JS, PREVIEW2_SHIM] {
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

/// Builds `folder` into `output`, a component of `world`, with `node build.mjs`.
pub(super) fn build(
    toolchain: &Toolchain,
    folder: &Path,
    world: World,
    output: &Path,
) -> anyhow::Result<()> {
    let mut command = Command::new("node");
    command
        .arg(sdk(toolchain).join("build.mjs"))
        .arg(toolchain.tool(TOOLS, Language::JavaScript)?)
        .arg(folder)
        .arg(toolchain.wit())
        .arg(world.name())
        .arg(output);
    run(&mut command, "componentize-js (node build.mjs)")
}
