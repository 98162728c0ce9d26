//! A small load client for soak tests: keep-alive connections, each cycling through a mix of
//! routes (answers that succeed and answers that fail on purpose), checking the status of
//! every response and counting transport errors, while the server's memory is sampled.
//! `scripts/soak.sh` runs it for a minute; `tests/tests/soak.rs` for a few seconds.
use std::fmt;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::http::read_response;

/// One request of the mix and the status it must get.
#[derive(Debug, Clone)]
pub struct Call {
    /// What the call shows, for the report.
    pub name: &'static str,
    pub method: &'static str,
    pub target: &'static str,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Vec<u8>,
    pub expect: u16,
}

/// The routes of the test app (tests/app/spin.toml) the soak test cycles through.
pub fn mix() -> Vec<Call> {
    let call = |name, method, target, body: &[u8], expect| Call {
        name,
        method,
        target,
        headers: Vec::new(),
        body: body.to_vec(),
        expect,
    };
    let celsius = br#"{"value": 100, "from": "celsius", "to": "kelvin"}"#;
    let parsec = br#"{"value": 1, "from": "parsec", "to": "meter"}"#;
    let mut keyed = call("api key", "GET", "/keyed/a", b"", 200);
    keyed
        .headers
        .push(("x-api-key", "alice-key-0123456789abcdef"));
    vec![
        call("hello", "GET", "/hello", b"", 200),
        call("hello name", "GET", "/hello/soak", b"", 200),
        call("convert", "POST", "/convert", celsius, 200),
        call("echo 1 KiB", "POST", "/echo/soak", &[b'e'; 1024], 200),
        keyed,
        call("health", "GET", "/.well-known/spin/health", b"", 200),
        call("handler problem", "POST", "/convert", parsec, 422),
        call("no route", "GET", "/nowhere", b"", 404),
        call("wrong method", "POST", "/hello", b"{}", 405),
        call("no api key", "GET", "/keyed/a", b"", 401),
        call("body too large", "POST", "/small", &[b's'; 2048], 413),
        call("dot segment", "GET", "/echo/../keyed/a", b"", 400),
        call("trap", "GET", "/fault/trap", b"", 500),
    ]
}

/// Resident memory of the process `pid` in KiB (`VmRSS` of /proc/<pid>/status).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What a soak run saw.
#[derive(Debug, Default)]
pub struct Report {
    pub elapsed: Duration,
    pub connections: usize,
    /// Responses per call of the mix, in mix order.
    pub per_call: Vec<(&'static str, u16, u64)>,
    /// Responses whose status was not the expected one.
    pub mismatches: u64,
    /// Connections that failed, or closed or broke without an answer.
    pub transport_errors: u64,
    /// The first few mismatches and errors, for the report.
    pub samples: Vec<String>,
    /// Latency percentiles (50, 99, max) over all responses.
    pub latency: [Duration; 3],
    /// The server's RSS in KiB: before the run, once a fifth of it has passed (the pool of
    /// instance slots is warm by then), at most during it, and a second after it.
    pub rss_kib: Option<[u64; 4]>,
    /// The server's RSS in KiB every [`SERIES_INTERVAL`] of the run, from its start.
    pub rss_series: Vec<(Duration, u64)>,
}

/// How often [`Report::rss_series`] samples the server's RSS.
pub const SERIES_INTERVAL: Duration = Duration::from_secs(10);

/// How long the host takes to reach its working set: the first minute, after which a
/// steady server's RSS stays within [`STEADY_GROWTH`] of where it was.
pub const WARM_UP: Duration = Duration::from_secs(60);

/// How much a steady server's RSS may grow after [`WARM_UP`]: 10%.
pub const STEADY_GROWTH: f64 = 0.10;

impl Report {
    /// All responses.
    pub fn requests(&self) -> u64 {
        self.per_call.iter().map(|c| c.2).sum()
    }

    /// No mismatch and no transport error.
    pub fn clean(&self) -> bool {
        self.mismatches == 0 && self.transport_errors == 0
    }

