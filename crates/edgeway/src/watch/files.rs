//! Which files `edgeway up --watch` watches (the manifest and its `watch` globs), and their
//! state: one walk of the folders the globs name, reading each file's modification time and
//! length.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use toml_edit::DocumentMut;

/// Folders never watched, wherever they are: build output, edgeway's tools and stores,
/// dependencies, caches and version control.
const IGNORED: [&str; 5] = ["target", ".edgeway", "node_modules", "__pycache__", ".git"];

/// What is known of each watched file: when it was last modified, and its length.
pub(crate) type Snapshot = BTreeMap<PathBuf, (Option<SystemTime>, u64)>;

/// The files to watch: the manifest, and those under its folder that a glob matches.
pub(crate) struct Watched {
    root: PathBuf,
    manifest: PathBuf,
    /// The globs as written, relative to `root`.
    globs: Vec<String>,
}

impl Watched {
    /// The manifest at `manifest` and the `watch` globs of its `[component.<id>.build]`
    /// tables.
    pub(crate) fn read(manifest: &Path) -> anyhow::Result<Watched> {
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let document: DocumentMut = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", manifest.display()))?;
        let mut globs = Vec::new();
        let components = document.get("component").and_then(|c| c.as_table_like());
        for (_, component) in components.into_iter().flat_map(|c| c.iter()) {
            let watch = component.get("build").and_then(|build| build.get("watch"));
            let globs_of = watch
                .and_then(|watch| watch.as_array())
                .into_iter()
                .flatten();
            for glob in globs_of.filter_map(|glob| glob.as_str()) {
                let glob = glob.trim_start_matches("./").to_owned();
                if !globs.contains(&glob) {
                    globs.push(glob);
                }
            }
        }
        let root = manifest.parent().unwrap_or(Path::new("")).to_owned();
        Ok(Watched {
            root,
            manifest: manifest.to_owned(),
            globs,
        })
    }

    /// The globs, for messages.
    pub(crate) fn globs(&self) -> &[String] {
        &self.globs
    }

    /// Every watched file as it is now. Files that vanish while being read are left out.
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut files = Snapshot::new();
        record(&mut files, &self.manifest);
        for glob in &self.globs {
            let pattern: Vec<&str> = glob.split('/').filter(|s| !s.is_empty()).collect();
            // Walk only from the glob's literal folders: `components/**/*.rs` from components/.
            let literal = pattern
                .iter()
                .take_while(|segment| !segment.contains(['*', '?', '[']))
                .count()
                .min(pattern.len().saturating_sub(1));
            let start = pattern[..literal].iter().collect::<PathBuf>();
            // Without `**`, a glob reaches no deeper than its own segments.
            let depth = (!pattern.contains(&"**")).then_some(pattern.len() - literal);
            walk(&self.root, &start, depth, &mut |relative, path| {
                let segments: Vec<&str> = relative.split('/').collect();
                if glob_matches(&pattern, &segments) {
                    record(&mut files, path);
                }
            });
        }
        files
    }
}

/// The first file that differs between `before` and `after`: changed, added or removed.
pub(crate) fn first_change<'a>(before: &'a Snapshot, after: &'a Snapshot) -> Option<&'a Path> {
    let changed = after
        .iter()
        .find(|(path, state)| before.get(*path) != Some(state));
    let removed = || before.keys().find(|path| !after.contains_key(*path));
    changed.map(|(path, _)| path).or_else(removed).map(|p| &**p)
}

fn record(files: &mut Snapshot, path: &Path) {
    if let Ok(metadata) = std::fs::metadata(path) {
        files.insert(path.to_owned(), (metadata.modified().ok(), metadata.len()));
    }
}

/// Calls `found(relative path with '/', path)` for every file under `root/start`, at most
/// `depth` levels down if given, skipping the [`IGNORED`] folders and not following links
/// to folders.
fn walk(root: &Path, start: &Path, depth: Option<usize>, found: &mut dyn FnMut(&str, &Path)) {
    if depth == Some(0) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root.join(start)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let relative = start.join(name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !IGNORED.contains(&name) {
                walk(root, &relative, depth.map(|d| d - 1), found);
            }
        } else if let Some(text) = relative.to_str() {
            found(&text.replace('\\', "/"), &entry.path());
        }
    }
}

/// Whether `path` (split at '/') matches the glob `pattern` (split at '/'): `**` matches
/// any number of folders, `*` any characters within a name, `?` one character.
fn glob_matches(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, _) => path.is_empty(),
        (Some((&"**", rest)), _) => {
            glob_matches(rest, path) || (!path.is_empty() && glob_matches(pattern, &path[1..]))
        }
        (Some(_), None) => false,
        (Some((segment, rest)), Some((name, names))) => {
            name_matches(segment.as_bytes(), name.as_bytes()) && glob_matches(rest, names)
        }
    }
}

/// Whether one file or folder name matches one segment of a glob.
fn name_matches(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.split_first(), name.split_first()) {
        (None, _) => name.is_empty(),
        (Some((b'*', rest)), _) => {
            name_matches(rest, name) || (!name.is_empty() && name_matches(pattern, &name[1..]))
        }
        (Some(_), None) => false,
        (Some((b'?', rest)), Some((_, names))) => name_matches(rest, names),
        (Some((c, rest)), Some((n, names))) => c == n && name_matches(rest, names),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_spin_watch_reads_them() {
        for (glob, path, expected) in [
            ("spin.toml", "spin.toml", true),
            ("spin.toml", "other/spin.toml", false),
            ("wit/*.wit", "wit/handler.wit", true),
            ("wit/*.wit", "wit/deps/http.wit", false),
            ("components/**/*.rs", "components/greet/src/lib.rs", true),
            ("components/**/*.rs", "components/lib.rs", true),
            (
                "components/**/*.rs",
                "components/greet/src/lib.rs.orig",
                false,
            ),
            (
                "components/**/Cargo.toml",
                "components/greet/Cargo.toml",
                true,
            ),
            ("src/?.py", "src/a.py", true),
            ("src/?.py", "src/ab.py", false),
            ("**", "a/b/c", true),
            ("*.js", "index.js", true),
            ("*.js", "lib/index.js", false),
        ] {
            let pattern: Vec<&str> = glob.split('/').collect();
            let segments: Vec<&str> = path.split('/').collect();
            assert_eq!(glob_matches(&pattern, &segments), expected, "{glob} {path}");
        }
    }

    #[test]
    fn snapshots_see_watched_files_only_and_changes_to_them() {
        let dir = std::env::temp_dir().join(format!("edgeway-watch-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for file in ["src/lib.rs", "target/x/lib.rs", "README.md"] {
            let path = dir.join("components/greet").join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "fn main() {}").unwrap();
        }
        let manifest = dir.join("spin.toml");
        let text = "[component.gateway.build]\nwatch = [\"components/**/*.rs\", \"*.md\"]\n";
        std::fs::write(&manifest, text).unwrap();

        let watched = Watched::read(&manifest).unwrap();
        assert_eq!(watched.globs(), ["components/**/*.rs", "*.md"]);
        let before = watched.snapshot();
        let lib = dir.join("components/greet/src/lib.rs");
        assert_eq!(before.keys().collect::<Vec<_>>(), [&lib, &manifest]);

        std::fs::write(&lib, "fn main() { }").unwrap();
        let after = watched.snapshot();
        assert_eq!(first_change(&before, &after), Some(lib.as_path()));
        std::fs::remove_file(&lib).unwrap();
        assert_eq!(
            first_change(&after, &watched.snapshot()),
            Some(lib.as_path())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
