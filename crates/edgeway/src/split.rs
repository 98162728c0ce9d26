//! `edgeway build --split`: one Spin component per group of routes (see
//! `edgeway_manifest::split`), each the gateway with its group's routes and policies composed
//! with just the group's handlers, and a derived Spin manifest whose `[[trigger.http]]` routes
//! let Spin's router pick the group.
//!
//! Everything goes to `<folder of the app's output>/split/<app name>/`: `spin.toml`, and for
//! each group `<id>.wasm` and `<id>.toml`, the app's manifest cut down to the group, from
//! which its gateway is generated.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use edgeway_compose::{Handler, inspect};
use edgeway_manifest::split::{Group, GroupCapabilities, HandlerNeeds, plan};
use edgeway_manifest::{Manifest, Wasi};
use edgeway_router::Methods;
use sha2::{Digest, Sha256};
use toml_edit::{Array, DocumentMut, Item, Table, value};

use crate::build::{Parts, build_parts, check, compose_checked, write_atomically};
use crate::progress::Step;

/// What a split build produced.
pub struct SplitBuilt {
    /// The app's manifest.
    pub manifest: Manifest,
    /// The derived Spin manifest, with one component per group.
    pub spin_manifest: PathBuf,
}

/// The folder a split build writes to.
pub fn split_dir(manifest: &Manifest) -> PathBuf {
    let output = manifest.dir().join(&manifest.output);
    output
        .parent()
        .unwrap_or(Path::new("."))
        .join("split")
        .join(&manifest.app_name)
}

/// Builds the app as a split deployment, for `wasi` or the manifest's `wasi`.
pub fn build_split(manifest_path: &Path, wasi: Option<Wasi>) -> anyhow::Result<SplitBuilt> {
    let manifest = Manifest::load(manifest_path)?;
    if let Some(subscription) = manifest.events.subscriptions.first() {
        anyhow::bail!(
            "{}: error: a split deployment does not deliver events yet\n  hint: build and serve this app without `--split`",
            subscription.location
        );
    }
    let parts = build_parts(manifest_path, wasi)?;
    let manifest = &parts.manifest;
    let source = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let original: DocumentMut = source.parse()?;
    let dir = split_dir(manifest);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let dir = dir.canonicalize()?;
    let needs = parts
        .handler_wasms
        .iter()
        .map(|wasm| needs_of(wasm))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let plan = plan(manifest);
    let step = Step::start_plain(
        "Building and composing the split components",
        "cargo and wac; a minute or two the first time",
    );
    let mut components = Vec::new();
    for group in &plan.groups {
        let capabilities = build_group(&parts, &original, group, &needs, &dir)?;
        components.push((group, capabilities));
    }
    let spin_manifest = dir.join("spin.toml");
    let derived = spin_manifest_text(&original, manifest, &components)?;
    write_atomically(&spin_manifest, derived.as_bytes())?;
    step.done(&format!(
        "{} components, {}",
        plan.groups.len(),
        spin_manifest.display()
    ));
    let Parts { manifest, lock, .. } = parts;
    drop(lock);
    Ok(SplitBuilt {
        manifest,
        spin_manifest,
    })
}

