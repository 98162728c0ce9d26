//! Instance reuse for `wasi:http@0.3` components, with Spin 4.1's rules (the same as
//! `wasmtime serve`'s): an instance takes up to [`InstanceReuse::max_requests`] requests in
//! its life, up to [`InstanceReuse::max_concurrent`] at once, and ends once idle for
//! [`InstanceReuse::idle_timeout`]. Each setting is one value or a range a new instance
//! draws its own value from, as Spin's flags accept.
//!
//! The decisions are plain functions of a [`Limits`], drawn once per instance; `service`
//! wires them into Wasmtime's `WorkerState` and `WorkerExpiration`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime_wasi_http::handler::{ShouldAccept, WorkerStatus};

/// A setting that is one value, or a range from which every new instance draws its own
/// (uniformly, the end excluded), as Spin reads `--max-instance-reuse-count 1..8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampled<T> {
    /// Every instance gets this value.
    Fixed(T),
    /// Every instance draws a value `v` with `start <= v < end`.
    Between(T, T),
}

impl Sampled<usize> {
    /// The value for a new instance.
    pub(crate) fn draw(self) -> usize {
        match self {
            Self::Fixed(value) => value,
            Self::Between(start, end) => {
                let span = end.saturating_sub(start).max(1) as u64;
                start + (random() % span) as usize
            }
        }
    }

    /// `Ok` if every value drawn is at least `min`.
    fn check(self, min: usize) -> Result<(), String> {
        match self {
            Self::Fixed(value) if value < min => {
                Err(format!("is {value}; it must be at least {min}"))
            }
            Self::Between(start, end) if start < min || end <= start => Err(format!(
                "is the range {start}..{end}; it must be a non-empty range of values of at least {min}"
            )),
            _ => Ok(()),
        }
    }
}

impl Sampled<Duration> {
    /// The value for a new instance.
    pub(crate) fn draw(self) -> Duration {
        match self {
            Self::Fixed(value) => value,
            Self::Between(start, end) => {
                let span = end.saturating_sub(start).as_nanos().max(1);
                let offset = u128::from(random()) % span;
                // `offset` is below `span`, itself a `Duration`'s nanoseconds.
                start + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
            }
        }
    }

    /// `Ok` unless it is an empty range.
    fn check(self) -> Result<(), String> {
        match self {
            Self::Between(start, end) if end <= start => Err(format!(
                "is the range {start:?}..{end:?}; it must be a non-empty range"
            )),
            _ => Ok(()),
        }
    }
}

/// A random number, different between calls and between runs (the process's random hasher
/// keys mix in): enough to spread instances' limits, not for secrets.
fn random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    KEYS.get_or_init(RandomState::new).hash_one(n)
}

/// How instances of a `wasi:http@0.3` component (one exporting `wasi:http/handler@0.3.x`)
/// are reused: Spin 4.1's `--max-instance-reuse-count`, `--max-instance-concurrent-reuse-count`
/// and `--idle-instance-timeout`, with Spin's defaults. WASI 0.2 components are not
/// affected: they get a fresh instance per request (see
/// [`HostConfig::reuse`](crate::HostConfig::reuse)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstanceReuse {
    /// How many requests one instance serves in its life before it is dropped. Default 128;
    /// 1 gives every request a fresh instance.
    pub max_requests: Sampled<usize>,
    /// How many requests one instance serves at once. Default 16. An instance takes a
    /// further request only while those it has wait on I/O, never two busy ones.
    pub max_concurrent: Sampled<usize>,
    /// How long an instance with nothing to do is kept for the next request. Default 1 s.
    pub idle_timeout: Sampled<Duration>,
}

impl Default for InstanceReuse {
    fn default() -> Self {
        Self {
            max_requests: Sampled::Fixed(128),
            max_concurrent: Sampled::Fixed(16),
            idle_timeout: Sampled::Fixed(Duration::from_secs(1)),
        }
    }
}

impl InstanceReuse {
    /// The offending field and what is wrong with it, if any.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        self.max_requests
            .check(1)
            .map_err(|problem| ("instance_reuse.max_requests", problem))?;
        self.max_concurrent
            .check(1)
            .map_err(|problem| ("instance_reuse.max_concurrent", problem))?;
        self.idle_timeout
            .check()
            .map_err(|problem| ("instance_reuse.idle_timeout", problem))
    }

    /// The limits of a new instance, with `request_timeout` for each of its requests.
    pub(crate) fn draw(&self, request_timeout: Duration) -> Limits {
        Limits {
            max_requests: self.max_requests.draw(),
            max_concurrent: self.max_concurrent.draw(),
            idle_timeout: self.idle_timeout.draw(),
            request_timeout,
        }
    }
}

