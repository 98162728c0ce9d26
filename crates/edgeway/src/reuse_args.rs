//! `edgeway up`'s instance-reuse flags for `wasi:http@0.3` components, named, defaulted and
//! parsed as Spin 4.1's (`spin up --max-instance-reuse-count ...`), and the duration syntax
//! its `--request-timeout` takes, which the local host's `--timeout` accepts too.
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use edgeway_host::{InstanceReuse, Sampled};

/// The flags, for `#[command(flatten)]`.
#[derive(Args)]
pub struct InstanceReuseArgs {
    /// Local host, wasi:http@0.3 components only: requests one instance serves before it is
    /// dropped (Spin's flag and default). A number, or a range `A..B` from which each new
    /// instance draws its own. WASI 0.2 components get a fresh instance per request (see
    /// `--reuse`).
    #[arg(long, value_name = "N|A..B", default_value = "128", value_parser = parse_count)]
    max_instance_reuse_count: Sampled<usize>,
    /// Local host, wasi:http@0.3 components only: requests one instance serves at once
    /// (Spin's flag and default); it takes another only while those it has wait on I/O. A
    /// number, or a range `A..B`.
    #[arg(long, value_name = "N|A..B", default_value = "16", value_parser = parse_count)]
    max_instance_concurrent_reuse_count: Sampled<usize>,
    /// Local host, wasi:http@0.3 components only: how long an idle instance is kept for the
    /// next request (Spin's flag and default): seconds, or a number with `s`, `ms`, `us` or
    /// `ns`, or a range `A..B` (each end read alone: `1..8s` is 1 s to 8 s).
    #[arg(
        long,
        value_name = "DURATION|A..B",
        default_value = "1s",
        value_parser = parse_duration_range
    )]
    idle_instance_timeout: Sampled<Duration>,
}

impl InstanceReuseArgs {
    /// The local host's reuse settings.
    pub fn host_config(&self) -> InstanceReuse {
        InstanceReuse {
            max_requests: self.max_instance_reuse_count,
            max_concurrent: self.max_instance_concurrent_reuse_count,
            idle_timeout: self.idle_instance_timeout,
        }
    }
}

/// A request timeout, in Spin's duration syntax (`30`, `30s`, `500ms`); not zero, and one
/// value: the local host applies it to every request, of WASI 0.2 and 0.3 components alike.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    if s.contains("..") {
        return Err(format!(
            "expected one duration, got the range {s:?}: the local host gives every request \
             the same timeout"
        ));
    }
    let SpinDuration(timeout) = s.parse()?;
    if timeout.is_zero() {
        return Err("the timeout must be longer than zero".to_owned());
    }
    Ok(timeout)
}

/// A count or a range of counts (`128`, `1..8`), as Spin reads them; 0 is refused.
fn parse_count(s: &str) -> Result<Sampled<usize>, String> {
    let count = |s: &str| {
        let n: usize = s
            .parse()
            .map_err(|e| format!("expected a number or a range like 1..8, got {s:?}: {e}"))?;
        if n == 0 {
            return Err("a count must be at least 1".to_owned());
        }
        Ok(n)
    };
    let sampled = sampled(s, count)?;
    if let Sampled::Between(start, end) = sampled
        && end <= start
    {
        return Err(format!("the range {s} is empty: write A..B with A < B"));
    }
    Ok(sampled)
}

/// A duration or a range of durations, as Spin reads them.
fn parse_duration_range(s: &str) -> Result<Sampled<Duration>, String> {
    let sampled = sampled(s, |s| s.parse().map(|SpinDuration(d)| d))?;
    if let Sampled::Between(start, end) = sampled
        && end <= start
    {
        return Err(format!(
            "the range {s} is {start:?}..{end:?}, which is empty (each end is read alone: a \
             number without a unit is seconds)"
        ));
    }
    Ok(sampled)
}

