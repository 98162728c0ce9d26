//! The Ingress (`networking.k8s.io/v1`) of a split deployment: each group's routes go to its
//! SpinApp's Service.
//!
//! Kubernetes picks the longest matching path, an `Exact` path before a `Prefix` one of the
//! same length, which agrees with Spin's ranking (an exact route beats `:name`, which beats
//! `/...`) as long as each route becomes one path:
//!
//! - `/hello` → `Exact /hello`;
//! - `/files/...` → `Prefix /files` (which, like Spin, takes `/files` and `/files/a/b`);
//! - `/items/:id` → `Prefix /items`, the segments before the first parameter: the Ingress
//!   cannot match one segment, so `/items/a/b` reaches that group too (and its `404`);
//! - `/...` → `Prefix /`.
//!
//! Two groups whose routes become the same path cannot be told apart, which is an error.
use serde_json::{Value, json};

use crate::spinapp::PlannedApp;
use crate::{KubeError, Options, Resource};

/// One path of the Ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressPath {
    /// The path, e.g. `/items`.
    pub path: String,
    /// `Exact` or `Prefix`.
    pub path_type: &'static str,
    /// The Spin route it comes from, e.g. `/items/:id`.
    pub route: String,
    /// The index of the SpinApp (group) it goes to.
    pub app: usize,
}

/// The path a Spin trigger route becomes, and its type.
fn path_of(route: &str) -> (String, &'static str) {
    if let Some(prefix) = route.strip_suffix("/...") {
        let prefix = prefix.split("/:").next().unwrap_or_default();
        return (or_root(prefix), "Prefix");
    }
    match route.split_once("/:") {
        Some((prefix, _)) => (or_root(prefix), "Prefix"),
        None => (route.to_owned(), "Exact"),
    }
}

fn or_root(prefix: &str) -> String {
    if prefix.is_empty() {
        "/".to_owned()
    } else {
        prefix.to_owned()
    }
}

/// The Ingress's paths for the groups' trigger routes (`groups[i]` is group `i`'s component
/// id and routes), longest first and `Exact` before `Prefix`, the order Kubernetes ranks them in.
pub fn ingress_paths(groups: &[(String, Vec<String>)]) -> Result<Vec<IngressPath>, KubeError> {
    let mut paths: Vec<IngressPath> = Vec::new();
    for (app, (group, group_routes)) in groups.iter().enumerate() {
        for route in group_routes {
            let (path, path_type) = path_of(route);
            let same = paths
                .iter()
                .find(|p| p.path == path && p.path_type == path_type);
            match same {
                Some(existing) if existing.app == app => {}
                Some(existing) => {
                    return Err(KubeError::IngressConflict {
                        path: format!("{path_type} {path}"),
                        first: existing.route.clone(),
                        first_group: groups[existing.app].0.clone(),
                        second: route.clone(),
                        second_group: group.clone(),
                    });
                }
                None => paths.push(IngressPath {
                    path,
                    path_type,
                    route: route.clone(),
                    app,
                }),
            }
        }
    }
    paths.sort_by(|a, b| {
        (b.path.len(), a.path_type == "Prefix").cmp(&(a.path.len(), b.path_type == "Prefix"))
    });
    Ok(paths)
}

/// The Ingress in front of the split deployment's SpinApps.
pub(crate) fn ingress(
    options: &Options,
    base: &str,
    apps: &[PlannedApp],
) -> Result<Resource, KubeError> {
    let groups: Vec<(String, Vec<String>)> = apps
        .iter()
        .filter_map(|app| app.group.as_ref())
        .map(|g| (g.id.clone(), g.trigger_routes.clone()))
        .collect();
    let paths: Vec<Value> = ingress_paths(&groups)?
        .iter()
        .map(|p| {
            json!({
                "path": p.path,
                "pathType": p.path_type,
                "backend": { "service": { "name": apps[p.app].name, "port": { "number": 80 } } },
            })
        })
        .collect();
    let mut rule = json!({ "http": { "paths": paths } });
    if let Some(host) = &options.host {
        rule["host"] = host.as_str().into();
    }
    let mut spec = json!({ "rules": [rule] });
    if let Some(class) = &options.ingress_class {
        spec["ingressClassName"] = class.as_str().into();
    }
    Ok(Resource {
        file: format!("ingress-{base}.yaml"),
        value: json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": { "name": base },
            "spec": spec,
        }),
    })
}
