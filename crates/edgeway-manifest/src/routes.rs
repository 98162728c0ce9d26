//! The `routes` table and the policy settings routes rely on.
use edgeway_router::{InsertError, Methods, Router};
use indexmap::IndexMap;
use toml::Spanned;

use crate::check::Checker;
use crate::describe::{META_KEYS, MetaError, RouteMeta, take_meta};
use crate::policies::{ApiKeySettings, JwtSettings, RawSettings, RouteSettings};
use crate::{Diagnostic, Handler, Manifest, RouteDecl};

/// Splits `"GET,POST /path"` (or a bare `"/path"`, meaning any method).
fn parse_route_key(key: &str) -> Result<(Methods, &str), (String, String)> {
    let Some((methods, pattern)) = key.trim().split_once(char::is_whitespace) else {
        return Ok((Methods::ANY, key.trim()));
    };
    let mut set = Methods::NONE;
    for name in methods.split(',').map(str::trim) {
        let method = match name.to_ascii_uppercase().as_str() {
            "ANY" | "*" => Methods::ANY,
            upper => Methods::from_name(upper).ok_or_else(|| {
                (
                    format!("route `{key}` has unknown method `{name}`"),
                    "use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY, separated by commas"
                        .to_owned(),
                )
            })?,
        };
        set = set.union(method);
    }
    Ok((set, pattern.trim()))
}

/// Why a route's value was refused: the message, and the key of the route table it is about
/// (to point at it), if any.
type ValueError = (String, Option<String>);

/// A route's value: `"handler"`, or `{ handler = "...", <policy settings>, <metadata> }`.
fn parse_route_value(value: &toml::Value) -> Result<(String, RawSettings, RouteMeta), ValueError> {
    match value {
        toml::Value::String(handler) => Ok((
            handler.clone(),
            RawSettings::default(),
            RouteMeta::default(),
        )),
        toml::Value::Table(table) => {
            let mut table = table.clone();
            let handler = match table.remove("handler") {
                Some(toml::Value::String(handler)) => handler,
                _ => return Err(("a route table needs `handler = \"<name>\"`".into(), None)),
            };
            let meta = take_meta(&mut table)
                .map_err(|MetaError { key, message }| (message, Some(key.to_owned())))?;
            if let Some(unknown) = table.keys().find(|k| !SETTING_KEYS.contains(&k.as_str())) {
                return Err((
                    format!(
                        "unknown key `{unknown}`; a route table has `handler`, the policies ({}) and the description ({})",
                        SETTING_KEYS.join(", "),
                        META_KEYS.join(", ")
                    ),
                    Some(unknown.clone()),
                ));
            }
            let settings = toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    (
                        format!("invalid route settings: {}", e.message().trim()),
                        None,
                    )
                })?;
            Ok((handler, settings, meta))
        }
        _ => Err((
            "a route is `\"handler\"` or `{ handler = \"handler\", ... }`".into(),
            None,
        )),
    }
}

/// The policy keys a route table may set.
const SETTING_KEYS: &[&str] = &[
    "body_limit",
    "access_log",
    "auth",
    "scopes",
    "cors",
    "rate_limit",
];

pub(crate) fn check_routes(
    checker: &mut Checker<'_>,
    raw: IndexMap<Spanned<String>, Spanned<toml::Value>>,
    handlers: &[Handler],
    defaults: &RouteSettings,
) -> Vec<RouteDecl> {
    let mut routes: Vec<RouteDecl> = Vec::new();
    for (key, value) in &raw {
        let offset = key.span().start;
        let (methods, pattern) = match parse_route_key(key.get_ref()) {
            Ok(parsed) => parsed,
            Err((message, hint)) => {
                checker.error(offset, message, Some(hint));
                continue;
            }
        };
        if pattern == "/.well-known/spin" || pattern.starts_with("/.well-known/spin/") {
            checker.error(
                offset,
                format!("route `{pattern}` is reserved by Spin"),
                Some("choose a path outside /.well-known/spin/".into()),
            );
            continue;
        }
        let parsed = parse_route_value(value.get_ref()).and_then(|(handler, raw, meta)| {
            Ok((handler, raw.apply(defaults).map_err(|m| (m, None))?, meta))
        });
        let (handler, settings, meta) = match parsed {
            Ok(parsed) => parsed,
            Err((message, at_key)) => {
                let offset =
                    at_key.map_or(value.span().start, |k| checker.key_offset(value.span(), &k));
                checker.error(
                    offset,
                    format!("route `{}`: {message}", key.get_ref()),
                    None,
                );
                continue;
            }
        };
        if let Some(unknown) = unknown_param(pattern, &meta) {
            checker.error(
                checker.key_offset(value.span(), "params"),
                format!(
                    "route `{}`: `params` names `{unknown}`, which is not a `:name` segment of its path",
                    key.get_ref()
                ),
                Some("give a schema only to the path's `:name` parameters".into()),
            );
            continue;
        }
        if !handlers.iter().any(|h| h.name == handler) {
            let declared: Vec<&str> = handlers.iter().map(|h| h.name.as_str()).collect();
            checker.error(
                value.span().start,
                format!(
                    "route `{}` names unknown handler `{handler}`",
                    key.get_ref()
                ),
                Some(format!(
                    "declared handlers: {}; add it under [component.<id>.tool.edgeway.handlers]",
                    declared.join(", ")
                )),
            );
        }
        routes.push(RouteDecl {
            methods,
            pattern: pattern.to_owned(),
            handler,
            settings,
            meta,
            location: checker.location(offset),
        });
    }
    reject_conflicts(checker, routes)
}

