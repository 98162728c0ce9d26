//! `tool.edgeway.openapi`: where the gateway serves the API's OpenAPI document and its docs
//! page, and who may read them.
//!
//! ```toml
//! [component.gateway.tool.edgeway.openapi]
//! path = "/openapi.json"   # the default; `false` serves no document
//! docs = true              # serve the docs page at /docs (off by default), or a path
//! auth = "api-key"         # who may read the document (default: anyone)
//! ```
use serde::Deserialize;
use toml::Spanned;

use crate::RouteDecl;
use crate::check::Checker;
use crate::policies::{AuthDecl, RawSettings, RouteSettings};

/// How the API is described and where the description is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiDocs {
    /// `info.title`: the `title` setting, else the application's name.
    pub title: String,
    /// `info.version`: the `version` setting, else the application's version.
    pub version: String,
    /// `info.description`: the `description` setting, else the application's.
    pub description: Option<String>,
    /// Where the gateway serves the OpenAPI document (`GET`), if it does.
    pub openapi_path: Option<String>,
    /// Where the gateway serves the docs page, if it does.
    pub docs_path: Option<String>,
    /// Who may read the document.
    pub auth: AuthDecl,
}

/// The table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiDocs {
    path: Option<toml::Value>,
    docs: Option<toml::Value>,
    auth: Option<String>,
    scopes: Option<Vec<String>>,
    title: Option<String>,
    version: Option<String>,
    description: Option<String>,
}

/// The document's default path, and the docs page's when `docs = true`.
const OPENAPI_PATH: &str = "/openapi.json";
const DOCS_PATH: &str = "/docs";

/// What `[application]` says, the defaults of `info`.
pub(crate) struct AppInfo {
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
}

/// Reads the `openapi` table (absent: the document at /openapi.json for anyone, no page).
pub(crate) fn check_api_docs(
    checker: &mut Checker<'_>,
    raw: Option<Spanned<RawApiDocs>>,
    app: AppInfo,
    routes: &[RouteDecl],
) -> ApiDocs {
    let offset = raw.as_ref().map_or(0, |r| r.span().start);
    let raw = raw.map(Spanned::into_inner).unwrap_or_default();
    let mut fail = |message: String, hint: Option<String>| checker.error(offset, message, hint);
    let openapi_path =
        path_setting(raw.path.as_ref(), OPENAPI_PATH, "path", true).unwrap_or_else(|message| {
            fail(message, None);
            None
        });
    let docs_path =
        path_setting(raw.docs.as_ref(), DOCS_PATH, "docs", false).unwrap_or_else(|message| {
            fail(message, None);
            None
        });
    if docs_path.is_some() && openapi_path.is_none() {
        fail(
            "the docs page shows the OpenAPI document, which `path = false` turns off".into(),
            Some("remove `path = false`, or `docs`".into()),
        );
    }
    if openapi_path.is_some() && openapi_path == docs_path {
        fail("`path` and `docs` name the same path".into(), None);
    }
    let mut clashes = Vec::new();
    for path in openapi_path.iter().chain(&docs_path) {
        if let Some(route) = routes.iter().find(|r| same_path(&r.pattern, path)) {
            clashes.push(crate::Diagnostic {
                location: route.location.clone(),
                message: format!(
                    "route `{} {}` uses `{path}`, which the gateway serves itself (the API's description)",
                    route.methods, route.pattern
                ),
                hint: Some("move the route, or set another `path`/`docs` in the `openapi` table".into()),
            });
        }
    }
    checker.found.extend(clashes);
    let mut fail = |message: String, hint: Option<String>| checker.error(offset, message, hint);
    let auth = match (&raw.auth, &raw.scopes) {
        (None, None) => AuthDecl::None,
        (auth, scopes) => {
            let mut settings = toml::Table::new();
            if let Some(auth) = auth {
                settings.insert("auth".into(), toml::Value::String(auth.clone()));
            }
            if let Some(scopes) = scopes {
                let scopes = scopes.iter().cloned().map(toml::Value::String).collect();
                settings.insert("scopes".into(), toml::Value::Array(scopes));
            }
            let parsed = toml::Value::Table(settings)
                .try_into::<RawSettings>()
                .map_err(|e| e.message().to_owned())
                .and_then(|raw| raw.apply(&RouteSettings::default()));
            match parsed {
                Ok(settings) => settings.auth,
                Err(message) => {
                    fail(format!("`openapi`: {message}"), None);
                    AuthDecl::None
                }
            }
        }
    };
    ApiDocs {
        title: raw.title.unwrap_or(app.name),
        version: raw
            .version
            .or(app.version)
            .unwrap_or_else(|| "0.0.0".into()),
        description: raw.description.or(app.description),
        openapi_path,
        docs_path,
        auth,
    }
}

/// A path setting: a path, `true` (the default path) or `false` (off); absent means `on`.
fn path_setting(
    value: Option<&toml::Value>,
    default: &str,
    key: &str,
    on: bool,
) -> Result<Option<String>, String> {
    match value {
        None if on => Ok(Some(default.to_owned())),
        None | Some(toml::Value::Boolean(false)) => Ok(None),
        Some(toml::Value::Boolean(true)) => Ok(Some(default.to_owned())),
        Some(toml::Value::String(path))
            if path.starts_with('/')
                && path.len() > 1
                && !path.ends_with('/')
                && !path.contains([':', '?', '#', ' '])
                && !path.ends_with("/...") =>
        {
            Ok(Some(path.clone()))
        }
        Some(other) => Err(format!(
            "`openapi.{key}` must be an exact path such as \"{default}\", or true/false, not {other}"
        )),
    }
}

fn same_path(pattern: &str, path: &str) -> bool {
    pattern.trim_end_matches('/') == path
}
