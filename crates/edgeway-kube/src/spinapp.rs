//! SpinApps (`core.spinkube.dev/v1alpha1`, run by `containerd-shim-spin`) and their
//! autoscalers.
use edgeway_manifest::Manifest;
use edgeway_manifest::split::{self, Group};
use serde_json::{Value, json};

use crate::secret::{REDIS_URL_KEY, redis_variables, secret_variables};
use crate::{Autoscale, KubeError, Options, Resource, check_name};

/// One SpinApp to write.
pub(crate) struct PlannedApp {
    /// Its name, and its Service's.
    pub name: String,
    /// The group of routes it serves, in a split deployment.
    pub group: Option<Group>,
    /// Its autoscaler, if it has one.
    pub autoscale: Option<Autoscale>,
}

/// The SpinApps: one for the app, or one per group of routes.
pub(crate) fn plan(
    manifest: &Manifest,
    options: &Options,
    base: &str,
) -> Result<Vec<PlannedApp>, KubeError> {
    let gateway = manifest.component_id.as_str();
    let groups = if options.split {
        split::plan(manifest).groups
    } else {
        Vec::new()
    };
    for wanted in options.autoscale.iter().filter_map(|a| a.group.as_ref()) {
        if !groups.iter().any(|g| is_named(g, gateway, wanted)) {
            let names: Vec<_> = groups.iter().map(|g| g.id.as_str()).collect();
            let groups = if names.is_empty() {
                "none without --split".to_owned()
            } else {
                names.join(", ")
            };
            return Err(KubeError::UnknownGroup {
                group: wanted.clone(),
                groups,
            });
        }
    }
    // A group's own autoscaler wins over the one for every SpinApp.
    let autoscale_for = |group: Option<&Group>| {
        let own = group.and_then(|g| {
            options
                .autoscale
                .iter()
                .find(|a| a.group.as_ref().is_some_and(|w| is_named(g, gateway, w)))
        });
        own.or_else(|| options.autoscale.iter().find(|a| a.group.is_none()))
            .cloned()
    };
    if groups.is_empty() {
        return Ok(vec![PlannedApp {
            name: base.to_owned(),
            group: None,
            autoscale: autoscale_for(None),
        }]);
    }
    let gateway_prefix = format!("{gateway}-");
    groups
        .into_iter()
        .map(|group| {
            let short = group.id.strip_prefix(&gateway_prefix).unwrap_or(&group.id);
            let name = format!("{base}-{}", short.replace('_', "-"));
            check_name(&name)?;
            Ok(PlannedApp {
                name,
                autoscale: autoscale_for(Some(&group)),
                group: Some(group),
            })
        })
        .collect()
}

/// Whether `wanted` names `group`: its component id (`gateway-greet`), or that id without the
/// gateway's prefix (`greet`, the group's first handler).
fn is_named(group: &Group, gateway: &str, wanted: &str) -> bool {
    group.id == wanted
        || group
            .id
            .strip_prefix(gateway)
            .and_then(|s| s.strip_prefix('-'))
            == Some(wanted)
}

/// The SpinApp for `app`.
pub(crate) fn spin_app(
    manifest: &Manifest,
    options: &Options,
    app: &PlannedApp,
    secret: &str,
) -> Resource {
    let resources = &options.resources;
    let mut spec = json!({
        "image": options.image,
        "executor": "containerd-shim-spin",
        "resources": {
            "requests": { "cpu": resources.cpu_request, "memory": resources.memory_request },
            "limits": { "cpu": resources.cpu_limit, "memory": resources.memory_limit },
        },
    });
    // With an autoscaler the operator leaves the replica count to it, and refuses `replicas`.
    if app.autoscale.is_some() {
        spec["enableAutoscaling"] = true.into();
    } else {
        spec["replicas"] = options.replicas.into();
    }
    if let Some(group) = &app.group {
        spec["components"] = json!([group.id]);
    }
    let variables = variables(manifest, secret);
    if !variables.is_empty() {
        spec["variables"] = Value::Array(variables);
    }
    let stores = stores(manifest);
    if !stores.is_empty() {
        let redis_url = json!({ "secretKeyRef": { "name": secret, "key": REDIS_URL_KEY } });
        let stores: Vec<Value> = stores
            .iter()
            .map(|store| {
                json!({
                    "name": store,
                    "type": "redis",
                    "options": [{ "name": "url", "valueFrom": redis_url }],
                })
            })
            .collect();
        spec["runtimeConfig"] = json!({ "keyValueStores": stores });
    }
    Resource {
        file: format!("spinapp-{}.yaml", app.name),
        value: json!({
            "apiVersion": "core.spinkube.dev/v1alpha1",
            "kind": "SpinApp",
            "metadata": { "name": app.name, "labels": { "app.kubernetes.io/name": app.name } },
            "spec": spec,
        }),
    }
}

/// Every application variable: from the Secret when it is secret (or has no default), the
/// Redis URL for the Redis trigger's address, inline otherwise.
fn variables(manifest: &Manifest, secret: &str) -> Vec<Value> {
    let from_secret = secret_variables(manifest);
    let redis = redis_variables(manifest);
    let secret_key = |key: &str| json!({ "secretKeyRef": { "name": secret, "key": key } });
    manifest
        .variables
        .app
        .iter()
        .map(|(name, variable)| {
            if redis.contains(&name.as_str()) {
                json!({ "name": name, "valueFrom": secret_key(REDIS_URL_KEY) })
            } else if from_secret.contains(&name.as_str()) {
                json!({ "name": name, "valueFrom": secret_key(name) })
            } else {
                json!({ "name": name, "value": variable.default.clone().unwrap_or_default() })
            }
        })
        .collect()
}

/// Every key-value store a component of the app opens, each once.
fn stores(manifest: &Manifest) -> Vec<&str> {
    let mut stores: Vec<&str> = Vec::new();
    let all = manifest.key_value_stores.iter().chain(
        manifest
            .events
            .redis
            .iter()
            .flat_map(|t| &t.key_value_stores),
    );
    for store in all {
        if !stores.contains(&store.as_str()) {
            stores.push(store);
        }
    }
    stores
}

/// The `HorizontalPodAutoscaler` (`autoscaling/v2`) of the SpinApp `name`: the operator
/// runs each SpinApp as a Deployment of the same name.
pub(crate) fn autoscaler(name: &str, autoscale: &Autoscale) -> Resource {
    Resource {
        file: format!("hpa-{name}.yaml"),
        value: json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": { "name": name },
            "spec": {
                "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": name },
                "minReplicas": autoscale.min,
                "maxReplicas": autoscale.max,
                "metrics": [{
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": { "type": "Utilization", "averageUtilization": autoscale.cpu_percent },
                    },
                }],
            },
        }),
    }
}
