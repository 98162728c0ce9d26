//! Step-by-step progress on stderr, with how long each long step took.
use std::time::Instant;

/// A long step: says what starts, then how it ended and how long it took.
pub struct Step {
    what: &'static str,
    started: Instant,
}

impl Step {
    pub fn start(what: &'static str) -> Step {
        eprintln!("  {what}...");
        Step {
            what,
            started: Instant::now(),
        }
    }

    pub fn done(self, result: &str) {
        let seconds = self.started.elapsed().as_secs_f64();
        eprintln!("  {} done in {seconds:.1}s: {result}", self.what);
    }
}
