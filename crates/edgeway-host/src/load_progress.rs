//! What [`Host::bind`](crate::Host::bind) reports while it loads the app: compiling a
//! component takes from seconds to minutes the first time, and a caller may want to show it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A step of loading one component, as [`HostConfig::progress`] receives it.
///
/// [`HostConfig::progress`]: crate::HostConfig::progress
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadStep<'a> {
    /// `component` is not in the compile cache: Wasmtime compiles it now (Cranelift; tens of
    /// seconds for an app with Python or JavaScript handlers, on one core).
    Compiling {
        /// The component's `.wasm`.
        component: &'a Path,
    },
    /// `component` compiled in `elapsed`; `cached` is where the next start reads it from.
    Compiled {
        /// The component's `.wasm`.
        component: &'a Path,
        /// The compile cache's file for it.
        cached: &'a Path,
        /// How long compiling took.
        elapsed: Duration,
    },
    /// `component` was read from the compile cache, without compiling.
    FromCache {
        /// The component's `.wasm`.
        component: &'a Path,
        /// The compile cache's file it came from.
        cached: &'a Path,
    },
}

/// Receives the [`LoadStep`]s of [`Host::bind`](crate::Host::bind), on the thread that
/// loads the app. The default prints one line per step on stderr.
///
/// ```
/// use edgeway_host::{HostConfig, LoadProgress, LoadStep};
///
/// let config = HostConfig {
///     progress: LoadProgress::new(|step| {
///         if let LoadStep::Compiling { component } = step {
///             eprintln!("compiling {}", component.display());
///         }
///     }),
///     ..HostConfig::default()
/// };
/// # drop(config);
/// ```
#[derive(Clone, Default)]
pub struct LoadProgress(Option<Arc<Report>>);

/// What a [`LoadProgress`] calls.
type Report = dyn Fn(LoadStep<'_>) + Send + Sync;

impl LoadProgress {
    /// Calls `report` with every step.
    pub fn new(report: impl Fn(LoadStep<'_>) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(report)))
    }

    /// Passes `step` on, or prints it (the default).
    pub(crate) fn report(&self, step: LoadStep<'_>) {
        match &self.0 {
            Some(report) => report(step),
            None => print(step),
        }
    }
}

/// The default report: one line on stderr.
fn print(step: LoadStep<'_>) {
    match step {
        LoadStep::Compiling { .. } => eprintln!("Compiling component (cached afterwards)..."),
        LoadStep::Compiled { elapsed, .. } => {
            eprintln!("Compiled in {:.1}s", elapsed.as_secs_f64())
        }
        LoadStep::FromCache { cached, .. } => eprintln!(
            "Loaded compiled component from cache ({})",
            cached.display()
        ),
    }
}

impl std::fmt::Debug for LoadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoadProgress")
    }
}

/// Two are equal when both are the default, or clones of one another.
impl PartialEq for LoadProgress {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for LoadProgress {}
