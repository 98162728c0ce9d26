use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::api_docs::{AppInfo, RawApiDocs, check_api_docs};
use crate::check::Checker;
use crate::events::{
    EventContext, RawEvents, RawRedisTrigger, RawSubscription, check_events, check_paths,
};
use crate::policies::{ApiKeySettings, JwtSettings, RawSettings, RouteSettings};
use crate::routes::{Capabilities, check_policy_settings, check_routes};
use crate::{AppVariable, Handler, Language, Manifest, ManifestError, Variables};

#[derive(Deserialize)]
struct RawManifest {
    application: RawApplication,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    variables: IndexMap<String, Spanned<toml::Value>>,
    #[serde(default)]
    component: IndexMap<String, Spanned<RawComponent>>,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
    #[serde(default)]
    redis: Vec<Spanned<RawRedisTrigger>>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: toml::Value,
    component: Option<toml::Value>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    trigger: RawAppTriggers,
}

/// `[application.trigger.*]`: settings Spin applies to every trigger of a type.
#[derive(Deserialize, Default)]
struct RawAppTriggers {
    redis: Option<RawAppRedis>,
}

#[derive(Deserialize)]
struct RawAppRedis {
    address: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    source: Option<Spanned<toml::Value>>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: IndexMap<String, toml::Value>,
    #[serde(default)]
    tool: RawTools,
}

