//! A Python handler's packages: the pinned requirements in `requirements.txt` (or
//! `[project] dependencies` in pyproject.toml) beside its module, installed from PyPI with pip
//! as pure-Python wheels into a folder componentize-py bundles. A package that ships only
//! wheels with native code cannot run in a component (there is no WASI build of it on PyPI),
//! so the build refuses it, naming it and its line.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use edgeway_manifest::Language;

use super::Toolchain;

/// pip, inside the project's virtual environment.
const PIP: &str = "python/bin/pip";

/// The CPython that componentize-py 0.25 bundles: wheels are chosen for it.
const TARGET_PYTHON: &str = "3.14";

/// One pinned requirement, and where it is written.
#[derive(Debug, PartialEq)]
struct Requirement {
    /// `file:line` of the requirement.
    location: String,
    /// The requirement as pip takes it (`python-dateutil==4.0.0`).
    text: String,
    /// The package's normalized name (`python-dateutil`).
    name: String,
}

/// Installs the packages `folder` requires into `<work>/<name>.packages`, unless the same
/// requirements are installed there already: that folder, or `None` when there are none.
pub(super) fn install(
    toolchain: &Toolchain,
    folder: &Path,
    work: &Path,
    name: &str,
) -> anyhow::Result<Option<PathBuf>> {
    let requirements = requirements(folder)?;
    if requirements.is_empty() {
        return Ok(None);
    }
    let target = work.join(format!("{name}.packages"));
    let marker = target.join(".edgeway-requirements");
    let wanted: String = std::iter::once(format!("python {TARGET_PYTHON}\n"))
        .chain(requirements.iter().map(|r| format!("{}\n", r.text)))
        .collect();
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(Some(target));
    }
    let _ = std::fs::remove_dir_all(&target);
    let pip = toolchain.tool(PIP, Language::Python)?;
    let output = Command::new(&pip)
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--no-compile", "--target"])
        .arg(&target)
        // Pure-Python wheels only, for the CPython inside the component.
        .args([
            "--only-binary",
            ":all:",
            "--platform",
            "any",
            "--implementation",
            "py",
        ])
        .args(["--python-version", TARGET_PYTHON])
        .args(requirements.iter().map(|r| &r.text))
        .output()
        .with_context(|| format!("cannot run {}", pip.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("{}", explain_failure(&pip, &requirements, &stderr));
    }
    std::fs::write(&marker, wanted)?;
    Ok(Some(target))
}

/// The requirements of `folder`: `requirements.txt`, else pyproject.toml's
/// `[project] dependencies`. Each must pin one version (`name==version`).
fn requirements(folder: &Path) -> anyhow::Result<Vec<Requirement>> {
    let file = folder.join("requirements.txt");
    if let Ok(text) = std::fs::read_to_string(&file) {
        let mut found = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.split(" #").next().unwrap_or_default().trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let location = format!("{}:{}:1", file.display(), index + 1);
            if line.starts_with('-') {
                bail!(
                    "{location}: error: `{line}`: pip options are not read here\n  \
                     hint: list one pinned package a line (`name==version`)"
                );
            }
            found.push(pinned(location, line)?);
        }
        return Ok(found);
    }
    let file = folder.join("pyproject.toml");
    let Ok(source) = std::fs::read_to_string(&file) else {
        return Ok(Vec::new());
    };
    let document: toml_edit::DocumentMut = source
        .parse()
        .with_context(|| format!("{} is not valid TOML", file.display()))?;
    let Some(dependencies) = document
        .get("project")
        .and_then(|project| project.get("dependencies"))
        .and_then(|dependencies| dependencies.as_array())
    else {
        return Ok(Vec::new());
    };
    dependencies
        .iter()
        .map(|value| {
            let text = value.as_str().unwrap_or_default();
            // The line of its first mention as a string: enough to find it.
            let line = source
                .find(&format!("\"{text}\""))
                .map_or(1, |at| source[..at].lines().count().max(1));
            pinned(format!("{}:{line}:1", file.display()), text)
        })
        .collect()
}

/// The normalized name a requirement starts with.
fn name_of(requirement: &str) -> String {
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    normalize(&requirement[..end])
}

