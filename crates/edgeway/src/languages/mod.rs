//! Handlers in Python and JavaScript: telling a handler's language, and building the ones
//! that cargo does not build into components of one of the contract's worlds:
//! `http-handler` (routes), `event-handler` (events) or `http-event-handler` (both).
//!
//! Each build writes `<out>/<name>.wasm` and, beside it, `<name>.stamp`: the world, and a
//! SHA-256 of the handler's sources, the SDK, the WIT and the tool versions. A handler whose
//! stamp still matches is not rebuilt, so its component (and the composed app, and the host's
//! compile cache) stay byte for byte the same. The packages a handler requires (Python:
//! requirements.txt; JavaScript: package.json and its lockfile) are installed beside it in
//! `<out>/<name>.packages` or `<out>/<name>.npm`, again only when what it requires changed.
mod javascript;
mod python;
mod python_packages;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use edgeway_manifest::{Handler, Language};
use sha2::{Digest, Sha256};

/// Bumped when the way handlers are built changes, so every stamp goes stale.
const RECIPE: &str = "edgeway-languages-3";

/// The worlds of wit/ a Python or JavaScript handler can target: the `outbound-` ones add the
/// imports a handler granted `allowed_outbound_hosts` calls other hosts through.
pub const WORLDS: [&str; 6] = [
    "http-handler",
    "event-handler",
    "http-event-handler",
    "outbound-http-handler",
    "outbound-event-handler",
    "outbound-http-event-handler",
];

/// A world of wit/ a Python or JavaScript handler targets: what its component exports, and
/// whether it calls other hosts. In the order of [`WORLDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum World {
    /// `http-handler`: `handler`.
    Http,
    /// `event-handler`: `events`.
    Events,
    /// `http-event-handler`: `handler` and `events`.
    HttpEvents,
    /// `outbound-http-handler`: `handler`, and outbound HTTP.
    OutboundHttp,
    /// `outbound-event-handler`: `events`, and outbound HTTP.
    OutboundEvents,
    /// `outbound-http-event-handler`: `handler` and `events`, and outbound HTTP.
    OutboundHttpEvents,
}

impl World {
    const ALL: [World; 6] = [
        World::Http,
        World::Events,
        World::HttpEvents,
        World::OutboundHttp,
        World::OutboundEvents,
        World::OutboundHttpEvents,
    ];

    fn parse(name: &str) -> anyhow::Result<World> {
        match WORLDS.iter().position(|world| *world == name) {
            Some(index) => Ok(World::ALL[index]),
            None => bail!(
                "Python and JavaScript handlers cannot target world `{name}`; \
                 they target one of: {}",
                WORLDS.join(", ")
            ),
        }
    }

    fn name(self) -> &'static str {
        WORLDS[self as usize]
    }

    /// The interfaces the world exports, as wit/ names them.
    fn exports(self) -> &'static [&'static str] {
        match self {
            World::Http | World::OutboundHttp => &["handler"],
            World::Events | World::OutboundEvents => &["events"],
            World::HttpEvents | World::OutboundHttpEvents => &["handler", "events"],
        }
    }
}

/// Where edgeway's own files and the Python and JavaScript tools are.
pub struct Toolchain {
    /// The edgeway checkout: `wit/`, `crates/edgeway-sdk-python`, `crates/edgeway-sdk-js`.
    root: PathBuf,
    /// `.edgeway/tools` (or `$EDGEWAY_TOOLS`), as scripts/install.sh fills it.
    tools: PathBuf,
}

impl Toolchain {
    /// The toolchain of the checkout at `root`.
    pub fn new(root: &Path) -> Toolchain {
        let tools = std::env::var_os("EDGEWAY_TOOLS")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".edgeway/tools"));
        Toolchain {
            root: root.to_owned(),
            tools,
        }
    }

    fn wit(&self) -> PathBuf {
        self.root.join("wit")
    }

    fn tool(&self, relative: &str, language: Language) -> anyhow::Result<PathBuf> {
        let path = self.tools.join(relative);
        if !path.exists() {
            bail!(
                "{} handlers need {}, which is not installed\n  hint: run scripts/install.sh (or point EDGEWAY_TOOLS at a tools folder it filled)",
                language.name(),
                path.display()
            );
        }
        Ok(path)
    }
}

/// The language of a handler: the manifest's `language`, else what its folder holds
/// (`Cargo.toml`: Rust; `app.py` or `pyproject.toml`: Python; `package.json`: JavaScript).
/// A folder with none of them is taken for Rust, whose build says what is missing.
pub fn language_of(manifest_dir: &Path, handler: &Handler) -> Language {
    handler
        .language
        .or_else(|| detect(&manifest_dir.join(&handler.path)))
        .unwrap_or(Language::Rust)
}

/// The language a folder's files show, if any.
pub fn detect(folder: &Path) -> Option<Language> {
    let has = |file: &str| folder.join(file).is_file();
    if has("Cargo.toml") {
        Some(Language::Rust)
    } else if has("app.py") || has("pyproject.toml") {
        Some(Language::Python)
    } else if has("package.json") {
        Some(Language::JavaScript)
    } else {
        None
    }
}

/// What building one handler did.
pub struct Built {
    /// The component.
    pub wasm: PathBuf,
    /// Whether it was built now (false: its stamp was current).
    pub rebuilt: bool,
}