/// A name in the route's `params` that is not one of its path's `:name` segments.
fn unknown_param<'m>(pattern: &str, meta: &'m crate::RouteMeta) -> Option<&'m str> {
    let parsed = edgeway_router::Pattern::parse(pattern).ok();
    let declared = |name: &str| {
        parsed.as_ref().is_some_and(|p| {
            p.segments()
                .any(|segment| segment == edgeway_router::Segment::Param(name))
        })
    };
    meta.params
        .keys()
        .map(String::as_str)
        .find(|name| !declared(name))
}

/// Keeps the routes the router accepts; each conflict or bad pattern is a diagnostic.
fn reject_conflicts(checker: &mut Checker<'_>, routes: Vec<RouteDecl>) -> Vec<RouteDecl> {
    let mut router = Router::new();
    let mut valid: Vec<&RouteDecl> = Vec::new();
    for route in &routes {
        match router.insert(route.methods, &route.pattern, ()) {
            Ok(()) => valid.push(route),
            Err(InsertError::Conflict {
                existing,
                existing_methods,
                overlap,
                ..
            }) => {
                let first = valid
                    .iter()
                    .find(|r| r.pattern == existing && r.methods == existing_methods)
                    .map(|r| r.location.line)
                    .unwrap_or_default();
                checker.found.push(Diagnostic {
                    message: format!(
                        "route `{} {}` matches the same requests as `{existing_methods} {existing}` on line {first} (methods in both: {overlap})",
                        route.methods, route.pattern
                    ),
                    hint: Some("remove one of them, or give them methods that do not overlap".into()),
                    location: route.location.clone(),
                });
            }
            Err(error) => checker.found.push(Diagnostic {
                message: error.to_string(),
                hint: Some("routes use Spin's syntax: `/exact`, `/users/:id`, `/files/...`".into()),
                location: route.location.clone(),
            }),
        }
    }
    valid.into_iter().cloned().collect()
}

/// What the gateway component is given by spin.toml: key-value stores and variables.
pub(crate) struct Capabilities<'a> {
    pub component_offset: usize,
    pub stores: &'a [String],
    pub variables: &'a [String],
}

/// Checks that what the routes' policies need is configured: API-key and JWT settings, the
/// variables they read, and the `default` store for rate limits.
pub(crate) fn check_policy_settings(
    checker: &mut Checker<'_>,
    manifest: &mut Manifest,
    api_key: Option<ApiKeySettings>,
    jwt: Option<Spanned<JwtSettings>>,
    capabilities: &Capabilities<'_>,
) {
    let component = manifest.component_id.clone();
    let at = capabilities.component_offset;
    let require_variable = |checker: &mut Checker<'_>, name: &str, what: &str| {
        if !capabilities.variables.iter().any(|v| v == name) {
            checker.error(
                at,
                format!("{what} reads the variable `{name}`, which component `{component}` does not have"),
                Some(format!(
                    "add `{name} = \"{{{{ {name} }}}}\"` under [component.{component}.variables], and `{name} = {{ required = true, secret = true }}` under [variables]"
                )),
            );
        }
    };
    let features = manifest.gateway_features();
    if features.contains(&"api-key") {
        let settings = api_key
            .unwrap_or_else(|| toml::from_str("").expect("every API-key setting has a default"));
        require_variable(checker, &settings.keys, "`auth = \"api-key\"`");
        manifest.api_key = Some(settings);
    }
    if features.contains(&"jwt") {
        match jwt {
            Some(settings)
                if settings.get_ref().secret.is_some() || settings.get_ref().jwks.is_some() =>
            {
                let settings = settings.into_inner();
                for variable in settings.secret.iter().chain(&settings.jwks) {
                    require_variable(checker, variable, "`auth = \"jwt\"`");
                }
                manifest.jwt = Some(settings);
            }
            Some(settings) => checker.error(
                settings.span().start,
                "the `jwt` table needs `secret` (HS256) or `jwks` (RS256, ES256, EdDSA)".into(),
                Some("secret = \"jwt_secret\" names the variable that holds the secret".into()),
            ),
            None => checker.error(
                at,
                "a route uses `auth = \"jwt\"`, but there is no `tool.edgeway.jwt` table".into(),
                Some(format!(
                    "add [component.{}.tool.edgeway.jwt] with `secret` or `jwks`",
                    manifest.component_id
                )),
            ),
        }
    }
    if features.contains(&"rate-limit") && !capabilities.stores.iter().any(|s| s == "default") {
        checker.error(
            at,
            format!("rate limits count in the key-value store, but component `{}` has no `default` store", manifest.component_id),
            Some("add `key_value_stores = [\"default\"]` to the component".into()),
        );
    }
}