    /// The RSS at the end of [`WARM_UP`] and the highest after it, in KiB; `None` for a run
    /// that does not last past the warm-up.
    pub fn rss_after_warm_up(&self) -> Option<(u64, u64)> {
        let mut after = self.rss_series.iter().filter(|(at, _)| *at >= WARM_UP);
        let (_, first) = after.next()?;
        let highest = after.map(|(_, rss)| *rss).max()?;
        Some((*first, highest.max(*first)))
    }

    /// Whether the RSS stayed within [`STEADY_GROWTH`] after [`WARM_UP`] (true for a run
    /// too short to tell).
    pub fn memory_steady(&self) -> bool {
        self.rss_after_warm_up()
            .is_none_or(|(first, highest)| highest as f64 <= first as f64 * (1.0 + STEADY_GROWTH))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        writeln!(
            f,
            "{} requests in {secs:.1} s on {} connections: {:.0} requests/s",
            self.requests(),
            self.connections,
            self.requests() as f64 / secs
        )?;
        for (name, expect, count) in &self.per_call {
            writeln!(f, "  {count:>8}  {expect}  {name}")?;
        }
        let [p50, p99, max] = self.latency;
        writeln!(f, "latency: p50 {p50:?}, p99 {p99:?}, max {max:?}")?;
        writeln!(f, "status mismatches: {}", self.mismatches)?;
        writeln!(f, "transport errors: {}", self.transport_errors)?;
        if let Some([start, warm, peak, end]) = self.rss_kib {
            writeln!(
                f,
                "server RSS: start {start} KiB, after a fifth of the run {warm} KiB, \
                 peak {peak} KiB, end {end} KiB"
            )?;
        }
        if !self.rss_series.is_empty() {
            writeln!(f, "server RSS every {}s (MiB):", SERIES_INTERVAL.as_secs())?;
            for (at, rss) in &self.rss_series {
                writeln!(f, "  {:>5} s  {:>6}", at.as_secs(), rss / 1024)?;
            }
        }
        if let Some((first, highest)) = self.rss_after_warm_up() {
            writeln!(
                f,
                "after the first minute: {} MiB, at most {} MiB later ({:+.1}%, limit +{:.0}%)",
                first / 1024,
                highest / 1024,
                (highest as f64 / first as f64 - 1.0) * 100.0,
                STEADY_GROWTH * 100.0
            )?;
        }
        for sample in &self.samples {
            writeln!(f, "  ! {sample}")?;
        }
        Ok(())
    }
}

/// What one connection's thread counted.
#[derive(Default)]
struct Tally {
    counts: Vec<u64>,
    mismatches: u64,
    errors: u64,
    samples: Vec<String>,
    latencies: Vec<Duration>,
}

impl Tally {
    fn note(&mut self, what: String) {
        if self.samples.len() < 5 {
            self.samples.push(what);
        }
    }
}

/// Runs the mix against `addr` on `connections` connections for `duration`, sampling the
/// RSS of `server_pid` if given.
pub fn run(
    addr: SocketAddr,
    server_pid: Option<u32>,
    duration: Duration,
    connections: usize,
) -> Report {
    let mix = Arc::new(mix());
    let start_rss = server_pid.and_then(rss_kib);
    let running = Arc::new(AtomicBool::new(true));
    let sampler = server_pid.map(|pid| {
        let running = running.clone();
        let started = Instant::now();
        let warm_at = started + duration / 5;
        std::thread::spawn(move || {
            let (mut warm, mut peak, mut series) = (None, 0, Vec::new());
            while running.load(Ordering::Relaxed) {
                let rss = rss_kib(pid).unwrap_or(0);
                peak = peak.max(rss);
                if warm.is_none() && Instant::now() >= warm_at {
                    warm = Some(rss);
                }
                let at = started.elapsed();
                if at >= SERIES_INTERVAL * series.len() as u32 {
                    series.push((at, rss));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            (warm.unwrap_or(peak), peak, series)
        })
    });
    let started = Instant::now();
    let deadline = started + duration;
    let threads: Vec<_> = (0..connections)
        .map(|offset| {
            let mix = mix.clone();
            std::thread::spawn(move || connection(addr, &mix, offset, deadline))
        })
        .collect();
    let tallies: Vec<Tally> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let elapsed = started.elapsed();
    running.store(false, Ordering::Relaxed);
    let sampled = sampler.map(|s| s.join().unwrap());
    std::thread::sleep(Duration::from_secs(1));
    let end_rss = server_pid.and_then(rss_kib);
    let mut report = merge(&mix, tallies);
    report.elapsed = elapsed;
    report.connections = connections;
    report.rss_kib = match (start_rss, &sampled, end_rss) {
        (Some(start), Some((warm, peak, _)), Some(end)) => {
            Some([start, *warm, (*peak).max(start).max(end), end])
        }
        _ => None,
    };
    report.rss_series = sampled.map(|(_, _, series)| series).unwrap_or_default();
    report
}

fn merge(mix: &[Call], tallies: Vec<Tally>) -> Report {
    let mut report = Report {
        per_call: mix.iter().map(|c| (c.name, c.expect, 0)).collect(),
        ..Report::default()
    };
    let mut latencies = Vec::new();
    for tally in tallies {
        for (slot, count) in report.per_call.iter_mut().zip(tally.counts) {
            slot.2 += count;
        }
        report.mismatches += tally.mismatches;
        report.transport_errors += tally.errors;
        report.samples.extend(tally.samples);
        latencies.extend(tally.latencies);
    }
    report.samples.truncate(10);
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    report.latency = [at(0.5), at(0.99), at(1.0)];
    report
}

/// One keep-alive connection cycling through the mix from `offset` until `deadline`;
/// reconnects when the server closes it after an answer.
fn connection(addr: SocketAddr, mix: &[Call], offset: usize, deadline: Instant) -> Tally {
    let mut tally = Tally {
        counts: vec![0; mix.len()],
        ..Tally::default()
    };
    let mut open: Option<(TcpStream, Vec<u8>)> = None;
    let mut next = offset;
    while Instant::now() < deadline {
        let index = next % mix.len();
        next += 1;
        let call = &mix[index];
        if open.is_none() {
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    stream
                        .set_read_timeout(Some(Duration::from_secs(60)))
                        .unwrap();
                    open = Some((stream, Vec::new()));
                }
                Err(error) => {
                    tally.errors += 1;
                    tally.note(format!("connect: {error}"));
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            }
        }
        let (stream, pending) = open.as_mut().unwrap();
        let sent = Instant::now();
        let answer = stream
            .write_all(&wire(call))
            .and_then(|()| read_response(stream, pending, call.method == "HEAD"));
        match answer {
            Ok(Some(response)) => {
                tally.latencies.push(sent.elapsed());
                tally.counts[index] += 1;
                if response.status != call.expect {
                    tally.mismatches += 1;
                    tally.note(format!(
                        "{} {}: expected {}, got {}: {}",
                        call.method,
                        call.target,
                        call.expect,
                        response.status,
                        response.text()
                    ));
                }
                if response.header("connection") == Some("close") || closes(call) {
                    open = None;
                }
            }
            Ok(None) | Err(_) => {
                let error = answer
                    .err()
                    .map_or("closed without answering".into(), |e| e.to_string());
                tally.errors += 1;
                tally.note(format!("{} {}: {error}", call.method, call.target));
                open = None;
            }
        }
    }
    tally
}

/// A request the server answers without reading its body: sent as the last request of its
/// connection, since the unread body would otherwise be read as the next request.
fn closes(call: &Call) -> bool {
    call.expect == 413
}

/// The request as bytes on the wire.
fn wire(call: &Call) -> Vec<u8> {
    let mut head = format!("{} {} HTTP/1.1\r\nhost: soak\r\n", call.method, call.target);
    for (name, value) in &call.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !call.body.is_empty() {
        head.push_str(&format!("content-length: {}\r\n", call.body.len()));
    }
    if closes(call) {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&call.body);
    bytes
}
