//! Serves one WASI HTTP component until Ctrl-C: a 0.2 one with a fresh instance per request
//! (or `reuse` requests per instance), a 0.3 one reused as Spin 4.1 does.
//!
//! Run with: `cargo run --release -p edgeway-host --example serve -- app.wasm [listen] [trigger-route] [reuse]`
//! e.g. `... -- app.wasm 127.0.0.1:0 /api/... 8`.
//!
//! Key-value stores and variables come from the environment:
//! `EDGEWAY_KEY_VALUE_STORES=default,cache` (the stores the component may
//! open), `EDGEWAY_KEY_VALUE_DIR=path` (default `.edgeway/key-value`) and
//! `SPIN_VARIABLE_API_URL=...` (variable `api_url`, as Spin names them).

use edgeway_host::{AppComponent, Host, HostConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: serve <component.wasm> [listen-addr] [trigger-route] [reuse]";
    let mut app = AppComponent::new(args.next().ok_or_else(|| anyhow::anyhow!(usage))?);
    let mut config = HostConfig::default();
    if let Some(listen) = args.next() {
        config.listen = listen.parse()?;
    }
    if let Some(route) = args.next() {
        app.trigger_routes = vec![route];
    }
    if let Some(reuse) = args.next() {
        config.reuse = reuse.parse()?;
    }
    if let Ok(stores) = std::env::var("EDGEWAY_KEY_VALUE_STORES") {
        app.key_value_stores = stores
            .split(',')
            .filter(|label| !label.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(dir) = std::env::var_os("EDGEWAY_KEY_VALUE_DIR") {
        config.key_value_dir = dir.into();
    }
    app.variables = std::env::vars()
        .filter_map(|(name, value)| {
            let name = name.strip_prefix("SPIN_VARIABLE_")?.to_ascii_lowercase();
            Some((name, value))
        })
        .collect();
    config.components = vec![app];
    let host = Host::bind(config).await?;
    host.serve(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
