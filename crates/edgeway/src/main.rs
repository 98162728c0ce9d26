//! `edgeway`: build, route and serve an edgeway app.
mod banner;
mod build;
mod cargo;
mod events;
mod kube;
mod languages;
mod log_format;
mod new;
mod openapi;
mod pool_args;
mod progress;
mod reuse_args;
mod routes;
mod split;
mod up;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "edgeway",
    version,
    about = "Build, route and serve an edgeway app"
)]
struct Cli {
    /// The app's manifest.
    #[arg(long, global = true, default_value = "spin.toml")]
    manifest: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build every handler and the gateway, and compose them into the app's component.
    Build {
        /// Write a split deployment instead: one Spin component per group of routes, under
        /// target/edgeway/split/<app>/ (see docs/split.md).
        #[arg(long)]
        split: bool,
        #[command(flatten)]
        wasi: build::WasiArg,
    },
    /// Build, then serve the app over HTTP (with Spin when it is installed).
    Up(up::UpArgs),
    /// Print the route table in priority order.
    Routes,
    /// Scaffold a handler in components/<name> (Rust, Python or JavaScript) and route to it.
    New(new::NewArgs),
    /// Write the app's OpenAPI 3.1 document (the one the gateway serves at /openapi.json).
    Openapi(openapi::OpenApiArgs),
    /// Inspect the app's events (`edgeway events dead-letters`).
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Write the Kubernetes resources that run the app on SpinKube (SpinApps, their Secret's
    /// template, an Ingress and autoscalers), for `kubectl apply -f DIR`.
    Kube(kube::KubeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build { split: false, wasi } => build::build(&cli.manifest, wasi.wasi).map(drop),
        Command::Build { split: true, wasi } => {
            split::build_split(&cli.manifest, wasi.wasi).map(drop)
        }
        Command::Up(args) => up::up(&cli.manifest, args),
        Command::Routes => routes::print(&cli.manifest),
        Command::New(args) => new::new(&cli.manifest, args),
        Command::Openapi(args) => openapi::write(&cli.manifest, args),
        Command::Events(command) => events::run(&cli.manifest, command),
        Command::Kube(args) => kube::write(&cli.manifest, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            print_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// Prints `error` on stderr: as `error: ...`, or as the manifest's diagnostics, which carry
/// their own `file:line:col: error:` prefix.
fn print_error(error: &anyhow::Error) {
    match error.downcast_ref::<edgeway_manifest::ManifestError>() {
        Some(diagnostics @ edgeway_manifest::ManifestError::Invalid(_)) => {
            eprintln!("{diagnostics}")
        }
        _ => eprintln!("error: {error:#}"),
    }
}