/// Builds one group's gateway, composes it with the group's handlers and writes
/// `<id>.wasm`; returns what the component needs.
fn build_group(
    parts: &Parts,
    original: &DocumentMut,
    group: &Group,
    needs: &[HandlerNeeds],
    dir: &Path,
) -> anyhow::Result<GroupCapabilities> {
    let manifest = &parts.manifest;
    let group_path = dir.join(format!("{}.toml", group.id));
    let text = group_manifest(original, manifest, group)?;
    write_atomically(&group_path, text.as_bytes())?;
    let group_manifest = Manifest::load(&group_path)?;
    let features = group_manifest.gateway_features();
    let handlers: Vec<Handler<'_>> = group
        .handlers
        .iter()
        .map(|name| {
            let wasm =
                &parts.handler_wasms[manifest.handler_index(name).expect("a declared handler")];
            crate::build::composed_handler(&group_manifest, name, wasm)
        })
        .collect();
    // The group's component follows from its manifest, its features, the gateway's sources
    // (which the whole app's gateway, just built, reflects) and its handlers: when none of
    // them changed, the component written last time is still right.
    let mut digest = Sha256::new();
    for part in [
        text.as_bytes(),
        features.join(",").as_bytes(),
        manifest.wasi.gateway_feature().as_bytes(),
        &parts.gateway_wasm,
    ] {
        digest.update((part.len() as u64).to_le_bytes());
        digest.update(part);
    }
    for handler in &handlers {
        digest.update((handler.wasm.len() as u64).to_le_bytes());
        digest.update(handler.wasm);
    }
    let key: String = digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (wasm_path, key_path) = (
        dir.join(format!("{}.wasm", group.id)),
        dir.join(format!("{}.key", group.id)),
    );
    let current =
        wasm_path.is_file() && std::fs::read_to_string(&key_path).is_ok_and(|old| old == key);
    if !current {
        let gateway = parts.build_gateway(&group_path, &features)?;
        let composed = compose_checked(manifest, &gateway, &handlers)?;
        check(&composed, manifest.wasi)
            .with_context(|| format!("split component `{}`", group.id))?;
        write_atomically(&wasm_path, &composed)?;
        write_atomically(&key_path, key.as_bytes())?;
    }
    let index = |name: &str| manifest.handler_index(name).expect("a declared handler");
    Ok(group.capabilities(manifest, &features, |name| needs[index(name)]))
}

/// What a handler reaches beyond WASI 0.2's basics, from its component's imports.
fn needs_of(wasm: &[u8]) -> anyhow::Result<HandlerNeeds> {
    let imports = inspect(wasm)?.imports;
    let any = |prefix: &str| imports.iter().any(|i| i.starts_with(prefix));
    Ok(HandlerNeeds {
        key_value: any("wasi:keyvalue/"),
        variables: any("wasi:config/"),
        outbound_http: any("wasi:http/outgoing-handler"),
    })
}

/// The app's manifest cut down to `group`: its handlers (with absolute paths) and routes,
/// and `source` pointing at `<id>.wasm`. The gateway's build script reads it.
fn group_manifest(
    original: &DocumentMut,
    manifest: &Manifest,
    group: &Group,
) -> anyhow::Result<String> {
    let mut doc = original.clone();
    let app_dir = manifest.dir().canonicalize()?;
    let component = doc["component"][&manifest.component_id]
        .as_table_like_mut()
        .context("the gateway's component table")?;
    component.insert("source", value(format!("{}.wasm", group.id)));
    component.remove("build");
    let edgeway = component
        .get_mut("tool")
        .and_then(|tool| tool.get_mut("edgeway"))
        .and_then(Item::as_table_like_mut)
        .context("the `tool.edgeway` table")?;
    let handlers = edgeway
        .get_mut("handlers")
        .and_then(Item::as_table_like_mut)
        .context("the handlers table")?;
    let names: Vec<String> = handlers.iter().map(|(k, _)| k.to_owned()).collect();
    for name in names {
        if !group.handlers.contains(&name) {
            handlers.remove(&name);
            continue;
        }
        let handler = &manifest.handlers[manifest.handler_index(&name).expect("declared")];
        let entry = handlers
            .get_mut(&name)
            .and_then(Item::as_table_like_mut)
            .context("a handler entry")?;
        let path = app_dir.join(&handler.path);
        entry.insert("path", value(path.to_string_lossy().into_owned()));
    }
    let routes = edgeway
        .get_mut("routes")
        .and_then(Item::as_table_like_mut)
        .context("the routes table")?;
    let keys: Vec<String> = routes.iter().map(|(k, _)| k.to_owned()).collect();
    for key in keys {
        let index = route_index(manifest, &key)
            .with_context(|| format!("route `{key}` is not in the manifest"))?;
        if !group.routes.contains(&index) {
            routes.remove(&key);
        }
    }
    Ok(doc.to_string())
}

/// The position in [`Manifest::routes`] of the route whose key is `"METHODS /path"` (or a
/// bare `"/path"`): the one with that pattern and those methods.
fn route_index(manifest: &Manifest, key: &str) -> Option<usize> {
    let key = key.trim();
    let (methods, pattern) = key.split_once(char::is_whitespace).unwrap_or(("ANY", key));
    let methods = methods.split(',').try_fold(Methods::NONE, |all, name| {
        match name.trim().to_ascii_uppercase().as_str() {
            "ANY" | "*" => Some(Methods::ANY),
            upper => Methods::from_name(upper).map(|m| all.union(m)),
        }
        .map(|m| all.union(m))
    })?;
    manifest
        .routes
        .iter()
        .position(|r| r.pattern == pattern.trim() && r.methods == methods)
}