#[derive(Deserialize, Default)]
struct RawTools {
    edgeway: Option<RawEdgeway>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdgeway {
    #[serde(default)]
    handlers: IndexMap<Spanned<String>, Spanned<RawHandler>>,
    #[serde(default)]
    routes: IndexMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    policies: Option<Spanned<RawSettings>>,
    api_key: Option<ApiKeySettings>,
    jwt: Option<Spanned<JwtSettings>>,
    openapi: Option<Spanned<RawApiDocs>>,
    events: Option<Spanned<RawEvents>>,
    #[serde(default)]
    schedules: IndexMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    subscriptions: Vec<Spanned<RawSubscription>>,
    wasi: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHandler {
    path: String,
    language: Option<Spanned<String>>,
    /// The variables the handler may read (checked in `grants`).
    #[serde(default)]
    variables: Vec<String>,
    /// The hosts the handler may call (checked in `outbound`).
    #[serde(default)]
    allowed_outbound_hosts: Vec<Spanned<String>>,
}

impl Manifest {
    /// Reads and validates the manifest at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Manifest::parse(path, &source)
    }

    /// Validates manifest text; `path` names it in diagnostics and anchors handler paths.
    pub fn parse(path: impl AsRef<Path>, source: &str) -> Result<Manifest, ManifestError> {
        let mut checker = Checker::new(path.as_ref(), source);
        let manifest = check(&mut checker);
        checker.finish(manifest)
    }
}

fn check(checker: &mut Checker<'_>) -> Option<Manifest> {
    let raw: RawManifest = match toml::from_str(checker.source()) {
        Ok(raw) => raw,
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            checker.error(offset, error.message().to_owned(), None);
            return None;
        }
    };
    // Every component's capabilities, for the Redis triggers that serve the app.
    let spin_components = raw
        .component
        .iter()
        .map(|(id, component)| {
            let component = component.get_ref();
            let source = component
                .source
                .as_ref()
                .and_then(|s| s.get_ref().as_str())
                .map(str::to_owned);
            let variables = component
                .variables
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect();
            (
                id.clone(),
                (source, component.key_value_stores.clone(), variables),
            )
        })
        .collect::<IndexMap<_, _>>();
    let mut edgeway_components = raw
        .component
        .into_iter()
        .filter_map(|(id, component)| {
            let span = component.span();
            let component = component.into_inner();
            let edgeway = component.tool.edgeway?;
            let capabilities = (
                component.key_value_stores,
                component.variables,
                component.allowed_outbound_hosts,
            );
            Some((id, span, component.source, capabilities, edgeway))
        })
        .collect::<Vec<_>>();
    if edgeway_components.len() != 1 {
        let offset = edgeway_components.get(1).map_or(0, |c| c.1.start);
        checker.error(
            offset,
            format!(
                "expected one component with a `tool.edgeway` table, found {}",
                edgeway_components.len()
            ),
            Some("declare handlers and routes under [component.<id>.tool.edgeway] of the component whose `source` is the composed app".into()),
        );
        return None;
    }
    let (component_id, span, source, (stores, component_variables, outbound_hosts), edgeway) =
        edgeway_components.remove(0);
    let variables = check_variables(checker, raw.variables, component_variables, span.start);
    let variable_names: Vec<String> = variables
        .component
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let output = match source.as_ref().map(|s| s.get_ref()) {
        Some(toml::Value::String(file)) => PathBuf::from(file),
        _ => {
            let offset = source.as_ref().map_or(span.start, |s| s.span().start);
            checker.error(
                offset,
                format!(
                    "component `{component_id}` needs `source` set to the file the build writes"
                ),
                Some(format!(
                    "source = \"target/edgeway/{}.wasm\"",
                    raw.application.name
                )),
            );
            return None;
        }
    };
    let trigger_route = raw
        .trigger
        .http
        .iter()
        .find(|t| t.component.as_ref().and_then(toml::Value::as_str) == Some(component_id.as_str()))
        .and_then(|t| t.route.as_str())
        .unwrap_or("/...")
        .to_owned();
    let handlers = check_handlers(checker, edgeway.handlers);
    crate::grants::check_granted_variables(checker, &handlers, &variable_names, &component_id);
    crate::outbound::check_component_allows(checker, &handlers, &outbound_hosts, &component_id);
    if handlers.is_empty() && checker.found.is_empty() {
        checker.error(
            span.start,
            format!("component `{component_id}` declares no handlers"),
            Some(format!("add one: [component.{component_id}.tool.edgeway.handlers] greet = {{ path = \"components/greet\" }}")),
        );
    }
    let defaults = match &edgeway.policies {
        Some(policies) => policies
            .get_ref()
            .apply(&RouteSettings::default())
            .unwrap_or_else(|message| {
                checker.error(policies.span().start, message, None);
                RouteSettings::default()
            }),
        None => RouteSettings::default(),
    };
    let routes = check_routes(checker, edgeway.routes, &handlers, &defaults);
    let app = AppInfo {
        name: raw.application.name.clone(),
        version: raw.application.version,
        description: raw.application.description,
    };
    let api = check_api_docs(checker, edgeway.openapi, app, &routes);
    crate::describe::check_operation_ids(checker, &routes);
    let events = check_events(
        checker,
        &EventContext {
            handlers: &handlers,
            defaults: &defaults,
            component_id: &component_id,
            component_offset: span.start,
            output: &output,
            stores: &stores,
            variables: &variable_names,
            components: &spin_components,
        },
        edgeway.events,
        edgeway.schedules,
        edgeway.subscriptions,
        raw.trigger.redis,
        raw.application.trigger.redis.and_then(|r| r.address),
    );
    let wasi = match &edgeway.wasi {
        Some(wasi) => wasi.get_ref().parse().unwrap_or_else(|message| {
            checker.error(wasi.span().start, message, None);
            crate::Wasi::default()
        }),
        None => crate::Wasi::default(),
    };
    let mut manifest = Manifest {
        path: checker.file.to_owned(),
        app_name: raw.application.name,
        component_id,
        trigger_route,
        output,
        handlers,
        routes,
        access_log: defaults.access_log,
        cors: defaults.cors.clone(),
        api_key: None,
        jwt: None,
        key_value_stores: stores.clone(),
        allowed_outbound_hosts: outbound_hosts,
        variables,
        api,
        events,
        wasi,
    };
    check_paths(checker, &manifest.events, &manifest);
    let capabilities = Capabilities {
        component_offset: span.start,
        stores: &stores,
        variables: &variable_names,
    };
    check_policy_settings(
        checker,
        &mut manifest,
        edgeway.api_key,
        edgeway.jwt,
        &capabilities,
    );
    Some(manifest)
}

