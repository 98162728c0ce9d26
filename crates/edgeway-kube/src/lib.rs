//! The Kubernetes resources that run an edgeway app on SpinKube, from its manifest: a
//! `SpinApp` (or one per group of routes of a split build, with the `Ingress` in front of
//! them), the `Secret` its secret variables and its Redis URL come from (as a template), and
//! optionally a `HorizontalPodAutoscaler` per `SpinApp`.
//!
//! Replicas must share state, so every key-value store the app uses is pointed at Redis
//! through the `SpinApp`'s `runtimeConfig`, its URL taken from the Secret.
//!
//! ```no_run
//! let manifest = edgeway_manifest::Manifest::load(std::path::Path::new("spin.toml"))?;
//! let options = edgeway_kube::Options::new("registry.example.com/shop:1.0");
//! for resource in edgeway_kube::resources(&manifest, &options)? {
//!     std::fs::write(&resource.file, resource.to_yaml())?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod ingress;
mod names;
mod secret;
mod spinapp;
#[cfg(test)]
mod tests;

use edgeway_manifest::Manifest;
use serde_json::Value;

pub use ingress::{IngressPath, ingress_paths};
pub use names::check_name;

/// How the app is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The OCI image `spin registry push` pushed, e.g. `ghcr.io/me/shop:1.0`.
    pub image: String,
    /// The name of the SpinApp (or the prefix of each group's); by default the app's name.
    pub name: Option<String>,
    /// Replicas of each SpinApp that does not autoscale.
    pub replicas: u32,
    /// One SpinApp per group of routes (the image of `edgeway build --split`), behind an Ingress.
    pub split: bool,
    /// Autoscalers: for every SpinApp, or for one group's.
    pub autoscale: Vec<Autoscale>,
    /// What each replica asks for and may use.
    pub resources: Resources,
    /// The Ingress's host, if it serves one only.
    pub host: Option<String>,
    /// The Ingress's class (`ingressClassName`), if the cluster needs one named.
    pub ingress_class: Option<String>,
}

impl Options {
    /// Two replicas of one SpinApp running `image`, with the default resources.
    pub fn new(image: impl Into<String>) -> Options {
        Options {
            image: image.into(),
            name: None,
            replicas: 2,
            split: false,
            autoscale: Vec::new(),
            resources: Resources::default(),
            host: None,
            ingress_class: None,
        }
    }
}

/// A `HorizontalPodAutoscaler` on CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Autoscale {
    /// The group it is for (its component id, `gateway-greet`, or that id without the
    /// gateway's prefix: `greet`); every SpinApp when `None`.
    pub group: Option<String>,
    /// Fewest replicas.
    pub min: u32,
    /// Most replicas.
    pub max: u32,
    /// The average CPU use, in percent of the request, that it keeps replicas at.
    pub cpu_percent: u32,
}

/// Kubernetes quantities (`100m`, `128Mi`) for each replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    /// CPU asked for (and what autoscaling measures against).
    pub cpu_request: String,
    /// Memory asked for.
    pub memory_request: String,
    /// Most CPU.
    pub cpu_limit: String,
    /// Most memory.
    pub memory_limit: String,
}

impl Default for Resources {
    fn default() -> Resources {
        Resources {
            cpu_request: "100m".into(),
            memory_request: "128Mi".into(),
            cpu_limit: "1".into(),
            memory_limit: "512Mi".into(),
        }
    }
}

/// One resource to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Its file name, e.g. `spinapp-shop.yaml`. The Secret's is `secret.yaml.template`,
    /// which `kubectl apply -f DIR` skips until it is filled in and renamed.
    pub file: String,
    /// The resource, as the Kubernetes API takes it.
    pub value: Value,
}

impl Resource {
    /// The resource as YAML.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(&self.value).expect("JSON values are YAML")
    }
}

/// What keeps the resources from being written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KubeError {
    /// A name Kubernetes would refuse.
    #[error("{0}")]
    Name(String),
    /// `--autoscale` for a group the split build does not have.
    #[error("no group of routes is called `{group}`; the groups are: {groups}")]
    UnknownGroup {
        /// The name given.
        group: String,
        /// The groups there are.
        groups: String,
    },
    /// An autoscaler that cannot work.
    #[error("{0}")]
    Autoscale(String),
    /// Two groups' routes the Ingress cannot tell apart.
    #[error(
        "the Ingress cannot tell the route `{first}` (component `{first_group}`) from `{second}` (component `{second_group}`): both become the path {path}; deploy the app as one SpinApp (without --split)"
    )]
    IngressConflict {
        /// The path both become.
        path: String,
        /// One route.
        first: String,
        /// Its group.
        first_group: String,
        /// The other route.
        second: String,
        /// Its group.
        second_group: String,
    },
}

/// The resources that deploy `manifest` as `options` say, in the order to apply them.
pub fn resources(manifest: &Manifest, options: &Options) -> Result<Vec<Resource>, KubeError> {
    let base = match &options.name {
        Some(name) => name.clone(),
        None => names::from_app_name(&manifest.app_name),
    };
    check_name(&base)?;
    for autoscale in &options.autoscale {
        if autoscale.min == 0 || autoscale.min > autoscale.max || autoscale.cpu_percent == 0 {
            return Err(KubeError::Autoscale(format!(
                "an autoscaler needs 1 <= min <= max and a CPU target above 0 (got {}..{} at {}%)",
                autoscale.min, autoscale.max, autoscale.cpu_percent
            )));
        }
    }
    let secret_name = format!("{base}-secrets");
    let mut out = vec![secret::template(manifest, &secret_name)];
    let apps = spinapp::plan(manifest, options, &base)?;
    for app in &apps {
        out.push(spinapp::spin_app(manifest, options, app, &secret_name));
    }
    for app in &apps {
        if let Some(autoscale) = &app.autoscale {
            out.push(spinapp::autoscaler(&app.name, autoscale));
        }
    }
    if options.split {
        out.push(ingress::ingress(options, &base, &apps)?);
    }
    Ok(out)
}
