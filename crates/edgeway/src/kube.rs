//! `edgeway kube`: the Kubernetes resources that run the app on SpinKube, written as YAML
//! files for `kubectl apply -f DIR` (see edgeway-kube).
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use edgeway_kube::{Autoscale, Options, Resources};
use edgeway_manifest::Manifest;

#[derive(Args)]
pub struct KubeArgs {
    /// The image `spin registry push` pushed the app to, e.g. ghcr.io/me/shop:1.0.
    #[arg(long, value_name = "REGISTRY/APP:TAG")]
    image: String,
    /// The folder to write the YAML files to.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: PathBuf,
    /// The SpinApp's name (each group's starts with it) [default: the app's name].
    #[arg(long)]
    name: Option<String>,
    /// Replicas of each SpinApp without an autoscaler.
    #[arg(long, default_value_t = 2)]
    replicas: u32,
    /// One SpinApp per group of routes, behind an Ingress; the image is then the split
    /// build's (`spin registry push --from target/edgeway/split/<app>/spin.toml`).
    #[arg(long)]
    split: bool,
    /// A HorizontalPodAutoscaler: `MIN..MAX` for every SpinApp, or `GROUP=MIN..MAX` for one
    /// group of a split build (its component id, or its first handler). Repeatable.
    #[arg(long, value_name = "[GROUP=]MIN..MAX", value_parser = parse_autoscale)]
    autoscale: Vec<Autoscale>,
    /// The average CPU use, in percent of the request, autoscalers keep replicas at.
    #[arg(long, default_value_t = 70)]
    cpu_target: u32,
    /// CPU each replica asks for.
    #[arg(long, default_value = "100m")]
    cpu_request: String,
    /// Memory each replica asks for.
    #[arg(long, default_value = "128Mi")]
    memory_request: String,
    /// Most CPU a replica may use.
    #[arg(long, default_value = "1")]
    cpu_limit: String,
    /// Most memory a replica may use.
    #[arg(long, default_value = "512Mi")]
    memory_limit: String,
    /// The host the Ingress of a split build serves [default: any].
    #[arg(long)]
    host: Option<String>,
    /// The Ingress's class, if the cluster needs one named.
    #[arg(long)]
    ingress_class: Option<String>,
}

/// `[GROUP=]MIN..MAX`, its CPU target filled in later.
fn parse_autoscale(text: &str) -> Result<Autoscale, String> {
    let (group, range) = match text.split_once('=') {
        Some((group, range)) => (Some(group.to_owned()), range),
        None => (None, text),
    };
    let bounds = range.split_once("..").and_then(|(min, max)| {
        Some((
            min.trim().parse::<u32>().ok()?,
            max.trim().parse::<u32>().ok()?,
        ))
    });
    let (min, max) =
        bounds.ok_or_else(|| format!("`{text}` is not MIN..MAX or GROUP=MIN..MAX, e.g. 2..10"))?;
    Ok(Autoscale {
        group,
        min,
        max,
        cpu_percent: 0,
    })
}

pub fn write(manifest_path: &Path, args: KubeArgs) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    if args.split && !manifest.events.subscriptions.is_empty() {
        bail!(
            "a split build does not deliver events; deploy an app with subscriptions as one SpinApp (without --split)"
        );
    }
    let options = Options {
        image: args.image,
        name: args.name,
        replicas: args.replicas,
        split: args.split,
        autoscale: args
            .autoscale
            .into_iter()
            .map(|a| Autoscale {
                cpu_percent: args.cpu_target,
                ..a
            })
            .collect(),
        resources: Resources {
            cpu_request: args.cpu_request,
            memory_request: args.memory_request,
            cpu_limit: args.cpu_limit,
            memory_limit: args.memory_limit,
        },
        host: args.host,
        ingress_class: args.ingress_class,
    };
    let resources = edgeway_kube::resources(&manifest, &options)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let written: Vec<&str> = resources.iter().map(|r| r.file.as_str()).collect();
    for resource in &resources {
        let path = args.out.join(&resource.file);
        std::fs::write(&path, resource.to_yaml())
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("Wrote {}", path.display());
    }
    warn_of_other_files(&args.out, &written);
    let dir = args.out.display();
    println!(
        "\nNext: fill in {dir}/secret.yaml.template (the Redis URL every replica shares, and the secret variables), \
         save it as {dir}/secret.yaml, then `kubectl apply -f {dir}`."
    );
    Ok(())
}

/// `kubectl apply -f DIR` applies every YAML file there: say which ones this run did not
/// write (left from an earlier run with other options, perhaps).
fn warn_of_other_files(dir: &Path, written: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json");
        if yaml && name != "secret.yaml" && !written.contains(&name.as_str()) {
            eprintln!(
                "warning: {} was not written now, and `kubectl apply -f {}` applies it too",
                dir.join(&name).display(),
                dir.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_autoscale;

    #[test]
    fn autoscale_takes_a_range_for_every_spin_app_or_for_one_group() {
        let every = parse_autoscale("2..10").unwrap();
        assert_eq!((every.group, every.min, every.max), (None, 2, 10));
        let one = parse_autoscale("greet-py=1..8").unwrap();
        assert_eq!(one.group.as_deref(), Some("greet-py"));
        assert_eq!((one.min, one.max), (1, 8));
        for bad in ["10", "1-5", "a..b", "greet=", "=1"] {
            let error = parse_autoscale(bad).unwrap_err();
            assert!(error.contains("MIN..MAX"), "{bad}: {error}");
        }
    }
}
