//! `edgeway routes`: the route table as the gateway will match it, with each route's policies.
use std::path::Path;

use edgeway_manifest::{AuthDecl, Manifest, RouteSettings};
use edgeway_router::Methods;

pub fn print(manifest_path: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let router = manifest.router();
    let rows: Vec<[String; 4]> = router
        .routes()
        .iter()
        .map(|route| {
            let decl = &manifest.routes[route.value];
            [
                methods(route.methods),
                route.pattern.to_owned(),
                decl.handler.clone(),
                policies(&decl.settings),
            ]
        })
        .collect();
    let header = ["METHODS", "PATH", "HANDLER", "POLICIES"];
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|row| row[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
    Ok(())
}

/// `ANY`, or the names joined by commas (one word, for readers and scripts alike).
fn methods(methods: Methods) -> String {
    if methods == Methods::ANY {
        "ANY".into()
    } else {
        methods.names().collect::<Vec<_>>().join(",")
    }
}

/// What a route enforces beyond the defaults every route has.
fn policies(settings: &RouteSettings) -> String {
    let mut parts = Vec::new();
    match &settings.auth {
        AuthDecl::None => {}
        AuthDecl::ApiKey => parts.push("auth=api-key".to_owned()),
        AuthDecl::Jwt { scopes } if scopes.is_empty() => parts.push("auth=jwt".to_owned()),
        AuthDecl::Jwt { scopes } => parts.push(format!("auth=jwt({})", scopes.join(","))),
    }
    if let Some(limit) = settings.rate_limit {
        parts.push(format!("rate={}/{}s", limit.requests, limit.window_seconds));
    }
    if settings.cors.is_some() {
        parts.push("cors".into());
    }
    parts.push(format!("body<={}", human_size(settings.body_limit)));
    if !settings.access_log {
        parts.push("no-log".into());
    }
    parts.join(" ")
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b if b % (1 << 10) == 0 => format!("{}KiB", b >> 10),
        b => format!("{b}B"),
    }
}