/// `text` as a requirement, if it pins one version: `name[extras]==version[; marker]`.
fn pinned(location: String, text: &str) -> anyhow::Result<Requirement> {
    let name = name_of(text);
    let mut rest = text[text.find(['=', '[', ';', ' ']).unwrap_or(text.len())..].trim_start();
    if rest.starts_with('[') {
        rest = rest[rest.find(']').map_or(rest.len(), |end| end + 1)..].trim_start();
    }
    let specifier = rest.split(';').next().unwrap_or_default().trim();
    let version = specifier.strip_prefix("==").map(str::trim);
    let exact = version
        .is_some_and(|v| !v.is_empty() && !v.contains([',', '*', '=', '<', '>', '!', '~', ' ']));
    if name.is_empty() || !exact {
        bail!(
            "{location}: error: `{text}` does not pin one version\n  \
             hint: write `{}==<version>`, so every build installs the same package",
            if name.is_empty() {
                "name"
            } else {
                name.as_str()
            }
        );
    }
    Ok(Requirement {
        location,
        text: text.to_owned(),
        name,
    })
}

/// A package name as PyPI compares them: lowercase, runs of `-_.` as one `-`.
fn normalize(name: &str) -> String {
    let mut normalized = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normalized.ends_with('-') {
                normalized.push('-');
            }
        } else {
            normalized.push(c.to_ascii_lowercase());
        }
    }
    normalized
}

/// Why pip could not install the requirements: for a package without a pure-Python wheel,
/// its name, who requires it, and whether it ships native wheels instead.
fn explain_failure(pip: &Path, requirements: &[Requirement], stderr: &str) -> String {
    let Some(missing) = unavailable(stderr) else {
        return format!("pip could not install the handler's packages:\n{stderr}");
    };
    let name = name_of(&missing.requirement);
    let top = missing.required_by.as_deref().map(normalize);
    let written = requirements
        .iter()
        .find(|r| r.name == *top.as_deref().unwrap_or(&name))
        .map_or("requirements", |r| r.location.as_str());
    let who = match &top {
        Some(parent) => format!("package `{name}` (required by `{parent}`)"),
        None => format!("package `{name}`"),
    };
    if let Some(versions) = &missing.pure_versions {
        // pip lists them oldest first: the latest few are the ones to pin.
        let versions: Vec<&str> = versions.split(", ").collect();
        let latest = versions[versions.len().saturating_sub(5)..].join(", ");
        return format!(
            "{written}: error: no version of {who} with a pure-Python wheel matches `{}`\n  \
             hint: pin one that has one, such as the latest: {latest}",
            missing.requirement
        );
    }
    let why = match native_wheel(pip, &missing.requirement) {
        Some(wheel) => format!(
            "it contains native code: PyPI has only wheels built for particular platforms \
             ({wheel} for this machine) and none for WASI, so it cannot run in a component"
        ),
        None => {
            "PyPI has no wheel of it that pip could install (pure-Python or any other)".to_owned()
        }
    };
    format!(
        "{written}: error: {who} has no pure-Python wheel: {why}\n  \
         hint: choose a pure-Python package (its wheel ends in `-none-any.whl`)"
    )
}

/// A requirement pip found no distribution for, and the package that required it.
#[derive(Debug, PartialEq)]
struct Unavailable {
    requirement: String,
    required_by: Option<String>,
    /// The versions that have a pure-Python wheel, when there are any.
    pure_versions: Option<String>,
}

/// From pip's `Could not find a version that satisfies the requirement X (from Y) (from
/// versions: …)`.
fn unavailable(stderr: &str) -> Option<Unavailable> {
    let line = stderr.lines().find_map(|l| {
        l.split_once("satisfies the requirement ")
            .map(|(_, rest)| rest)
    })?;
    let (requirement, rest) = line.split_once(" (").unwrap_or((line, ""));
    let required_by = rest
        .strip_prefix("from ")
        .filter(|_| !rest.starts_with("from versions"))
        .and_then(|from| from.split_once(')'))
        .map(|(parent, _)| parent.trim().to_owned());
    let pure_versions = line
        .rsplit_once("(from versions: ")
        .and_then(|(_, versions)| versions.strip_suffix(')'))
        .filter(|versions| *versions != "none")
        .map(str::to_owned);
    Some(Unavailable {
        requirement: requirement.trim().to_owned(),
        required_by,
        pure_versions,
    })
}

