//! `edgeway new <name> --lang rust|python|js [--route "GET /path"]`: a handler folder from a
//! template that builds and passes its own test as it is, declared and routed in the manifest.
//!
//! The manifest (and, for Rust, the components workspace's `members`) are edited with
//! `toml_edit`, so their comments and formatting stay as they were; the edited manifest is
//! validated like any other before anything is written.
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use clap::{Args, ValueEnum};
use edgeway_manifest::{Language, Manifest};
use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

#[derive(Args)]
pub struct NewArgs {
    /// The handler's name: lowercase words joined by `-` (its folder is components/<name>).
    name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    lang: Lang,
    /// The route to add, as in the manifest: "METHODS /path" [default: "GET /<name>"].
    #[arg(long)]
    route: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Rust,
    Python,
    Js,
}

/// A template file: its path in the handler folder and its text with `{{name}}` and
/// `{{route}}` to fill in.
type Template = (&'static str, &'static str);

const RUST: &[Template] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    ("src/lib.rs", include_str!("../templates/rust/src/lib.rs")),
];
const PYTHON: &[Template] = &[
    ("app.py", include_str!("../templates/python/app.py")),
    (
        "requirements.txt",
        include_str!("../templates/python/requirements.txt"),
    ),
];
const JS: &[Template] = &[
    ("package.json", include_str!("../templates/js/package.json")),
    ("index.js", include_str!("../templates/js/index.js")),
    (
        "index.test.js",
        include_str!("../templates/js/index.test.js"),
    ),
];

impl Lang {
    fn language(self) -> Language {
        match self {
            Lang::Rust => Language::Rust,
            Lang::Python => Language::Python,
            Lang::Js => Language::JavaScript,
        }
    }

    fn templates(self) -> &'static [Template] {
        match self {
            Lang::Rust => RUST,
            Lang::Python => PYTHON,
            Lang::Js => JS,
        }
    }

    /// How to run the handler's generated test, from its folder.
    fn test_command(self) -> String {
        match self {
            // From the crate's own folder: `-p <name>` is ambiguous when a dependency
            // shares the handler's name (`quote`, `serde`).
            Lang::Rust => format!("cargo test --target {}", host_target()),
            Lang::Python => "python3 -m doctest app.py".into(),
            Lang::Js => "node --test".into(),
        }
    }
}

/// The native target triple: the components workspace builds for wasm32-wasip2 by default,
/// and a component crate's unit tests run natively.
fn host_target() -> &'static str {
    if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        "x86_64-unknown-linux-gnu"
    } else if cfg!(all(target_arch = "aarch64", target_os = "linux")) {
        "aarch64-unknown-linux-gnu"
    } else if cfg!(all(target_arch = "aarch64", target_os = "macos")) {
        "aarch64-apple-darwin"
    } else {
        "<your host's target triple>"
    }
}

pub fn new(manifest_path: &Path, args: NewArgs) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let name = &args.name;
    if manifest.handler_index(name).is_some() {
        bail!("the manifest already declares a handler `{name}`");
    }
    let route = args.route.clone().unwrap_or_else(|| format!("GET /{name}"));
    let relative = PathBuf::from("components").join(name);
    let folder = manifest.dir().join(&relative);
    if folder.exists() {
        bail!("{} already exists", folder.display());
    }
    let text = std::fs::read_to_string(manifest_path)?;
    let edited = add_to_manifest(&text, &manifest.component_id, name, &relative, &route)?;
    let members = (matches!(args.lang, Lang::Rust))
        .then(|| components_workspace(&manifest.dir(), name))
        .transpose()?;

    write_templates(&folder, args.lang.templates(), name, &route)?;
    // The folder exists now, so the edited manifest can be checked like any other.
    if let Err(error) = Manifest::parse(manifest_path, &edited) {
        let _ = std::fs::remove_dir_all(&folder);
        return Err(anyhow!(error));
    }
    if let Some((path, text)) = members {
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    std::fs::write(manifest_path, edited)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;

    let language = args.lang.language().name();
    println!(
        "Created {} ({language}), routed from `{route}`.",
        folder.display()
    );
    println!(
        "  test it:  cd {} && {}",
        relative.display(),
        args.lang.test_command()
    );
    println!("  serve it: edgeway up");
    Ok(())
}