/// The derived Spin manifest: the app's `[application]` and `[variables]`, one
/// `[[trigger.http]]` per trigger route of each group, and one component per group with only
/// the stores, variables and outbound hosts it needs.
fn spin_manifest_text(
    original: &DocumentMut,
    manifest: &Manifest,
    components: &[(&Group, GroupCapabilities)],
) -> anyhow::Result<String> {
    let mut doc = DocumentMut::new();
    doc["spin_manifest_version"] = value(2);
    doc["application"] = original["application"].clone();
    if original.contains_key("variables") {
        doc["variables"] = original["variables"].clone();
    }
    let templates: BTreeMap<&str, &str> = manifest
        .variables
        .component
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut triggers = toml_edit::ArrayOfTables::new();
    let mut table = Table::new();
    table.set_implicit(true);
    for (group, capabilities) in components {
        for route in &group.trigger_routes {
            let mut trigger = Table::new();
            trigger["route"] = value(route.as_str());
            trigger["component"] = value(group.id.as_str());
            triggers.push(trigger);
        }
        let mut component = Table::new();
        component["source"] = value(format!("{}.wasm", group.id));
        if !capabilities.key_value_stores.is_empty() {
            let stores: Array = capabilities.key_value_stores.iter().collect();
            component["key_value_stores"] = value(stores);
        }
        if !capabilities.allowed_outbound_hosts.is_empty() {
            let hosts: Array = capabilities.allowed_outbound_hosts.iter().collect();
            component["allowed_outbound_hosts"] = value(hosts);
        }
        if !capabilities.variables.is_empty() {
            let mut variables = Table::new();
            for name in &capabilities.variables {
                variables[name.as_str()] = value(templates[name.as_str()]);
            }
            component["variables"] = Item::Table(variables);
        }
        table[group.id.as_str()] = Item::Table(component);
    }
    let mut trigger = Table::new();
    trigger.set_implicit(true);
    trigger["http"] = Item::ArrayOfTables(triggers);
    doc["trigger"] = Item::Table(trigger);
    doc["component"] = Item::Table(table);
    let header = "# Derived by `edgeway build --split` from the app's spin.toml: do not edit.\n";
    Ok(format!("{header}{doc}"))
}

/// One component of a split manifest, as the local host serves it.
pub struct SplitComponent {
    /// Its composed `.wasm`.
    pub source: PathBuf,
    /// Its trigger routes.
    pub routes: Vec<String>,
    /// Its `key_value_stores`.
    pub key_value_stores: Vec<String>,
    /// The names of its variables.
    pub variables: Vec<String>,
    /// Its `allowed_outbound_hosts`.
    pub allowed_outbound_hosts: Vec<String>,
}

/// Reads a manifest written by [`build_split`].
pub fn read_split_manifest(path: &Path) -> anyhow::Result<Vec<SplitComponent>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: DocumentMut = text.parse()?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let triggers = doc
        .get("trigger")
        .and_then(|t| t.get("http"))
        .and_then(Item::as_array_of_tables)
        .context("the split manifest has no [[trigger.http]]")?;
    let components = doc
        .get("component")
        .and_then(Item::as_table_like)
        .context("the split manifest has no components")?;
    let mut read = Vec::new();
    for (id, component) in components.iter() {
        let text = |key: &str| component.get(key).and_then(Item::as_str);
        let source = text("source").with_context(|| format!("component `{id}` has no source"))?;
        let routes = triggers
            .iter()
            .filter(|t| t.get("component").and_then(Item::as_str) == Some(id))
            .filter_map(|t| t.get("route").and_then(Item::as_str).map(str::to_owned))
            .collect();
        let strings = |key: &str| -> Vec<String> {
            component
                .get(key)
                .and_then(Item::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let variables = component
            .get("variables")
            .and_then(Item::as_table_like)
            .map(|t| t.iter().map(|(k, _)| k.to_owned()).collect())
            .unwrap_or_default();
        read.push(SplitComponent {
            source: dir.join(source),
            routes,
            key_value_stores: strings("key_value_stores"),
            variables,
            allowed_outbound_hosts: strings("allowed_outbound_hosts"),
        });
    }
    Ok(read)
}
