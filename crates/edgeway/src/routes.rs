//! `edgeway routes`: the route table as the gateway will match it, with each route's policies;
//! then the event subscriptions, each with the way its events come in.
use std::path::Path;

use edgeway_manifest::{AuthDecl, Manifest, RouteSettings, Source, Subscription};
use edgeway_router::Methods;

pub fn print(manifest_path: &Path) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    for line in route_table(&manifest) {
        println!("{line}");
    }
    let events = &manifest.events;
    if !events.subscriptions.is_empty() {
        println!();
        let rows = events
            .subscriptions
            .iter()
            .map(|subscription| {
                [
                    subscription.source.to_string(),
                    subscription.handler.clone(),
                    types(subscription),
                    retry(subscription),
                    entry(&manifest, &subscription.source),
                ]
            })
            .collect();
        for line in table(["SOURCE", "HANDLER", "TYPES", "RETRY", "ENTRY"], rows) {
            println!("{line}");
        }
    }
    Ok(())
}

/// The lines of the route table, in priority order: methods, path, handler and policies.
pub fn route_table(manifest: &Manifest) -> Vec<String> {
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
    table(["METHODS", "PATH", "HANDLER", "POLICIES"], rows)
}

/// The lines of `rows` under `header`, in columns.
fn table<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> Vec<String> {
    let widths: Vec<usize> = (0..N)
        .map(|c| {
            rows.iter()
                .map(|row| row[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    std::iter::once(header.map(str::to_owned))
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:width$}"))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

fn types(subscription: &Subscription) -> String {
    if subscription.types.is_empty() {
        "*".into()
    } else {
        subscription.types.join(",")
    }
}

fn retry(subscription: &Subscription) -> String {
    match subscription.attempts {
        1 => "1 attempt".into(),
        n => format!("{n} attempts, from {}ms", subscription.backoff_ms),
    }
}

/// How events of `source` reach the gateway.
fn entry(manifest: &Manifest, source: &Source) -> String {
    let events = &manifest.events;
    match source {
        Source::Webhook(topic) => {
            let webhook = events
                .webhook
                .as_ref()
                .expect("webhook sources have an endpoint");
            format!(
                "POST {}/{topic} ({})",
                webhook.path,
                policies(&webhook.settings)
            )
        }
        Source::Schedule(name) => {
            let cron = events
                .schedules
                .iter()
                .find(|s| &s.name == name)
                .map_or("", |s| s.cron.as_str());
            format!("POST {}/{name} (cron \"{cron}\")", events.schedule_path)
        }
        Source::Redis(channel) => {
            let components: Vec<&str> = events
                .redis
                .iter()
                .filter(|t| &t.channel == channel)
                .map(|t| t.component.as_str())
                .collect();
            format!("Redis trigger ({})", components.join(", "))
        }
    }
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
