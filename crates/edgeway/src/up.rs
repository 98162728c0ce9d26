//! `edgeway up`: build, then serve with Spin when it is installed, or with the local host.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use edgeway_host::{AppComponent, Host, HostConfig, RedisSubscription, Schedule};
use edgeway_manifest::{Manifest, Wasi};

use crate::banner::{Banner, Build, HostKind, local_banner};
use crate::build::{WasiArg, build};
use crate::log_format::LogFormatArgs;
use crate::pool_args::PoolArgs;
use crate::progress;
use crate::reuse_args::{InstanceReuseArgs, parse_timeout};
use crate::split;
use crate::watch;

#[derive(Args)]
pub struct UpArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Which host serves the app: Spin if a `spin` binary is on PATH, else the local host.
    #[arg(long, value_enum, default_value_t = HostChoice::Auto)]
    host: HostChoice,
    /// Local host, WASI 0.2 components only: serve up to N requests with one instance, one
    /// after another (1 = a fresh instance per request, as Spin does for WASI 0.2
    /// components). wasi:http@0.3 components follow --max-instance-reuse-count.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    reuse: u32,
    #[command(flatten)]
    instance_reuse: InstanceReuseArgs,
    /// Local host: wall-clock limit per request: seconds, or a number with `s`, `ms`, `us`
    /// or `ns` (runaway handlers get a 504). Also read as Spin's --request-timeout (which on
    /// Spin has no default and only affects wasi:http@0.3 components).
    #[arg(
        long,
        visible_alias = "request-timeout",
        value_name = "DURATION",
        default_value = "30",
        value_parser = parse_timeout
    )]
    timeout: Duration,
    /// Local host: memory limit per instance, in MiB (each linear memory; a wasi:http@0.3
    /// instance has it for all the requests it serves).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..))]
    max_memory: u64,
    #[command(flatten)]
    log_format: LogFormatArgs,
    #[command(flatten)]
    pool: PoolArgs,
    /// Local host: seconds a client has to send a request head; slower clients, and
    /// keep-alive connections idle that long, are disconnected.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    header_timeout: u64,
    /// Local host: connections served at once; one more is answered `503` and closed.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1024,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    max_connections: u32,
    /// Local host: on Ctrl-C or SIGTERM, seconds in-flight requests have to finish before
    /// their connections are closed (0: close them at once; a second signal stops at once).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(0..=86_400)
    )]
    shutdown_timeout: u64,
    /// Local host: where key-value stores keep their data [default: .edgeway/key-value beside
    /// the manifest].
    #[arg(long)]
    key_value_dir: Option<std::path::PathBuf>,
    /// Local host: Spin's runtime config file; its `[key_value_store.<label>]` tables say
    /// where stores keep their data (`type = "spin"` with a `path`, or `type = "redis"`
    /// with a `url`), as `spin up --runtime-config-file` reads them.
    #[arg(long)]
    runtime_config_file: Option<std::path::PathBuf>,
    /// Serve what the last build wrote, without building.
    #[arg(long)]
    no_build: bool,
    /// Build and serve a split deployment: one component per group of routes, picked by
    /// Spin's router (see `edgeway build --split`).
    #[arg(long)]
    split: bool,
    #[command(flatten)]
    wasi: WasiArg,
    /// Local host: check each answer against the response the OpenAPI document declares for
    /// it (status, content type, schema) and log every violation with the request id and a
    /// JSON pointer; answers are sent unchanged. For development: bodies are read whole.
    #[arg(long)]
    check_responses: bool,
    /// Local host: rebuild when a file under the manifest's `watch` globs changes, and
    /// serve the new build without a restart (a failed build keeps the last good one).
    #[arg(long, conflicts_with = "no_build")]
    watch: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HostChoice {
    Auto,
    Spin,
    Local,
}