/// Builds the Python or JavaScript handler `name` from `folder` into `out_dir/<name>.wasm`,
/// a component of `world` (one of [`WORLDS`]), unless its stamp says the component there is
/// current.
pub fn build(
    toolchain: &Toolchain,
    name: &str,
    language: Language,
    world: &str,
    folder: &Path,
    out_dir: &Path,
) -> anyhow::Result<Built> {
    let world = World::parse(world)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let wasm = out_dir.join(format!("{name}.wasm"));
    let stamp_path = out_dir.join(format!("{name}.stamp"));
    // One build of a handler at a time: a second `edgeway build` waits, then finds it current.
    let lock = File::create(out_dir.join(format!("{name}.lock")))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", out_dir.display()))?;
    let (sdk, versions) = match language {
        Language::Python => (python::sdk(toolchain), python::versions(toolchain)?),
        Language::JavaScript => (javascript::sdk(toolchain), javascript::versions(toolchain)?),
        Language::Rust => unreachable!("cargo builds Rust handlers"),
    };
    let stamp = stamp(
        &[folder, &sdk, &toolchain.wit()],
        &format!("world {}\n{versions}", world.name()),
    )?;
    if wasm.is_file() && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp) {
        return Ok(Built {
            wasm,
            rebuilt: false,
        });
    }
    let started = Instant::now();
    let temporary = out_dir.join(format!("{name}.wasm.tmp-{}", std::process::id()));
    let result = match language {
        Language::Python => python::build(toolchain, folder, out_dir, name, world, &temporary),
        _ => javascript::build(toolchain, folder, out_dir, name, world, &temporary),
    };
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(error.context(format!(
            "building it ({}) from {} failed",
            language.name(),
            folder.display()
        )));
    }
    std::fs::rename(&temporary, &wasm)
        .with_context(|| format!("cannot write {}", wasm.display()))?;
    std::fs::write(&stamp_path, &stamp)?;
    let size = std::fs::metadata(&wasm)?.len();
    eprintln!(
        "    {name} ({}): {:.1} MiB in {:.1}s",
        language.name(),
        size as f64 / f64::from(1 << 20),
        started.elapsed().as_secs_f64()
    );
    Ok(Built {
        wasm,
        rebuilt: true,
    })
}

/// Runs a build tool, failing with what it printed.
fn run(command: &mut std::process::Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} exited with {}:\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The stamp of a build: the recipe, the tool versions, and a SHA-256 over every source
/// file under `roots` (relative path and contents, in a stable order).
fn stamp(roots: &[&Path], versions: &str) -> anyhow::Result<String> {
    let mut digest = Sha256::new();
    for (index, root) in roots.iter().enumerate() {
        let mut files = Vec::new();
        collect(root, &mut files)?;
        files.sort();
        digest.update((index as u64).to_le_bytes());
        for file in files {
            let relative = file.strip_prefix(root).unwrap_or(&file);
            digest.update(relative.as_os_str().as_encoded_bytes());
            digest.update([0]);
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            digest.update((bytes.len() as u64).to_le_bytes());
            digest.update(&bytes);
        }
    }
    let hex: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("{RECIPE}\n{versions}\nsources {hex}\n"))
}

/// Folders that hold no sources: dependencies, caches, build output.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "node_modules" | "__pycache__" | "target")
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if dir.is_file() {
        files.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        if skipped(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgeway-lang-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_folder_tells_the_language() {
        let table = [
            (&["Cargo.toml", "app.py"][..], Some(Language::Rust)),
            (&["app.py"], Some(Language::Python)),
            (&["pyproject.toml", "handler.py"], Some(Language::Python)),
            (&["package.json", "index.js"], Some(Language::JavaScript)),
            (&["README.md"], None),
        ];
        for (i, (files, expected)) in table.into_iter().enumerate() {
            let dir = temp(&format!("detect-{i}"));
            for file in files {
                std::fs::write(dir.join(file), "").unwrap();
            }
            assert_eq!(detect(&dir), expected, "{files:?}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn only_the_three_worlds_are_targets() {
        for name in WORLDS {
            assert_eq!(World::parse(name).unwrap().name(), name);
        }
        let error = World::parse("stateful-handler").unwrap_err().to_string();
        assert!(
            error.contains("cannot target world `stateful-handler`"),
            "{error}"
        );
        assert!(
            error.contains("http-handler, event-handler, http-event-handler"),
            "{error}"
        );
    }

    #[test]
    fn the_stamp_follows_sources_and_versions_but_not_caches() {
        let dir = temp("stamp");
        std::fs::write(dir.join("app.py"), "def handler(r): pass").unwrap();
        let first = stamp(&[&dir], "tool 1").unwrap();
        assert_eq!(first, stamp(&[&dir], "tool 1").unwrap());
        assert_ne!(first, stamp(&[&dir], "tool 2").unwrap());

        std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
        std::fs::write(dir.join("__pycache__/app.pyc"), "cache").unwrap();
        std::fs::create_dir_all(dir.join("node_modules/x")).unwrap();
        std::fs::write(dir.join("node_modules/x/index.js"), "dep").unwrap();
        assert_eq!(first, stamp(&[&dir], "tool 1").unwrap());

        std::fs::write(dir.join("app.py"), "def handler(r): return 1").unwrap();
        assert_ne!(first, stamp(&[&dir], "tool 1").unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
