//! `edgeway routes`: the route table as the gateway will match it.
use std::path::Path;

use edgeway_manifest::Manifest;

pub fn print(manifest_path: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let router = manifest.router();
    let rows: Vec<[String; 3]> = router
        .routes()
        .iter()
        .map(|route| {
            let handler = &manifest.routes[route.value].handler;
            [
                route.methods.to_string(),
                route.pattern.to_owned(),
                handler.clone(),
            ]
        })
        .collect();
    let width = |column: usize, title: &str| {
        rows.iter()
            .map(|row| row[column].len())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let (methods, pattern) = (width(0, "METHODS"), width(1, "PATH"));
    println!("{:methods$}  {:pattern$}  HANDLER", "METHODS", "PATH");
    for [m, p, h] in rows {
        println!("{m:methods$}  {p:pattern$}  {h}");
    }
    Ok(())
}
