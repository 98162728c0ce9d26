//! `edgeway up --watch`: rebuilds when a watched file changes, and has the local host serve
//! the new build without a restart.
//!
//! The files are polled every [`POLL`] (modification time and length) rather than watched
//! with the system's file events: polling needs no dependency, works the same on every
//! platform and on file systems that send no events (network and container mounts), and
//! the globs keep each walk small. A change is acted on once a poll finds nothing new, so a
//! burst of saves is one build. The build runs on this module's thread while the host
//! serves the last good build; only a build that succeeds and loads is swapped in, by
//! [`Reloader::reload`]: requests in flight finish on the app they started on.
mod files;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use edgeway_host::Reloader;
use edgeway_manifest::Wasi;
use tokio::runtime::Handle;

use crate::up;
use files::{Snapshot, Watched};

/// How often the watched files are read.
const POLL: Duration = Duration::from_millis(500);

/// Why `--watch` does not go with `--host spin`.
pub(crate) const SPIN_REFUSAL: &str = "`--watch` swaps a new build into the running local \
    host, which Spin cannot do\n  hint: run `spin watch` to rebuild and restart `spin up` on \
    every change, or `edgeway up --host local --watch`";

/// Said when `--watch` picks the local host over an installed Spin.
pub(crate) const LOCAL_NOTE: &str = "Serving with the local host: `--watch` swaps each new \
    build in without a restart, which Spin cannot do (`spin watch` restarts `spin up`)";

/// Watches the app's files on a thread of its own, rebuilding the app (a split deployment
/// if `split`, for `wasi` or the manifest's) and reloading it into the host behind
/// `reloader` on every change.
pub(crate) fn spawn(
    manifest: PathBuf,
    split: bool,
    wasi: Option<Wasi>,
    reloader: Reloader,
) -> anyhow::Result<()> {
    let watched = Watched::read(&manifest)?;
    eprintln!(
        "Watching {} and [{}] for changes",
        manifest.display(),
        watched.globs().join(", ")
    );
    let runtime = Handle::current();
    std::thread::Builder::new()
        .name("edgeway-watch".to_owned())
        .spawn(move || {
            let watcher = Watcher {
                manifest,
                split,
                wasi,
                reloader,
                runtime,
            };
            watcher.run(watched);
        })
        .context("cannot start the thread that watches files")?;
    Ok(())
}

struct Watcher {
    manifest: PathBuf,
    split: bool,
    wasi: Option<Wasi>,
    reloader: Reloader,
    runtime: Handle,
}

impl Watcher {
    /// Polls forever; the process ends it.
    fn run(&self, mut watched: Watched) {
        let mut seen = watched.snapshot();
        loop {
            std::thread::sleep(POLL);
            let now = watched.snapshot();
            if now == seen {
                continue;
            }
            let settled = settle(&watched, now);
            if let Some(path) = files::first_change(&seen, &settled) {
                eprintln!("{} changed: rebuilding", path.display());
            }
            seen = settled;
            self.rebuild();
            // The manifest may name other globs now; a manifest that does not read keeps
            // the old ones (its build failed and said why).
            if let Ok(read) = Watched::read(&self.manifest)
                && read.globs() != watched.globs()
            {
                watched = read;
                seen = watched.snapshot();
            }
        }
    }

    /// Builds the app, and serves the new build if it builds and loads.
    fn rebuild(&self) {
        let started = Instant::now();
        let components =
            up::build_app(&self.manifest, self.split, self.wasi).and_then(|(manifest, output)| {
                let variables = up::variables(&manifest)?;
                let document = edgeway_openapi::document(&manifest);
                Ok((
                    up::http_components(&manifest, &output, self.split, variables)?,
                    document,
                ))
            });
        let reloaded = match components {
            Ok((components, document)) => self
                .runtime
                .block_on(self.reloader.reload(components, Some(document)))
                .map_err(anyhow::Error::from),
            Err(error) => Err(error),
        };
        match reloaded {
            Ok(()) => eprintln!(
                "Rebuilt in {:.1}s: new requests go to the new build",
                started.elapsed().as_secs_f64()
            ),
            Err(error) => {
                crate::print_error(&error);
                eprintln!("Build failed: still serving the last good build");
            }
        }
    }
}

/// Polls until a poll finds the files as the one before: the end of a burst of saves.
fn settle(watched: &Watched, mut latest: Snapshot) -> Snapshot {
    loop {
        std::thread::sleep(POLL);
        let now = watched.snapshot();
        if now == latest {
            return latest;
        }
        latest = now;
    }
}
