//! `edgeway build`: manifest → handler and gateway components → one composed component.
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use edgeway_compose::{ComposeError, Handler, SPIN_MAX_MEMORIES, inspect};
use edgeway_manifest::{Diagnostic, Language, Manifest, ManifestError, Wasi};

use crate::cargo::{Package, Workspace};
use crate::languages::{self, Toolchain};
use crate::progress::Step;

/// The gateway's package in the components workspace.
const GATEWAY_PACKAGE: &str = "gateway";

/// `--wasi`, for `edgeway build` and `edgeway up`.
#[derive(clap::Args)]
pub struct WasiArg {
    /// The WASI version to build for: 0.2 (`wasi:http/incoming-handler`, every Spin, Fermyon
    /// Cloud, SpinKube) or 0.3 (`wasi:http/handler`, Spin 4.1+, which reuses instances)
    /// [default: the manifest's `wasi`, else 0.2].
    #[arg(long, value_name = "VERSION")]
    pub wasi: Option<Wasi>,
}

/// What a build produced.
pub struct Built {
    pub manifest: Manifest,
    /// The composed component.
    pub output: PathBuf,
}

/// Builds the app for `wasi`, or for the manifest's `wasi` when `None`.
pub fn build(manifest_path: &Path, wasi: Option<Wasi>) -> anyhow::Result<Built> {
    let parts = build_parts(manifest_path, wasi)?;
    compose_app(parts)
}

/// Every component of an app, built and read, before composing.
pub struct Parts {
    pub manifest: Manifest,
    /// The gateway built from the app's whole manifest.
    pub gateway_wasm: Vec<u8>,
    /// One per handler, in manifest order.
    pub handler_wasms: Vec<Vec<u8>>,
    pub workspace: Workspace,
    /// The components workspace's build lock, held until the parts are composed.
    pub lock: std::fs::File,
}

