//! Python handlers: a module (`app.py` by default) whose function takes a request and returns
//! a value, bound to the contract by the edgeway helper package and built with
//! componentize-py (which bundles CPython).
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use edgeway_manifest::Language;

use super::{Toolchain, WORLD, run};

/// componentize-py, inside the project's virtual environment.
const COMPONENTIZE_PY: &str = "python/bin/componentize-py";

/// The helper package (`edgeway`) and the entry module (`edgeway_entry`).
pub(super) fn sdk(toolchain: &Toolchain) -> PathBuf {
    toolchain.root.join("crates/edgeway-sdk-python")
}

pub(super) fn versions(toolchain: &Toolchain) -> anyhow::Result<String> {
    let tool = toolchain.tool(COMPONENTIZE_PY, Language::Python)?;
    let output = Command::new(&tool)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", tool.display()))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Builds `folder` into `output`; `work` holds the generated module naming the function.
pub(super) fn build(
    toolchain: &Toolchain,
    folder: &Path,
    work: &Path,
    name: &str,
    output: &Path,
) -> anyhow::Result<()> {
    let (module, function) = entry_point(folder)?;
    // Only the generated module goes on the path from here, not the components built beside it.
    let target = work.join(format!("{name}.python"));
    std::fs::create_dir_all(&target)?;
    let function = function.map_or("None".to_owned(), |f| format!("{f:?}"));
    std::fs::write(
        target.join("edgeway_target.py"),
        format!("# Written by `edgeway build`.\nMODULE = {module:?}\nFUNCTION = {function}\n"),
    )?;
    let mut command = Command::new(toolchain.tool(COMPONENTIZE_PY, Language::Python)?);
    command
        .arg("-d")
        .arg(toolchain.wit())
        .args(["-w", WORLD, "componentize", "edgeway_entry", "-p"])
        .arg(&target)
        .arg("-p")
        .arg(sdk(toolchain))
        .arg("-p")
        .arg(folder)
        .arg("-o")
        .arg(output);
    run(&mut command, "componentize-py")
}

/// The module and function that handle requests: `[tool.edgeway] handler = "module:function"`
/// in pyproject.toml, else module `app` and the function the helper finds in it.
fn entry_point(folder: &Path) -> anyhow::Result<(String, Option<String>)> {
    let pyproject = folder.join("pyproject.toml");
    let spec = match std::fs::read_to_string(&pyproject) {
        Ok(text) => {
            let document: toml_edit::DocumentMut = text
                .parse()
                .with_context(|| format!("{} is not valid TOML", pyproject.display()))?;
            document
                .get("tool")
                .and_then(|tool| tool.get("edgeway"))
                .and_then(|edgeway| edgeway.get("handler"))
                .and_then(|handler| handler.as_str())
                .map(str::to_owned)
        }
        Err(_) => None,
    };
    let Some(spec) = spec else {
        return Ok(("app".into(), None));
    };
    let (module, function) = match spec.split_once(':') {
        Some((module, function)) => (module, Some(function.to_owned())),
        None => (spec.as_str(), None),
    };
    let identifier = |s: &str| {
        !s.is_empty()
            && s.split('.').all(|part| {
                part.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            })
    };
    if !identifier(module) || !function.as_deref().is_none_or(identifier) {
        bail!(
            "{}: `handler = {spec:?}` is not `module:function`",
            pyproject.display()
        );
    }
    Ok((module.to_owned(), function))
}

#[cfg(test)]
mod tests {
    use super::entry_point;

    #[test]
    fn pyproject_may_name_the_function() {
        let dir = std::env::temp_dir().join(format!("edgeway-py-entry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let table = [
            (None, Ok(("app", None))),
            (Some("[project]\nname = \"x\"\n"), Ok(("app", None))),
            (
                Some("[tool.edgeway]\nhandler = \"main:greet\"\n"),
                Ok(("main", Some("greet"))),
            ),
            (
                Some("[tool.edgeway]\nhandler = \"pkg.mod\"\n"),
                Ok(("pkg.mod", None)),
            ),
            (
                Some("[tool.edgeway]\nhandler = \"main:\"\n"),
                Err("is not `module:function`"),
            ),
        ];
        for (pyproject, expected) in table {
            let _ = std::fs::remove_file(dir.join("pyproject.toml"));
            if let Some(text) = pyproject {
                std::fs::write(dir.join("pyproject.toml"), text).unwrap();
            }
            match (entry_point(&dir), expected) {
                (Ok((module, function)), Ok((m, f))) => {
                    assert_eq!((module.as_str(), function.as_deref()), (m, f))
                }
                (Err(error), Err(message)) => assert!(error.to_string().contains(message)),
                (got, _) => panic!("{pyproject:?}: {:?}", got.map_err(|e| e.to_string())),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
