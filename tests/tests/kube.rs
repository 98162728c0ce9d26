//! `edgeway kube` as a user runs it: the files it writes, the Ingress, autoscalers and Secret
//! checked strictly against the Kubernetes API's published schemas (kubernetes-validate, from
//! PyPI; scripts/install.sh), and its refusals. The SpinApps are checked against the SpinApp
//! CRD by edgeway-kube's own tests.
use std::path::{Path, PathBuf};
use std::process::Output;

use edgeway_tests::{cleanup, edgeway, repo_root};

fn kube(manifest: &str, out: &Path, args: &[&str]) -> Output {
    edgeway()
        .args(["kube", "--manifest"])
        .arg(repo_root().join(manifest))
        .arg("-o")
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

fn out_dir(n: usize) -> PathBuf {
    cleanup::temp_dir("kube", n)
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs kubernetes-validate in strict mode (unknown fields are errors) on `paths`.
fn validate(paths: &[PathBuf]) {
    let validator = repo_root().join(".edgeway/tools/python/bin/kubernetes-validate");
    let output = std::process::Command::new(validator)
        .args(["--strict", "--no-warn", "--kubernetes-version", "1.33"])
        .args(paths)
        .output()
        .expect("kubernetes-validate runs (scripts/install.sh installs it)");
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{report}");
    assert_eq!(
        report.matches(" passed for resource ").count(),
        paths.len(),
        "{report}"
    );
}

#[test]
fn a_split_build_gets_a_spin_app_per_group_an_ingress_and_autoscalers_kubernetes_accepts() {
    let dir = out_dir(0);
    let output = kube(
        "tests/app/spin.toml",
        &dir,
        &[
            "--image",
            "registry.example/app:1",
            "--split",
            "--autoscale",
            "1..4",
            "--host",
            "app.example",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("kubectl apply -f"), "{stdout}");
    let names = files(&dir);
    let of_kind = |prefix: &str| -> Vec<PathBuf> {
        names
            .iter()
            .filter(|n| n.starts_with(prefix))
            .map(|n| dir.join(n))
            .collect()
    };
    let (apps, hpas, ingresses) = (of_kind("spinapp-"), of_kind("hpa-"), of_kind("ingress-"));
    assert!(apps.len() > 1, "{names:?}");
    assert_eq!(hpas.len(), apps.len(), "{names:?}");
    assert_eq!(ingresses.len(), 1, "{names:?}");
    // The Secret is a template kubectl skips until it is filled in; it never holds the demo
    // values of the manifest's secret variables.
    let secret = dir.join("secret.yaml.template");
    let template = std::fs::read_to_string(&secret).unwrap();
    assert!(!template.contains("alice-key"), "{template}");
    let mut checked = hpas;
    checked.extend(ingresses);
    checked.push(secret);
    validate(&checked);
}

#[test]
fn a_mistake_is_refused_with_the_reason() {
    let dir = out_dir(1);
    let refused = |manifest: &str, args: &[&str]| {
        let output = kube(manifest, &dir, args);
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let image = ["--image", "registry.example/app:1"];
    let error = refused(
        "tests/events-app/spin.toml",
        &[&image[..], &["--split"]].concat(),
    );
    assert!(error.contains("does not deliver events"), "{error}");
    let error = refused("spin.toml", &[&image[..], &["--name", "Shop"]].concat());
    assert!(error.contains("cannot name a SpinApp"), "{error}");
    let error = refused("spin.toml", &[&image[..], &["--autoscale", "ten"]].concat());
    assert!(error.contains("MIN..MAX"), "{error}");
    let error = refused("spin.toml", &["--split"]);
    assert!(error.contains("--image"), "{error}");
}