/// `value` or `start..end`, each read by `parse`.
fn sampled<T>(s: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Sampled<T>, String> {
    match s.split_once("..") {
        Some((start, end)) => Ok(Sampled::Between(parse(start)?, parse(end)?)),
        None => Ok(Sampled::Fixed(parse(s)?)),
    }
}

/// Spin's duration syntax: whole seconds, or a whole number with `s`, `ms`, `us` (`μs`) or
/// `ns`.
struct SpinDuration(Duration);

/// Makes a duration of a number of some unit.
type Unit = fn(u64) -> Duration;

impl FromStr for SpinDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let error = |e: std::num::ParseIntError| {
            format!("expected a whole number with `s`, `ms`, `us`, `μs` or `ns`, got {s:?}: {e}")
        };
        if let Ok(secs) = s.parse() {
            return Ok(Self(Duration::from_secs(secs)));
        }
        // Longer suffixes first: `ms` and `us` also end in `s`.
        let units: [(&str, Unit); 5] = [
            ("ms", Duration::from_millis),
            ("us", Duration::from_micros),
            ("μs", Duration::from_micros),
            ("ns", Duration::from_nanos),
            ("s", Duration::from_secs),
        ];
        for (unit, make) in units {
            if let Some(number) = s.strip_suffix(unit) {
                return number.parse().map(|n| Self(make(n))).map_err(error);
            }
        }
        Err(error(s.parse::<u64>().unwrap_err()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Each input parses to its value, or fails with an error that says the given words.
    fn check<T: PartialEq + std::fmt::Debug>(
        parse: fn(&str) -> Result<T, String>,
        cases: impl IntoIterator<Item = (&'static str, Result<T, &'static str>)>,
    ) {
        for (input, expected) in cases {
            match (parse(input), expected) {
                (Ok(parsed), Ok(expected)) => assert_eq!(parsed, expected, "{input}"),
                (Err(error), Err(says)) => assert!(error.contains(says), "{input}: {error}"),
                (parsed, expected) => panic!("{input}: got {parsed:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn counts_and_ranges() {
        let cases: [(&str, Result<Sampled<usize>, &str>); 7] = [
            ("128", Ok(Sampled::Fixed(128))),
            ("1..8", Ok(Sampled::Between(1, 8))),
            ("0", Err("at least 1")),
            ("0..4", Err("at least 1")),
            ("8..8", Err("is empty")),
            ("many", Err("expected a number")),
            ("1..", Err("expected a number")),
        ];
        check(parse_count, cases);
    }

    #[test]
    fn durations_read_as_spin_reads_them() {
        let cases: [(&str, Result<Sampled<Duration>, &str>); 9] = [
            ("1", Ok(Sampled::Fixed(secs(1)))),
            ("1s", Ok(Sampled::Fixed(secs(1)))),
            ("250ms", Ok(Sampled::Fixed(ms(250)))),
            ("7us", Ok(Sampled::Fixed(Duration::from_micros(7)))),
            ("7μs", Ok(Sampled::Fixed(Duration::from_micros(7)))),
            ("9ns", Ok(Sampled::Fixed(Duration::from_nanos(9)))),
            ("1..8s", Ok(Sampled::Between(secs(1), secs(8)))),
            // Each end alone: `100` is 100 s, so this range is empty.
            ("100..500ms", Err("is empty")),
            ("1.5s", Err("expected a whole number")),
        ];
        check(parse_duration_range, cases);
    }

    #[test]
    fn the_timeout_is_one_positive_duration() {
        assert_eq!(parse_timeout("30"), Ok(secs(30)));
        assert_eq!(parse_timeout("1500ms"), Ok(ms(1500)));
        assert!(
            parse_timeout("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(parse_timeout("1..8s").unwrap_err().contains("range"));
        assert!(parse_timeout("soon").is_err());
    }

    #[test]
    fn defaults_are_spins() {
        use clap::Parser;

        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            reuse: InstanceReuseArgs,
        }
        let cli = Cli::try_parse_from(["edgeway"]).unwrap();
        assert_eq!(cli.reuse.host_config(), InstanceReuse::default());
        let cli = Cli::try_parse_from([
            "edgeway",
            "--max-instance-reuse-count",
            "1..8",
            "--max-instance-concurrent-reuse-count",
            "4",
            "--idle-instance-timeout",
            "500ms",
        ])
        .unwrap();
        let expected = InstanceReuse {
            max_requests: Sampled::Between(1, 8),
            max_concurrent: Sampled::Fixed(4),
            idle_timeout: Sampled::Fixed(ms(500)),
        };
        assert_eq!(cli.reuse.host_config(), expected);
    }
}