/// The file name of a wheel of `requirement` built for this machine, if PyPI has one.
fn native_wheel(pip: &Path, requirement: &str) -> Option<String> {
    let dest = std::env::temp_dir().join(format!("edgeway-wheel-{}", std::process::id()));
    let output = Command::new(pip)
        .args([
            "download",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .args(["--no-deps", "--only-binary", ":all:", "--dest"])
        .arg(&dest)
        .arg(requirement)
        .output()
        .ok()?;
    let wheel = std::fs::read_dir(&dest)
        .ok()
        .and_then(|mut entries| entries.next())
        .and_then(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned());
    let _ = std::fs::remove_dir_all(&dest);
    wheel.filter(|_| output.status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pinned_requirements_are_read() {
        let table = [
            ("python-dateutil==4.0.0", Ok("python-dateutil")),
            ("Markdown == 3.9", Ok("markdown")),
            (
                "pydantic[email]==2.11.0 ; python_version >= '3.9'",
                Ok("pydantic"),
            ),
            ("zope.interface==8.0", Ok("zope-interface")),
            ("requests", Err("`requests` does not pin one version")),
            ("requests>=2", Err("hint: write `requests==<version>`")),
            ("six==1.*", Err("does not pin one version")),
            ("six==1.0,!=1.1", Err("does not pin one version")),
            ("==1.0", Err("hint: write `name==<version>`")),
        ];
        for (text, expected) in table {
            match (pinned("r.txt:3:1".into(), text), expected) {
                (Ok(requirement), Ok(name)) => {
                    assert_eq!(requirement.name, name, "{text}");
                    assert_eq!(requirement.text, text);
                }
                (Err(error), Err(message)) => {
                    let error = error.to_string();
                    assert!(error.starts_with("r.txt:3:1: error: "), "{error}");
                    assert!(error.contains(message), "{error}");
                }
                (got, _) => panic!("{text}: {:?}", got.map_err(|e| e.to_string())),
            }
        }
    }

    #[test]
    fn requirements_come_from_requirements_txt_or_pyproject() {
        let dir = std::env::temp_dir().join(format!("edgeway-py-reqs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(requirements(&dir).unwrap(), []);

        let pyproject =
            "[project]\nname = \"x\"\ndependencies = [\n  \"six==1.17.0\",\n  \"tzdata\",\n]\n";
        std::fs::write(dir.join("pyproject.toml"), pyproject).unwrap();
        let error = requirements(&dir).unwrap_err().to_string();
        let file = dir.join("pyproject.toml");
        assert!(
            error.starts_with(&format!("{}:5:1: error: `tzdata`", file.display())),
            "{error}"
        );

        let text = "# the packages\n\nsix==1.17.0  # compatibility\n-r other.txt\n";
        std::fs::write(dir.join("requirements.txt"), text).unwrap();
        let error = requirements(&dir).unwrap_err().to_string();
        let file = dir.join("requirements.txt");
        assert!(
            error.starts_with(&format!("{}:4:1: error: `-r other.txt`", file.display())),
            "{error}"
        );
        std::fs::write(dir.join("requirements.txt"), &text[..text.len() - 13]).unwrap();
        let found = requirements(&dir).unwrap();
        assert_eq!(
            found,
            [Requirement {
                location: format!("{}:3:1", file.display()),
                text: "six==1.17.0".into(),
                name: "six".into()
            }]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pips_refusal_names_the_package_and_who_requires_it() {
        let table = [
            (
                "ERROR: Could not find a version that satisfies the requirement ujson==5.10.0 (from versions: none)\nERROR: No matching distribution found for ujson==5.10.0\n",
                Some(("ujson==5.10.0", None, None)),
            ),
            (
                "ERROR: Could not find a version that satisfies the requirement MarkupSafe>=2.0 (from jinja2) (from versions: none)\n",
                Some(("MarkupSafe>=2.0", Some("jinja2"), None)),
            ),
            (
                "ERROR: Could not find a version that satisfies the requirement six==9.0 (from versions: 1.16.0, 1.17.0)\n",
                Some(("six==9.0", None, Some("1.16.0, 1.17.0"))),
            ),
            ("ERROR: network is down\n", None),
        ];
        for (stderr, expected) in table {
            let expected = expected.map(
                |(requirement, by, versions): (&str, Option<&str>, Option<&str>)| Unavailable {
                    requirement: requirement.into(),
                    required_by: by.map(str::to_owned),
                    pure_versions: versions.map(str::to_owned),
                },
            );
            assert_eq!(unavailable(stderr), expected, "{stderr}");
        }
    }
}
