use std::path::{Path, PathBuf};

use edgeway_manifest::Manifest;
use serde_json::{Value, json};

use crate::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn manifest(path: &str) -> Manifest {
    Manifest::load(repo().join(path)).unwrap()
}

/// The resources for the manifest at `path` with the default options.
fn generated(path: &str) -> Vec<Resource> {
    resources(&manifest(path), &Options::new("registry.example/app:1")).unwrap()
}

/// The CRD's `openAPIV3Schema`, made strict: Kubernetes prunes (or, with `kubectl apply
/// --validate=strict`, refuses) fields a structural schema does not name, so every object
/// that names its properties takes no others.
fn spin_app_schema() -> jsonschema::Validator {
    let crd = repo().join("../shared/reference/spinkube/core.spinkube.dev_spinapps.yaml");
    let crd: Value = serde_norway::from_str(&std::fs::read_to_string(crd).unwrap()).unwrap();
    let mut schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    close_objects(&mut schema);
    jsonschema::validator_for(&schema).unwrap()
}

fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".into(), false.into());
            }
            object.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// Every SpinApp among `resources` validates against the CRD; returns them.
fn valid_spin_apps(resources: &[Resource]) -> Vec<Value> {
    let schema = spin_app_schema();
    let apps: Vec<Value> = resources
        .iter()
        .filter(|r| r.value["kind"] == "SpinApp")
        .map(|r| r.value.clone())
        .collect();
    assert!(!apps.is_empty());
    for app in &apps {
        let errors: Vec<String> = schema.iter_errors(app).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{app:#}");
        // What is written is what was validated.
        let resource = resources.iter().find(|r| r.value == *app).unwrap();
        let read: Value = serde_norway::from_str(&resource.to_yaml()).unwrap();
        assert_eq!(&read, app);
    }
    apps
}

#[test]
fn the_schema_check_catches_what_kubernetes_refuses() {
    let schema = spin_app_schema();
    let app = &valid_spin_apps(&generated("spin.toml"))[0];
    for (path, bad) in [
        ("/spec/replicas", json!("two")),
        ("/spec/resources/limits/cpu", json!("a lot")),
        ("/spec/unknownField", json!(1)),
        ("/spec/components", json!([])),
    ] {
        let mut broken = app.clone();
        let (parent, key) = path.rsplit_once('/').unwrap();
        broken.pointer_mut(parent).unwrap()[key] = bad;
        assert!(!schema.is_valid(&broken), "{path} should be refused");
    }
    let mut without_image = app.clone();
    without_image["spec"]
        .as_object_mut()
        .unwrap()
        .remove("image");
    assert!(!schema.is_valid(&without_image));
}

#[test]
fn one_spin_app_shares_its_stores_through_redis_and_reads_secrets_from_the_secret() {
    let resources = generated("spin.toml");
    let files: Vec<&str> = resources.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        files,
        ["secret.yaml.template", "spinapp-edgeway-example.yaml"]
    );
    let app = &valid_spin_apps(&resources)[0];
    let spec = &app["spec"];
    assert_eq!(spec["executor"], "containerd-shim-spin");
    assert_eq!(spec["image"], "registry.example/app:1");
    assert_eq!(spec["replicas"], 2);
    assert!(spec.get("components").is_none());
    let stores = spec["runtimeConfig"]["keyValueStores"].as_array().unwrap();
    assert!(stores.iter().any(|s| s["name"] == "default"));
    for store in stores {
        assert_eq!(store["type"], "redis");
        assert_eq!(
            store["options"][0]["valueFrom"]["secretKeyRef"],
            json!({ "name": "edgeway-example-secrets", "key": "redis-url" })
        );
    }
    let secret = &resources[0].value;
    assert_eq!(secret["kind"], "Secret");
    let example = manifest("spin.toml");
    for (name, variable) in &example.variables.app {
        let binding = spec["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name.as_str())
            .unwrap();
        if variable.secret {
            assert_eq!(binding["valueFrom"]["secretKeyRef"]["key"], name.as_str());
            // The template holds a placeholder, never the manifest's demo value.
            let placeholder = secret["stringData"][name].as_str().unwrap();
            assert!(placeholder.starts_with("REPLACE"), "{placeholder}");
            if let Some(demo) = &variable.default {
                assert!(!resources[0].to_yaml().contains(demo.as_str()));
            }
        } else {
            assert_eq!(
                binding["value"],
                variable.default.clone().unwrap_or_default()
            );
        }
    }
}

#[test]
fn the_redis_trigger_address_is_the_secrets_redis_url() {
    let resources = generated("tests/events-app/spin.toml");
    let app = &valid_spin_apps(&resources)[0];
    let address = app["spec"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "redis_address")
        .unwrap();
    assert_eq!(address["valueFrom"]["secretKeyRef"]["key"], "redis-url");
    assert!(
        resources[0].value["stringData"]
            .get("redis_address")
            .is_none()
    );
}

#[test]
fn a_split_build_is_one_spin_app_per_group_behind_an_ingress() {
    let test_app = manifest("tests/app/spin.toml");
    let mut options = Options::new("registry.example/app:1");
    options.split = true;
    options.host = Some("app.example".into());
    let plan = edgeway_manifest::split::plan(&test_app);
    let heavy = &plan.groups[plan.groups.len() - 1];
    options.autoscale = vec![Autoscale {
        group: Some(heavy.id.strip_prefix("gateway-").unwrap().to_owned()),
        min: 1,
        max: 8,
        cpu_percent: 70,
    }];
    let resources = resources(&test_app, &options).unwrap();
    let apps = valid_spin_apps(&resources);
    assert_eq!(apps.len(), plan.groups.len());
    for (app, group) in apps.iter().zip(&plan.groups) {
        assert_eq!(app["spec"]["components"], json!([group.id]));
        let scaled = group.id == heavy.id;
        assert_eq!(app["spec"].get("enableAutoscaling").is_some(), scaled);
        assert_eq!(app["spec"].get("replicas").is_none(), scaled);
    }
    let hpas: Vec<&Value> = resources
        .iter()
        .map(|r| &r.value)
        .filter(|v| v["kind"] == "HorizontalPodAutoscaler")
        .collect();
    assert_eq!(hpas.len(), 1);
    let ingress = &resources.last().unwrap().value;
    assert_eq!(ingress["kind"], "Ingress");
    let rule = &ingress["spec"]["rules"][0];
    assert_eq!(rule["host"], "app.example");
    let paths = rule["http"]["paths"].as_array().unwrap();
    let services: Vec<&Value> = apps.iter().map(|a| &a["metadata"]["name"]).collect();
    assert!(
        paths
            .iter()
            .all(|p| services.contains(&&p["backend"]["service"]["name"]))
    );
    // Longest first, so that an Ingress controller that goes in order agrees with Kubernetes.
    let lengths: Vec<usize> = paths
        .iter()
        .map(|p| p["path"].as_str().unwrap().len())
        .collect();
    assert!(lengths.windows(2).all(|w| w[0] >= w[1]), "{lengths:?}");
}

#[test]
fn ingress_paths_rank_as_spin_does() {
    let groups = [
        (
            "gw-items".to_owned(),
            vec!["/items/:id".to_owned(), "/items".to_owned()],
        ),
        ("gw-new".to_owned(), vec!["/items/new".to_owned()]),
        (
            "gw-files".to_owned(),
            vec!["/files/...".to_owned(), "/...".to_owned()],
        ),
    ];
    let paths: Vec<(String, &str, usize)> = ingress_paths(&groups)
        .unwrap()
        .into_iter()
        .map(|p| (p.path, p.path_type, p.app))
        .collect();
    assert_eq!(
        paths,
        [
            ("/items/new".to_owned(), "Exact", 1),
            ("/items".to_owned(), "Exact", 0),
            ("/items".to_owned(), "Prefix", 0),
            ("/files".to_owned(), "Prefix", 2),
            ("/".to_owned(), "Prefix", 2),
        ]
    );
    let clash = [
        ("gw-a".to_owned(), vec!["/a/:id".to_owned()]),
        ("gw-b".to_owned(), vec!["/a/...".to_owned()]),
    ];
    let error = ingress_paths(&clash).unwrap_err().to_string();
    assert!(error.contains("`/a/:id` (component `gw-a`)"), "{error}");
    assert!(error.contains("`/a/...` (component `gw-b`)"), "{error}");
    assert!(error.contains("without --split"), "{error}");
}

#[test]
fn names_and_autoscalers_are_checked() {
    let example = manifest("spin.toml");
    let with = |f: fn(&mut Options)| {
        let mut options = Options::new("r/i:1");
        f(&mut options);
        resources(&example, &options)
    };
    let error = with(|o| o.name = Some("Shop_1".into())).unwrap_err();
    assert!(
        error.to_string().contains("cannot name a SpinApp"),
        "{error}"
    );
    assert!(with(|o| o.name = Some("a".repeat(64))).is_err());
    let scaling = |group: Option<&str>, min, max| {
        let autoscale = Autoscale {
            group: group.map(str::to_owned),
            min,
            max,
            cpu_percent: 60,
        };
        resources(
            &example,
            &Options {
                autoscale: vec![autoscale],
                ..Options::new("r/i:1")
            },
        )
    };
    let error = scaling(None, 3, 2).unwrap_err();
    assert!(error.to_string().contains("min <= max"), "{error}");
    let error = scaling(Some("greet"), 1, 2).unwrap_err();
    assert!(
        error.to_string().contains("none without --split"),
        "{error}"
    );
    assert_eq!(names::from_app_name("My_Shop 2"), "my-shop-2");
    assert_eq!(names::from_app_name("9lives"), "app-9lives");
    let scaled = scaling(None, 2, 5).unwrap();
    valid_spin_apps(&scaled);
    let hpa = &scaled.last().unwrap().value;
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], "edgeway-example");
    assert_eq!(hpa["spec"]["minReplicas"], 2);
}
