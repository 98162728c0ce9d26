//! Step-by-step progress on stderr, with how long each long step took.
//!
//! Each step says what starts and how long it takes the first time, then how it ended and
//! how long it took. On a terminal a step that prints nothing else meanwhile shows a
//! spinner with the time so far; piped (in CI, in tests) every step is two plain lines.
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use edgeway_host::{LoadProgress, LoadStep};
use indicatif::{ProgressBar, ProgressStyle};

/// A long step: says what starts, then how it ended and how long it took.
pub struct Step {
    what: &'static str,
    started: Instant,
    /// The live line, on a terminal.
    spinner: Option<ProgressBar>,
}

impl Step {
    /// Starts a step whose only output is its own line: on a terminal, a spinner with the
    /// time so far. `first_time` says what runs and how long it takes the first time.
    pub fn start(what: &'static str, first_time: &str) -> Step {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let spinner = ProgressBar::new_spinner().with_message(start_line(what, first_time));
            spinner.set_style(
                ProgressStyle::with_template("  {spinner} {elapsed:>3} {wide_msg}")
                    .expect("a valid template"),
            );
            spinner.enable_steady_tick(Duration::from_millis(100));
            spinner
        });
        if spinner.is_none() {
            eprintln!("  {}...", start_line(what, first_time));
        }
        Step {
            what,
            started: Instant::now(),
            spinner,
        }
    }

    /// Starts a step that runs a program which shows its own progress on stderr (cargo):
    /// a plain line, even on a terminal.
    pub fn start_plain(what: &'static str, first_time: &str) -> Step {
        eprintln!("  {}...", start_line(what, first_time));
        Step {
            what,
            started: Instant::now(),
            spinner: None,
        }
    }

    /// Ends the step with `result`, and how long it took.
    pub fn done(mut self, result: &str) {
        let line = done_line(self.what, self.started.elapsed(), result);
        // The live line goes; the finished one stays, in full, as a plain line.
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        eprintln!("  {line}");
    }
}

impl Drop for Step {
    /// A step that fails ends without a result: its spinner goes, the error follows.
    fn drop(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}

/// `Building the handlers (cargo; a few minutes the first time)`.
fn start_line(what: &str, first_time: &str) -> String {
    format!("{what} ({first_time})")
}

/// `Composing done in 1.2s: app.wasm`.
fn done_line(what: &str, elapsed: Duration, result: &str) -> String {
    format!("{what} done in {}: {result}", seconds(elapsed))
}

/// `0.4s`, `12.3s`, `2m05s`.
fn seconds(elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

/// Reports the local host's compiling of the app's components as steps, and a line when
/// one comes from the compile cache.
pub fn host_progress() -> LoadProgress {
    let step: Mutex<Option<Step>> = Mutex::new(None);
    LoadProgress::new(move |load| {
        let mut step = step.lock().unwrap_or_else(PoisonError::into_inner);
        match load {
            LoadStep::Compiling { component } => {
                *step = Some(Step::start(
                    "Compiling for the local host",
                    &format!(
                        "wasmtime, {}; ~20 s for the example app, once",
                        file_name(component)
                    ),
                ));
            }
            LoadStep::Compiled { cached, .. } => {
                if let Some(step) = step.take() {
                    let dir = cached.parent().unwrap_or(cached);
                    step.done(&format!("cached in {}", dir.display()));
                }
            }
            LoadStep::FromCache { component, cached } => eprintln!(
                "  Loaded {} compiled from the cache ({})",
                file_name(component),
                cached.parent().unwrap_or(cached).display()
            ),
            _ => {}
        }
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_what_how_long_the_first_time_and_how_long_it_took() {
        assert_eq!(
            start_line("Composing", "wac, a few seconds"),
            "Composing (wac, a few seconds)"
        );
        let cases = [
            (
                Duration::from_millis(400),
                "Composing done in 0.4s: app.wasm",
            ),
            (
                Duration::from_millis(12_345),
                "Composing done in 12.3s: app.wasm",
            ),
            (
                Duration::from_secs(125),
                "Composing done in 2m05s: app.wasm",
            ),
        ];
        for (elapsed, expected) in cases {
            assert_eq!(done_line("Composing", elapsed, "app.wasm"), expected);
        }
    }
}