/// Reads `[variables]` and the component's templates, checking that every template refers
/// to a declared variable.
fn check_variables(
    checker: &mut Checker<'_>,
    app: IndexMap<String, Spanned<toml::Value>>,
    component: IndexMap<String, toml::Value>,
    component_offset: usize,
) -> Variables {
    let mut variables = Variables::default();
    for (name, value) in app {
        match value.get_ref().clone().try_into::<AppVariable>() {
            Ok(variable) => {
                variables.app.insert(name, variable);
            }
            Err(error) => checker.error(
                value.span().start,
                format!("variable `{name}`: {}", error.message().trim()),
                Some("write `name = { default = \"...\" }` or `name = { required = true, secret = true }`".into()),
            ),
        }
    }
    for (key, template) in component {
        let Some(template) = template.as_str().map(str::to_owned) else {
            checker.error(
                component_offset,
                format!("component variable `{key}` must be a string template"),
                None,
            );
            continue;
        };
        for name in Variables::references(&template) {
            if !variables.app.contains_key(name) {
                checker.error(
                    component_offset,
                    format!("component variable `{key}` refers to `{name}`, which is not declared in [variables]"),
                    Some(format!("add `{name} = {{ required = true }}` under [variables]")),
                );
            }
        }
        variables.component.push((key, template));
    }
    variables
}

/// Words that cannot name a handler: it becomes a WIT import and a Rust function beside the
/// contract's types and the gateway's `dispatch`.
const RESERVED: &[&str] = &[
    "as",
    "async",
    "await",
    "borrow",
    "caller",
    "constructor",
    "context",
    "crate",
    "dispatch",
    "enum",
    "export",
    "flags",
    "fn",
    "func",
    "impl",
    "import",
    "include",
    "interface",
    "let",
    "list",
    "match",
    "mod",
    "own",
    "package",
    "problem",
    "record",
    "request",
    "resource",
    "response",
    "result",
    "self",
    "static",
    "string",
    "struct",
    "super",
    "trait",
    "type",
    "use",
    "variant",
    "with",
    "world",
];

fn is_wit_identifier(name: &str) -> bool {
    name.split('-').all(|word| {
        let mut chars = word.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

fn check_handlers(
    checker: &mut Checker<'_>,
    raw: IndexMap<Spanned<String>, Spanned<RawHandler>>,
) -> Vec<Handler> {
    let dir = checker.file.parent().unwrap_or(Path::new("")).to_owned();
    let mut handlers = Vec::new();
    for (name, handler) in raw {
        let offset = name.span().start;
        let name = name.into_inner();
        if !is_wit_identifier(&name) || RESERVED.contains(&name.as_str()) {
            checker.error(
                offset,
                format!("handler name `{name}` cannot be used"),
                Some("use lowercase words joined by `-` (`greet`, `list-todos`) that are not a keyword".into()),
            );
            continue;
        }
        let path = PathBuf::from(&handler.get_ref().path);
        if !dir.join(&path).is_dir() {
            checker.error(
                handler.span().start,
                format!(
                    "handler `{name}`: folder `{}` does not exist",
                    path.display()
                ),
                Some("`path` is relative to the manifest's folder".into()),
            );
        }
        let language = handler.get_ref().language.as_ref().and_then(|language| {
            let found = Language::from_name(language.get_ref());
            if found.is_none() {
                checker.error(
                    language.span().start,
                    format!(
                        "handler `{name}`: unknown language `{}`",
                        language.get_ref()
                    ),
                    Some(format!(
                        "use one of {}, or leave `language` out to tell from the folder",
                        Language::NAMES
                    )),
                );
            }
            found
        });
        let location = checker.location(offset);
        let variables = handler.get_ref().variables.clone();
        let allowed_outbound_hosts = crate::outbound::check_handler_hosts(
            checker,
            &name,
            &handler.get_ref().allowed_outbound_hosts,
        );
        handlers.push(Handler {
            name,
            path,
            language,
            location,
            variables,
            allowed_outbound_hosts,
        });
    }
    handlers
}