impl Parts {
    /// Builds the gateway again from another manifest (e.g. one group's of a split
    /// deployment), with the features it needs, and reads it. Needs the lock `self` holds.
    pub fn build_gateway(
        &self,
        manifest_path: &Path,
        features: &[&str],
    ) -> anyhow::Result<Vec<u8>> {
        let gateway = self.workspace.package(GATEWAY_PACKAGE).with_context(|| {
            format!("the components workspace has no `{GATEWAY_PACKAGE}` crate")
        })?;
        let features = gateway_features(features, self.manifest.wasi);
        let manifest_abs = manifest_path.canonicalize()?;
        self.workspace.build(
            &[gateway],
            &features,
            &[("EDGEWAY_MANIFEST", &manifest_abs)],
        )?;
        let path = self
            .workspace
            .wasm_path(gateway)
            .expect("the gateway is a cdylib");
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// The gateway's cargo features, as `gateway/<feature>`: the policies' and the HTTP edge's.
fn gateway_features(policies: &[&str], wasi: Wasi) -> Vec<String> {
    policies
        .iter()
        .chain([&wasi.gateway_feature()])
        .map(|f| format!("{GATEWAY_PACKAGE}/{f}"))
        .collect()
}

/// Builds the handlers and the gateway (for `wasi`, or the manifest's) and reads them; the
/// workspace's lock stays held.
pub fn build_parts(manifest_path: &Path, wasi: Option<Wasi>) -> anyhow::Result<Parts> {
    let mut manifest = Manifest::load(manifest_path)?;
    if let Some(wasi) = wasi {
        manifest.wasi = wasi;
    }
    let dir = manifest.dir();
    let languages: Vec<Language> = manifest
        .handlers
        .iter()
        .map(|handler| languages::language_of(&dir, handler))
        .collect();
    // The Rust handlers' cargo workspace, which also holds the gateway.
    let first_rust = manifest
        .handlers
        .iter()
        .zip(&languages)
        .find(|(_, language)| **language == Language::Rust)
        .map_or_else(|| dir.join("components"), |(h, _)| dir.join(&h.path));
    let workspace = Workspace::containing(&first_rust)?;
    let handler_packages = manifest
        .handlers
        .iter()
        .zip(&languages)
        .filter(|(_, language)| **language == Language::Rust)
        .map(|(handler, _)| {
            let package = workspace.package_in(&dir.join(&handler.path)).ok_or_else(|| {
                anyhow!(
                    "{}: error: handler `{}`: `{}` is not a crate of the components workspace\n  hint: add it to `members` in {}",
                    handler.location,
                    handler.name,
                    handler.path.display(),
                    workspace.root().join("Cargo.toml").display()
                )
            })?;
            if package.cdylib.is_none() {
                bail!(
                    "{}: error: handler `{}`: crate `{}` does not build a component\n  hint: add `[lib] crate-type = [\"cdylib\"]` to its Cargo.toml",
                    handler.location,
                    handler.name,
                    package.name
                );
            }
            Ok(package)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let gateway = workspace
        .package(GATEWAY_PACKAGE)
        .with_context(|| format!("the components workspace has no `{GATEWAY_PACKAGE}` crate"))?;

    let step = Step::start_plain(
        "Building the handlers and the gateway",
        "cargo; a few minutes the first time, seconds after",
    );
    // Handlers may share a crate (two handlers with their own grants, say): build it once.
    let mut packages: Vec<&Package> = handler_packages.clone();
    packages.push(gateway);
    packages.sort_by_key(|p| &p.id);
    packages.dedup_by_key(|p| &p.id);
    let manifest_abs = manifest_path.canonicalize()?;
    let features = gateway_features(&manifest.gateway_features(), manifest.wasi);
    let build_lock = workspace.lock()?;
    workspace.build(&packages, &features, &[("EDGEWAY_MANIFEST", &manifest_abs)])?;
    step.done(&format!("{} components", packages.len()));
    let foreign = build_foreign(&manifest, &languages, gateway)?;

    let read = |package| {
        let path = workspace
            .wasm_path(package)
            .expect("checked to be a cdylib");
        std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let gateway_wasm = read(gateway)?;
    let mut rust_packages = handler_packages.iter();
    let handler_wasms = foreign
        .iter()
        .map(|built| match built {
            Some(path) => {
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
            }
            None => read(rust_packages.next().expect("one package per Rust handler")),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Parts {
        manifest,
        gateway_wasm,
        handler_wasms,
        workspace,
        lock: build_lock,
    })
}

/// Composes the gateway with every handler into the app's one component.
fn compose_app(parts: Parts) -> anyhow::Result<Built> {
    let Parts {
        manifest,
        gateway_wasm,
        handler_wasms,
        lock,
        ..
    } = parts;
    drop(lock);
    let step = Step::start("Composing", "wac-graph; a few seconds");
    let dir = manifest.dir();
    let handlers: Vec<Handler<'_>> = manifest
        .handlers
        .iter()
        .zip(&handler_wasms)
        .map(|(handler, wasm)| composed_handler(&manifest, &handler.name, wasm))
        .collect();
    let composed = compose_checked(&manifest, &gateway_wasm, &handlers)?;
    let summary = check(&composed, manifest.wasi)?;
    let output = dir.join(&manifest.output);
    write_atomically(&output, &composed)?;
    step.done(&format!("{} ({summary})", output.display()));
    Ok(Built { manifest, output })
}

/// `name`'s component, with what the gateway needs of it: requests, events or both.
pub fn composed_handler<'a>(manifest: &Manifest, name: &'a str, wasm: &'a [u8]) -> Handler<'a> {
    Handler {
        name,
        wasm,
        http: manifest.serves_http(name),
        events: manifest.events.is_subscriber(name),
    }
}

/// The world of wit/ a Python or JavaScript handler is built for: what it exports, and
/// `outbound-` when it is granted hosts to call.
fn world_of(manifest: &Manifest, name: &str) -> String {
    let world = match (
        manifest.serves_http(name),
        manifest.events.is_subscriber(name),
    ) {
        (true, true) => "http-event-handler",
        (false, true) => "event-handler",
        _ => "http-handler",
    };
    let outbound = manifest
        .handler_index(name)
        .is_some_and(|i| !manifest.handlers[i].allowed_outbound_hosts.is_empty());
    if outbound {
        format!("outbound-{world}")
    } else {
        world.to_owned()
    }
}

/// Composes `gateway` with `handlers`, turning a handler without the contract into a
/// diagnostic on its manifest entry.
pub fn compose_checked(
    manifest: &Manifest,
    gateway_wasm: &[u8],
    handlers: &[Handler<'_>],
) -> anyhow::Result<Vec<u8>> {
    // Each handler's key-value, config and outbound HTTP imports go through adapters of its own.
    let adapters = isolation_adapters(manifest, handlers)?;
    let grants: Vec<edgeway_compose::Grant<'_>> = manifest
        .handlers
        .iter()
        .map(|h| edgeway_compose::Grant {
            handler: &h.name,
            variables: &h.variables,
            outbound_hosts: &h.allowed_outbound_hosts,
        })
        .collect();
    let isolation = edgeway_compose::Isolation {
        key_value: adapters[0].as_deref(),
        config: adapters[1].as_deref(),
        outbound_http: adapters[2].as_deref(),
        grants: &grants,
    };
    edgeway_compose::compose_isolated(gateway_wasm, handlers, &isolation).map_err(|error| match &error {
            ComposeError::Isolation { name, .. } => {
                let handler = &manifest.handlers[manifest.handler_index(name).unwrap_or_default()];
                let hint = "see docs/policies.md#isolation";
                anyhow!(ManifestError::Invalid(vec![Diagnostic {
                    location: handler.location.clone(),
                    message: error.to_string(),
                    hint: Some(hint.into()),
                }]))
            }
            ComposeError::MissingContract { name, .. } => {
                let handler = &manifest.handlers[manifest.handler_index(name).unwrap_or_default()];
                let hint = match world_of(manifest, name).as_str() {
                    world @ ("http-handler" | "outbound-http-handler") => format!("build it against the `{world}` world of wit/handler.wit (edgeway-sdk does)"),
                    world => format!("it receives events: build it against the `{world}` world of wit/events.wit (edgeway-sdk's `events` feature does)"),
                };
                anyhow!(ManifestError::Invalid(vec![Diagnostic {
                    location: handler.location.clone(),
                    message: error.to_string(),
                    hint: Some(hint),
                }]))
            }
            _ => anyhow!(error),
        })
}

/// The isolation adapters' crates in the components workspace: key-value, config, outbound
/// HTTP.
const ISOLATION_PACKAGES: [&str; 3] =
    ["key-value-namespace", "config-grant", "outbound-http-grant"];

/// The isolation adapters the handlers need (`[key-value, config, outbound HTTP]`), built in
/// the components workspace (the first Rust handler's, or `components/` beside the manifest).
fn isolation_adapters(
    manifest: &Manifest,
    handlers: &[Handler<'_>],
) -> anyhow::Result<[Option<Vec<u8>>; 3]> {
    let mut needed = [false; 3];
    for handler in handlers {
        let inspection = inspect(handler.wasm)?;
        let needs = edgeway_compose::needs_isolation(inspection.imports.iter().map(String::as_str));
        needed = [
            needed[0] || needs.key_value,
            needed[1] || needs.config,
            needed[2] || needs.outbound_http,
        ];
    }
    if needed == [false; 3] {
        return Ok([None, None, None]);
    }
    let dir = manifest.dir();
    let folder = manifest
        .handlers
        .iter()
        .find(|h| languages::language_of(&dir, h) == Language::Rust)
        .map_or_else(|| dir.join("components"), |h| dir.join(&h.path));
    let workspace = Workspace::containing(&folder)?;
    // A workspace of one's own may lack them: compose then says which handler needs one.
    let packages: Vec<Option<&Package>> = ISOLATION_PACKAGES
        .iter()
        .zip(needed)
        .map(|(name, wanted)| workspace.package(name).filter(|_| wanted))
        .collect();
    let wanted: Vec<&Package> = packages.iter().flatten().copied().collect();
    if !wanted.is_empty() {
        workspace.build(&wanted, &[], &[])?;
    }
    let read = |package: &Option<&Package>| -> anyhow::Result<Option<Vec<u8>>> {
        let Some(package) = package else {
            return Ok(None);
        };
        let path = workspace
            .wasm_path(package)
            .context("an adapter is a component")?;
        let wasm =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(Some(wasm))
    };
    let [key_value, config, outbound_http] = [0, 1, 2].map(|i| read(&packages[i]));
    Ok([key_value?, config?, outbound_http?])
}

/// Builds the Python and JavaScript handlers into `handlers/` beside the composed app, each
/// only if its sources or tools changed: the component of each, `None` for Rust handlers.
fn build_foreign(
    manifest: &Manifest,
    languages: &[Language],
    gateway: &Package,
) -> anyhow::Result<Vec<Option<PathBuf>>> {
    if languages.iter().all(|l| *l == Language::Rust) {
        return Ok(vec![None; languages.len()]);
    }
    let step = Step::start(
        "Building the Python and JavaScript handlers",
        "componentize-py, componentize-js; up to a minute for each one that changed",
    );
    // The gateway's crate is `<checkout>/components/gateway`, beside wit/ and the SDKs.
    let toolchain = Toolchain::new(&gateway.dir.join("../.."));
    let dir = manifest.dir();
    let output = dir.join(&manifest.output);
    let out_dir = output.parent().unwrap_or(&dir).join("handlers");
    let (mut built, mut current) = (0, 0);
    let mut paths = Vec::new();
    for (handler, &language) in manifest.handlers.iter().zip(languages) {
        if language == Language::Rust {
            paths.push(None);
            continue;
        }
        let folder = dir.join(&handler.path);
        let result = languages::build(
            &toolchain,
            &handler.name,
            language,
            &world_of(manifest, &handler.name),
            &folder,
            &out_dir,
        )
        .with_context(|| format!("{}: handler `{}`", handler.location, handler.name))?;
        if result.rebuilt {
            built += 1;
        } else {
            current += 1;
        }
        paths.push(Some(result.wasm));
    }
    step.done(&format!("{built} built, {current} up to date"));
    Ok(paths)
}

/// Checks that the composed component will load on Spin and on any wasi:http host of its
/// WASI version.
pub fn check(composed: &[u8], wasi: Wasi) -> anyhow::Result<String> {
    let inspection = inspect(composed)?;
    let http = wasi.http_export();
    // An app that delivers events also exports Spin's Redis trigger interface.
    let exports_http = match inspection.exports.as_slice() {
        [only] => only.starts_with(http),
        [first, redis] => first.starts_with(http) && redis == edgeway_compose::INBOUND_REDIS,
        _ => false,
    };
    if !exports_http {
        bail!(
            "the composed component must export {http}.x (and, with events, {}) only, but exports: {}",
            edgeway_compose::INBOUND_REDIS,
            inspection.exports.join(", ")
        );
    }
    let foreign = inspection.non_wasi_imports();
    if !foreign.is_empty() {
        bail!(
            "the composed component imports more than WASI: {}",
            foreign.join(", ")
        );
    }
    if inspection.memories > SPIN_MAX_MEMORIES {
        bail!(
            "the composed component holds {} linear memories; Spin refuses components with more than {SPIN_MAX_MEMORIES} (each handler brings at least one)\n  hint: spread the routes over several gateway components (split mode), or use fewer handlers",
            inspection.memories
        );
    }
    Ok(format!(
        "{} KiB, {} linear memories",
        inspection.size / 1024,
        inspection.memories
    ))
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    // Unique to this process: two builds of one app may run at once (tests start servers in
    // parallel), and each must rename its own file.
    let temporary = path.with_extension(format!("wasm.tmp-{}", std::process::id()));
    std::fs::write(&temporary, bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