/// One instance's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_requests: usize,
    pub(crate) max_concurrent: usize,
    pub(crate) idle_timeout: Duration,
    /// The host's per-request limit (`--timeout`), also how long an instance may go on
    /// working after its last response (Spin and `wasmtime serve` use their request timeout
    /// for that too).
    pub(crate) request_timeout: Duration,
}

impl Limits {
    /// Whether an instance serving `concurrent` requests, after `total` in its life, takes
    /// another: never again once it reached its maximum, not now while it has its share.
    pub(crate) fn should_accept(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.max_requests {
            ShouldAccept::Never
        } else if concurrent >= self.max_concurrent {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    /// When an instance in `status` since `start` (for `Requests`: since it took its most
    /// recent request) is to be dropped: idle ones after the idle timeout, busy ones after
    /// the request timeout. `None`: never (the sum overflows).
    pub(crate) fn expires_at(&self, status: WorkerStatus, start: Instant) -> Option<Instant> {
        let timeout = match status {
            WorkerStatus::Idle => self.idle_timeout,
            WorkerStatus::Requests | WorkerStatus::PostReturn => self.request_timeout,
        };
        start.checked_add(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        InstanceReuse::default().draw(Duration::from_secs(30))
    }

    #[test]
    fn defaults_are_spins() {
        let limits = limits();
        assert_eq!(limits.max_requests, 128);
        assert_eq!(limits.max_concurrent, 16);
        assert_eq!(limits.idle_timeout, Duration::from_secs(1));
        assert_eq!(limits.request_timeout, Duration::from_secs(30));
    }

    #[test]
    fn accepts_up_to_the_concurrency_then_never_past_the_total() {
        let limits = Limits {
            max_requests: 3,
            max_concurrent: 2,
            ..limits()
        };
        let cases = [
            // (in flight now, taken so far, decision)
            (0, 0, "yes"),
            (1, 1, "yes"),
            (2, 2, "no"),
            (1, 2, "yes"),
            (0, 3, "never"),
            (2, 3, "never"),
        ];
        for (concurrent, total, expected) in cases {
            let decision = match limits.should_accept(concurrent, total) {
                ShouldAccept::Yes => "yes",
                ShouldAccept::No => "no",
                ShouldAccept::Never => "never",
            };
            assert_eq!(decision, expected, "{concurrent} in flight, {total} taken");
        }
    }

    #[test]
    fn idle_instances_expire_after_the_idle_timeout_busy_ones_after_the_request_timeout() {
        let limits = limits();
        let start = Instant::now();
        let after = |status| limits.expires_at(status, start).unwrap() - start;
        assert_eq!(after(WorkerStatus::Idle), Duration::from_secs(1));
        assert_eq!(after(WorkerStatus::Requests), Duration::from_secs(30));
        assert_eq!(after(WorkerStatus::PostReturn), Duration::from_secs(30));
        let forever = Limits {
            request_timeout: Duration::MAX,
            ..limits
        };
        assert_eq!(forever.expires_at(WorkerStatus::Requests, start), None);
    }

    #[test]
    fn ranges_draw_within_their_bounds() {
        let requests = Sampled::Between(4, 8);
        let timeout = Sampled::Between(Duration::from_millis(10), Duration::from_millis(20));
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let drawn = requests.draw();
            assert!((4..8).contains(&drawn), "{drawn}");
            seen.insert(drawn);
            let drawn = timeout.draw();
            assert!(
                (Duration::from_millis(10)..Duration::from_millis(20)).contains(&drawn),
                "{drawn:?}"
            );
        }
        assert_eq!(seen.len(), 4, "every value of 4..8 comes up: {seen:?}");
        assert_eq!(Sampled::Fixed(7).draw(), 7);
    }

    #[test]
    fn rejects_zero_counts_and_empty_ranges() {
        assert_eq!(InstanceReuse::default().check(), Ok(()));
        let cases = [
            (
                InstanceReuse {
                    max_requests: Sampled::Fixed(0),
                    ..InstanceReuse::default()
                },
                "instance_reuse.max_requests",
            ),
            (
                InstanceReuse {
                    max_requests: Sampled::Between(8, 8),
                    ..InstanceReuse::default()
                },
                "instance_reuse.max_requests",
            ),
            (
                InstanceReuse {
                    max_concurrent: Sampled::Between(0, 4),
                    ..InstanceReuse::default()
                },
                "instance_reuse.max_concurrent",
            ),
            (
                InstanceReuse {
                    idle_timeout: Sampled::Between(Duration::from_secs(2), Duration::from_secs(1)),
                    ..InstanceReuse::default()
                },
                "instance_reuse.idle_timeout",
            ),
        ];
        for (reuse, field) in cases {
            assert_eq!(reuse.check().map_err(|(f, _)| f), Err(field));
        }
        let zero_idle = InstanceReuse {
            idle_timeout: Sampled::Fixed(Duration::ZERO),
            ..InstanceReuse::default()
        };
        assert_eq!(zero_idle.check(), Ok(()));
    }
}
