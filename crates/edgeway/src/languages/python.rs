//! Python handlers: a module (`app.py` by default) whose function takes a request and returns
//! a value, and whose `deliver(event)` receives events, bound to the contract by the edgeway
//! helper package and built with componentize-py (which bundles CPython).
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use edgeway_manifest::Language;

use super::{Toolchain, World, python_packages, run};

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

/// Builds `folder` into `output` for `world`; `work` holds the generated module naming the
/// functions and the packages the handler requires.
pub(super) fn build(
    toolchain: &Toolchain,
    folder: &Path,
    work: &Path,
    name: &str,
    world: World,
    output: &Path,
) -> anyhow::Result<()> {
    let entry = entry_point(folder)?;
    let packages = python_packages::install(toolchain, folder, work, name)?;
    // Only the generated module goes on the path from here, not the components built beside it.
    let target = work.join(format!("{name}.python"));
    std::fs::create_dir_all(&target)?;
    std::fs::write(target.join("edgeway_target.py"), entry.target_module(world))?;
    let mut command = Command::new(toolchain.tool(COMPONENTIZE_PY, Language::Python)?);
    command
        .arg("-d")
        .arg(toolchain.wit())
        .args(["-w", world.name(), "componentize", "edgeway_entry", "-p"])
        .arg(&target)
        .arg("-p")
        .arg(sdk(toolchain))
        .arg("-p")
        .arg(folder);
    if let Some(packages) = packages {
        command.arg("-p").arg(packages);
    }
    command.arg("-o").arg(output);
    run(&mut command, "componentize-py")
}

/// Where a Python handler's functions are.
#[derive(Debug, PartialEq)]
struct EntryPoint {
    /// The module and function that handle requests (`None`: the one the helper finds).
    handler: (String, Option<String>),
    /// The module and function that receive events (`None`: `deliver`).
    events: (String, Option<String>),
}

impl EntryPoint {
    /// The `edgeway_target` module that tells `edgeway_entry` what to export and call.
    fn target_module(&self, world: World) -> String {
        let function =
            |f: &Option<String>| f.as_ref().map_or("None".to_owned(), |f| format!("{f:?}"));
        let exports: Vec<String> = world.exports().iter().map(|e| format!("{e:?}, ")).collect();
        let lines = [
            "# Written by `edgeway build`.".to_owned(),
            format!("EXPORTS = ({})", exports.concat()),
            format!("MODULE = {:?}", self.handler.0),
            format!("FUNCTION = {}", function(&self.handler.1)),
            format!("EVENTS_MODULE = {:?}", self.events.0),
            format!("EVENTS_FUNCTION = {}", function(&self.events.1)),
        ];
        lines.join("\n") + "\n"
    }
}

/// The functions that handle requests and receive events: `[tool.edgeway] handler =
/// "module:function"` and `events = "module:function"` in pyproject.toml, else module `app`
/// (or the handler's module, for events), the function the helper finds in it, and `deliver`.
fn entry_point(folder: &Path) -> anyhow::Result<EntryPoint> {
    let pyproject = folder.join("pyproject.toml");
    let (handler, events) = match std::fs::read_to_string(&pyproject) {
        Ok(text) => {
            let document: toml_edit::DocumentMut = text
                .parse()
                .with_context(|| format!("{} is not valid TOML", pyproject.display()))?;
            let spec = |key: &str| {
                document
                    .get("tool")
                    .and_then(|tool| tool.get("edgeway"))
                    .and_then(|edgeway| edgeway.get(key))
                    .and_then(|value| value.as_str())
                    .map(str::to_owned)
            };
            (spec("handler"), spec("events"))
        }
        Err(_) => (None, None),
    };
    let handler = match handler {
        Some(spec) => parse_spec(&pyproject, "handler", &spec)?,
        None => ("app".into(), None),
    };
    let events = match events {
        Some(spec) => parse_spec(&pyproject, "events", &spec)?,
        None => (handler.0.clone(), None),
    };
    Ok(EntryPoint { handler, events })
}

/// `module:function` (or just `module`) from pyproject.toml's `key`.
fn parse_spec(pyproject: &Path, key: &str, spec: &str) -> anyhow::Result<(String, Option<String>)> {
    let (module, function) = match spec.split_once(':') {
        Some((module, function)) => (module, Some(function.to_owned())),
        None => (spec, None),
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
            "{}: `{key} = {spec:?}` is not `module:function`",
            pyproject.display()
        );
    }
    Ok((module.to_owned(), function))
}

#[cfg(test)]
mod tests {
    use super::{EntryPoint, World, entry_point};

    type Functions = (
        (&'static str, Option<&'static str>),
        (&'static str, Option<&'static str>),
    );

    #[test]
    fn pyproject_may_name_the_functions() {
        let dir = std::env::temp_dir().join(format!("edgeway-py-entry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let table: [(Option<&str>, Result<Functions, &str>); 7] = [
            (None, Ok((("app", None), ("app", None)))),
            (
                Some("[project]\nname = \"x\"\n"),
                Ok((("app", None), ("app", None))),
            ),
            (
                Some("[tool.edgeway]\nhandler = \"main:greet\"\n"),
                Ok((("main", Some("greet")), ("main", None))),
            ),
            (
                Some("[tool.edgeway]\nhandler = \"pkg.mod\"\n"),
                Ok((("pkg.mod", None), ("pkg.mod", None))),
            ),
            (
                Some("[tool.edgeway]\nevents = \"jobs:on_event\"\n"),
                Ok((("app", None), ("jobs", Some("on_event")))),
            ),
            (
                Some("[tool.edgeway]\nhandler = \"main:\"\n"),
                Err("`handler = \"main:\"` is not `module:function`"),
            ),
            (
                Some("[tool.edgeway]\nevents = \"a b\"\n"),
                Err("`events = \"a b\"` is not `module:function`"),
            ),
        ];
        for (pyproject, expected) in table {
            let _ = std::fs::remove_file(dir.join("pyproject.toml"));
            if let Some(text) = pyproject {
                std::fs::write(dir.join("pyproject.toml"), text).unwrap();
            }
            match (entry_point(&dir), expected) {
                (Ok(entry), Ok(((hm, hf), (em, ef)))) => {
                    let owned = |m: &str, f: Option<&str>| (m.to_owned(), f.map(str::to_owned));
                    assert_eq!(
                        entry,
                        EntryPoint {
                            handler: owned(hm, hf),
                            events: owned(em, ef)
                        },
                        "{pyproject:?}"
                    );
                }
                (Err(error), Err(message)) => assert!(error.to_string().contains(message)),
                (got, _) => panic!("{pyproject:?}: {:?}", got.map_err(|e| e.to_string())),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_target_module_names_the_worlds_exports() {
        let entry = EntryPoint {
            handler: ("app".into(), None),
            events: ("jobs".into(), Some("on_event".into())),
        };
        let expected = |exports: &str| {
            format!(
                "# Written by `edgeway build`.\nEXPORTS = ({exports})\nMODULE = \"app\"\n\
                 FUNCTION = None\nEVENTS_MODULE = \"jobs\"\nEVENTS_FUNCTION = \"on_event\"\n"
            )
        };
        let table = [
            (World::Http, "\"handler\", "),
            (World::Events, "\"events\", "),
            (World::HttpEvents, "\"handler\", \"events\", "),
        ];
        for (world, exports) in table {
            assert_eq!(entry.target_module(world), expected(exports), "{world:?}");
        }
    }
}