/// The manifest text with `name = { path = "<relative>" }` added to the handlers and
/// `"<route>" = "name"` to the routes of the edgeway component `component`.
fn add_to_manifest(
    text: &str,
    component: &str,
    name: &str,
    relative: &Path,
    route: &str,
) -> anyhow::Result<String> {
    let mut document: DocumentMut = text.parse().context("the manifest is not valid TOML")?;
    let edgeway = document
        .get_mut("component")
        .and_then(|c| c.get_mut(component))
        .and_then(|c| c.get_mut("tool"))
        .and_then(|t| t.get_mut("edgeway"))
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| anyhow!("no [component.{component}.tool.edgeway] table to add to"))?;
    let mut handler = InlineTable::new();
    let path = relative
        .to_str()
        .context("the handler's path is not UTF-8")?;
    handler.insert("path", Value::from(path.replace('\\', "/")));
    let handlers = table_in(edgeway, "handlers")?;
    if handlers.contains_key(name) {
        bail!("the manifest already declares a handler `{name}`");
    }
    handlers.insert(name, Item::Value(Value::InlineTable(handler)));
    let routes = table_in(edgeway, "routes")?;
    if let Some(existing) = routes.get(route) {
        let to = existing
            .as_str()
            .map_or(String::new(), |h| format!(" to `{h}`"));
        bail!("the manifest already routes `{route}`{to}\n  hint: pick another with --route");
    }
    routes.insert(route, Item::Value(Value::from(name)));
    Ok(document.to_string())
}

/// The table `key` of `parent`, created (as `[...key]`) if missing.
fn table_in<'a>(
    parent: &'a mut dyn toml_edit::TableLike,
    key: &str,
) -> anyhow::Result<&'a mut dyn toml_edit::TableLike> {
    if parent.get(key).is_none() {
        parent.insert(key, Item::Table(Table::new()));
    }
    parent
        .get_mut(key)
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| anyhow!("`{key}` in the edgeway table is not a table"))
}

/// components/Cargo.toml with `name` added to `members`: the file and its new text.
fn components_workspace(manifest_dir: &Path, name: &str) -> anyhow::Result<(PathBuf, String)> {
    let path = manifest_dir.join("components/Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "a Rust handler goes in the components workspace, but {} cannot be read",
            path.display()
        )
    })?;
    let mut document: DocumentMut = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let members = document
        .get_mut("workspace")
        .and_then(|w| w.get_mut("members"))
        .and_then(Item::as_array_mut)
        .ok_or_else(|| anyhow!("{} has no `workspace.members` list", path.display()))?;
    members.push(name);
    Ok((path, document.to_string()))
}

fn write_templates(
    folder: &Path,
    templates: &[Template],
    name: &str,
    route: &str,
) -> anyhow::Result<()> {
    for (file, template) in templates {
        let path = folder.join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(folder))?;
        let text = template
            .replace("{{name}}", name)
            .replace("{{route}}", route);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"# The app.
[application]
name = "app"

[component.gateway]
source = "out.wasm"

# Handlers, one per folder.
[component.gateway.tool.edgeway.handlers]
greet = { path = "components/greet" }   # the first

# Routes.
[component.gateway.tool.edgeway.routes]
"GET /hello" = "greet"
"#;

    #[test]
    fn adding_a_handler_keeps_comments_and_formatting() {
        let edited = add_to_manifest(
            MANIFEST,
            "gateway",
            "hello-py",
            Path::new("components/hello-py"),
            "GET /py",
        )
        .unwrap();
        let expected = MANIFEST
            .replace(
                "# the first\n",
                "# the first\nhello-py = { path = \"components/hello-py\" }\n",
            )
            .replace(
                "\"GET /hello\" = \"greet\"\n",
                "\"GET /hello\" = \"greet\"\n\"GET /py\" = \"hello-py\"\n",
            );
        assert_eq!(edited, expected);
    }

    #[test]
    fn a_route_or_handler_that_is_taken_is_refused() {
        let path = Path::new("components/x");
        let error = add_to_manifest(MANIFEST, "gateway", "x", path, "GET /hello").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the manifest already routes `GET /hello` to `greet`\n  hint: pick another with --route"
        );
        let error = add_to_manifest(MANIFEST, "gateway", "greet", path, "GET /x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the manifest already declares a handler `greet`"
        );
    }

    #[test]
    fn a_missing_routes_table_is_created() {
        let source = MANIFEST.split("# Routes.").next().unwrap();
        let edited =
            add_to_manifest(source, "gateway", "x", Path::new("components/x"), "GET /x").unwrap();
        assert!(
            edited
                .trim_end()
                .ends_with("\n[component.gateway.tool.edgeway.routes]\n\"GET /x\" = \"x\""),
            "{edited}"
        );
    }
}
