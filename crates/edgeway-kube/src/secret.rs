//! The Secret the SpinApps read their secret variables and the Redis URL from, written as a
//! template: each value is a placeholder naming what to put there, never the manifest's
//! default (those are demo values).
use edgeway_manifest::Manifest;
use serde_json::{Map, Value, json};

use crate::Resource;

/// The Secret's key holding the Redis URL every key-value store (and the Redis trigger) uses.
pub(crate) const REDIS_URL_KEY: &str = "redis-url";

/// The template's file name: `kubectl apply -f DIR` skips it until it is filled in.
pub(crate) const FILE: &str = "secret.yaml.template";

/// The variables whose values come from the Secret: the secret ones, and those without a
/// default (a value must come from somewhere). Variables the Redis trigger's address names
/// are the Redis URL's key instead.
pub(crate) fn secret_variables(manifest: &Manifest) -> Vec<&str> {
    let redis = redis_variables(manifest);
    manifest
        .variables
        .app
        .iter()
        .filter(|(name, variable)| {
            !redis.contains(&name.as_str()) && (variable.secret || variable.default.is_none())
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The variables the Redis trigger's address is made of (`address = "{{ redis_address }}"`).
pub(crate) fn redis_variables(manifest: &Manifest) -> Vec<&str> {
    let events = &manifest.events;
    events
        .redis_address
        .iter()
        .chain(events.redis.iter().filter_map(|t| t.address.as_ref()))
        .flat_map(|template| edgeway_manifest::Variables::references(template))
        .collect()
}

/// The Secret, with a placeholder for each value.
pub(crate) fn template(manifest: &Manifest, name: &str) -> Resource {
    let mut data = Map::new();
    data.insert(
        REDIS_URL_KEY.into(),
        "REPLACE: redis://user:password@redis.example:6379 (every replica's key-value stores)"
            .into(),
    );
    for variable in secret_variables(manifest) {
        let value = format!("REPLACE: the value of the variable `{variable}`");
        data.insert(variable.to_owned(), Value::String(value));
    }
    Resource {
        file: FILE.into(),
        value: json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": { "name": name },
            "type": "Opaque",
            "stringData": data,
        }),
    }
}
