//! Serves one WASI 0.2 HTTP component until Ctrl-C.
//!
//! Run with: `cargo run --release -p edgeway-host --example serve -- app.wasm [listen] [trigger-route] [reuse]`
//! e.g. `... -- app.wasm 127.0.0.1:0 /api/... 8`.

use edgeway_host::{Host, HostConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: serve <component.wasm> [listen-addr] [trigger-route] [reuse]";
    let mut config = HostConfig {
        component: args.next().ok_or_else(|| anyhow::anyhow!(usage))?.into(),
        ..HostConfig::default()
    };
    if let Some(listen) = args.next() {
        config.listen = listen.parse()?;
    }
    if let Some(route) = args.next() {
        config.trigger_route = route;
    }
    if let Some(reuse) = args.next() {
        config.reuse = reuse.parse()?;
    }
    let host = Host::bind(config).await?;
    host.serve(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