pub fn up(manifest_path: &Path, args: UpArgs) -> anyhow::Result<()> {
    let spin_installed = which_spin();
    let use_spin = match args.host {
        HostChoice::Spin if args.watch => bail!(watch::SPIN_REFUSAL),
        HostChoice::Spin if args.check_responses => {
            bail!("`--check-responses` runs on the local host: use `--host local`")
        }
        HostChoice::Spin if !spin_installed => bail!("`--host spin` needs a `spin` binary on PATH"),
        HostChoice::Spin => true,
        HostChoice::Local => false,
        HostChoice::Auto if spin_installed && args.watch => {
            eprintln!("{}", watch::LOCAL_NOTE);
            false
        }
        HostChoice::Auto => spin_installed && !args.check_responses,
    };
    if use_spin && args.split {
        let built = split::build_split(manifest_path, args.wasi.wasi)?;
        let count = split::read_split_manifest(&built.spin_manifest)?.len();
        Banner::new(&built.manifest, HostKind::Spin, Build::Split(count)).print(args.listen);
        return spin_up(&built.spin_manifest, &args);
    }
    if use_spin {
        let built = build(manifest_path, args.wasi.wasi)?;
        Banner::new(&built.manifest, HostKind::Spin, Build::Single).print(args.listen);
        return spin_up(manifest_path, &args);
    }
    let (manifest, output) = if args.no_build {
        let mut manifest = edgeway_manifest::Manifest::load(manifest_path)?;
        manifest.wasi = args.wasi.wasi.unwrap_or(manifest.wasi);
        let output = manifest.dir().join(&manifest.output);
        (manifest, output)
    } else {
        build_app(manifest_path, args.split, args.wasi.wasi)?
    };
    let variables = variables(&manifest)?;
    let schedules = schedules(&manifest, &variables);
    let mut components = http_components(&manifest, &output, args.split, variables)?;
    if args.split && !manifest.events.redis.is_empty() {
        eprintln!(
            "Note: the Redis triggers are not served in a split deployment on the local host"
        );
    } else {
        let app = components[0].component.clone();
        components.extend(redis_components(&manifest, &app)?);
    }
    let banner = local_banner(&manifest, &components, args.split);
    let key_value_backends = match &args.runtime_config_file {
        Some(path) => edgeway_host::parse_runtime_config(path)?,
        None => Default::default(),
    };
    let watched = args
        .watch
        .then(|| (manifest_path.to_owned(), args.split, args.wasi.wasi));
    let config = HostConfig {
        listen: args.listen,
        components,
        cache_dir: manifest.dir().join("target/edgeway/cache"),
        reuse: args.reuse,
        instance_reuse: args.instance_reuse.host_config(),
        timeout: args.timeout,
        check_responses: args
            .check_responses
            .then(|| edgeway_openapi::document(&manifest)),
        max_memory_bytes: usize::try_from(args.max_memory << 20)?,
        // Spin keeps the default store in a SQLite file under the app's `.spin/`; edgeway
        // keeps it under `.edgeway/`, so data survives restarts the same way.
        key_value_dir: args
            .key_value_dir
            .unwrap_or_else(|| manifest.dir().join(".edgeway/key-value")),
        key_value_backends,
        schedules,
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections: usize::try_from(args.max_connections)?,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        log_format: args.log_format.host_format(),
        progress: progress::host_progress(),
        pool: args.pool.host_config(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let served = runtime.block_on(async move {
        let signals = signals()?;
        let mut first = std::pin::pin!(nth_signal(signals.clone(), 1));
        // A signal while the app loads stops at once; once it serves, gracefully.
        let host = tokio::select! {
            host = Host::bind(config) => host?,
            () = &mut first => return Ok(()),
        };
        banner.print(host.local_addr());
        if let Some((manifest_path, split, wasi)) = watched {
            watch::spawn(manifest_path, split, wasi, host.reloader())?;
        }
        tokio::select! {
            served = host.serve(first) => served?,
            () = nth_signal(signals, 2) => eprintln!("Stopping now: a second signal came"),
        }
        Ok(())
    });
    // A component still running when the shutdown timeout passed must not hold up the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    served
}

/// Builds the app (a split deployment if `split`; for `wasi`, or the manifest's): its
/// manifest, and the composed component or the split deployment's `spin.toml`.
pub(crate) fn build_app(
    manifest_path: &Path,
    split: bool,
    wasi: Option<Wasi>,
) -> anyhow::Result<(Manifest, PathBuf)> {
    if split {
        let built = split::build_split(manifest_path, wasi)?;
        Ok((built.manifest, built.spin_manifest))
    } else {
        let built = build(manifest_path, wasi)?;
        Ok((built.manifest, built.output))
    }
}

/// The app's variables, resolved from `[variables]` and `SPIN_VARIABLE_*`.
pub(crate) fn variables(manifest: &Manifest) -> anyhow::Result<BTreeMap<String, String>> {
    manifest
        .variables
        .resolve(|name| std::env::var(name).ok())
        .map_err(|error| anyhow::anyhow!("{}: {error}", manifest.path.display()))
}

/// The components HTTP requests reach: the composed app `output`, or with `split` every
/// component of the app's split deployment, each with its stores and variables.
pub(crate) fn http_components(
    manifest: &Manifest,
    output: &Path,
    split: bool,
    variables: BTreeMap<String, String>,
) -> anyhow::Result<Vec<AppComponent>> {
    if !split {
        return Ok(vec![AppComponent {
            component: output.to_owned(),
            trigger_routes: vec![manifest.trigger_route.clone()],
            redis_subscriptions: Vec::new(),
            key_value_stores: manifest.key_value_stores.clone(),
            variables,
            allowed_outbound_hosts: manifest
                .allowed_outbound_hosts
                .iter()
                .map(|host| resolve(manifest, host))
                .collect::<anyhow::Result<_>>()?,
        }]);
    }
    let derived = split::split_dir(manifest).join("spin.toml");
    Ok(split::read_split_manifest(&derived)?
        .into_iter()
        .map(|c| AppComponent {
            component: c.source,
            trigger_routes: c.routes,
            redis_subscriptions: Vec::new(),
            key_value_stores: c.key_value_stores,
            allowed_outbound_hosts: c.allowed_outbound_hosts,
            variables: variables
                .iter()
                .filter(|(name, _)| c.variables.contains(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
        .collect())
}

/// Counts the Ctrl-Cs (SIGINT) and SIGTERMs that come from now on.
fn signals() -> anyhow::Result<tokio::sync::watch::Receiver<u32>> {
    let (count, counted) = tokio::sync::watch::channel(0);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
                count.send_modify(|n| *n += 1);
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            count.send_modify(|n| *n += 1);
        }
    });
    Ok(counted)
}

/// Resolves once `n` signals have come.
async fn nth_signal(mut signals: tokio::sync::watch::Receiver<u32>, n: u32) {
    // Err: the counting task is gone, which happens only when the runtime stops.
    let _ = signals.wait_for(|count| *count >= n).await;
}

/// Fills in a template such as `"{{ redis_address }}"` with the app's variables.
fn resolve(manifest: &Manifest, template: &str) -> anyhow::Result<String> {
    let variables = edgeway_manifest::Variables {
        app: manifest.variables.app.clone(),
        component: vec![("value".to_owned(), template.to_owned())],
    };
    let mut resolved = variables
        .resolve(|name| std::env::var(name).ok())
        .map_err(|error| anyhow::anyhow!("{}: {error}", manifest.path.display()))?;
    Ok(resolved.remove("value").unwrap_or_default())
}

/// One component per Spin component of the manifest's `[[trigger.redis]]` entries that serve
/// the app: the composed app `app`, subscribed to its channels, with its stores and
/// variables, as `spin up` runs them.
fn redis_components(manifest: &Manifest, app: &Path) -> anyhow::Result<Vec<AppComponent>> {
    let events = &manifest.events;
    let mut components: Vec<(String, AppComponent)> = Vec::new();
    for trigger in &events.redis {
        let address = trigger.address.as_ref().or(events.redis_address.as_ref());
        let address = resolve(manifest, address.map_or("", String::as_str))?;
        let subscription = RedisSubscription::new(address, resolve(manifest, &trigger.channel)?);
        if let Some((_, component)) = components
            .iter_mut()
            .find(|(id, _)| *id == trigger.component)
        {
            component.redis_subscriptions.push(subscription);
            continue;
        }
        let mut variables = std::collections::BTreeMap::new();
        for (name, template) in &trigger.variables {
            variables.insert(name.clone(), resolve(manifest, template)?);
        }
        components.push((
            trigger.component.clone(),
            AppComponent {
                component: app.to_owned(),
                trigger_routes: Vec::new(),
                redis_subscriptions: vec![subscription],
                key_value_stores: trigger.key_value_stores.clone(),
                variables,
                allowed_outbound_hosts: Vec::new(),
            },
        ));
    }
    Ok(components
        .into_iter()
        .map(|(_, component)| component)
        .collect())
}

/// The manifest's schedules as requests to the gateway's schedule path, with the bearer
/// secret from the gateway's variable `schedule_secret` names (none if it has no value: the
/// gateway then refuses the request, which the host logs).
fn schedules(
    manifest: &Manifest,
    variables: &std::collections::BTreeMap<String, String>,
) -> Vec<Schedule> {
    let events = &manifest.events;
    let secret = events
        .schedule_secret
        .as_ref()
        .and_then(|name| variables.get(name));
    events
        .schedules
        .iter()
        .map(|schedule| {
            let path = format!(
                "{}/{}",
                events.schedule_path.trim_end_matches('/'),
                schedule.name
            );
            let mut request = Schedule::post(&schedule.name, &schedule.cron, path);
            if let Some(secret) = secret {
                request.headers = vec![("authorization".to_owned(), format!("Bearer {secret}"))];
            }
            request
        })
        .collect()
}

fn which_spin() -> bool {
    Command::new("spin")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn spin_up(manifest_path: &Path, args: &UpArgs) -> anyhow::Result<()> {
    let mut command = Command::new("spin");
    command
        .args(["up", "--listen", &args.listen.to_string(), "--from"])
        .arg(manifest_path);
    if let Some(runtime_config) = &args.runtime_config_file {
        command.arg("--runtime-config-file").arg(runtime_config);
    }
    args.pool.pass_to_spin(&mut command);
    let status = command.status().context("cannot run spin")?;
    if !status.success() {
        bail!("spin up exited with {status}");
    }
    Ok(())
}
