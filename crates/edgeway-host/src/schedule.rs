//! Scheduled requests: at each tick of a cron schedule the host sends itself one HTTP
//! request, through the same path as a request from a socket (reserved paths, route table,
//! Spin's headers, the component, the per-request timeout), and reads the whole response.
//!
//! Runs of one schedule never overlap: a tick that comes while the previous run is still
//! going is skipped and logged as missed. Every tick writes one JSON line on stderr, with
//! the tick's time: `{"time":"<RFC 3339, UTC>","schedule":"<name>","outcome":"fired",
//! "status":200,"duration_us":1234}` once the run is over (status and duration of the whole
//! response, body included), or `{"time":...,"schedule":...,"outcome":"missed"}`. The request
//! carries the tick's time in `edgeway-schedule-tick`, which the gateway claims the tick by
//! when several replicas fire it.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};
use http::{HeaderName, HeaderValue, Method, Request, header};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::dispatch::Dispatcher;

/// The header holding the tick's time (RFC 3339, milliseconds, UTC).
const TICK_HEADER: HeaderName = HeaderName::from_static("edgeway-schedule-tick");

/// One request the host sends itself on a cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The schedule's name, used in logs (e.g. `tick`).
    pub name: String,
    /// When: a cron expression with 6 fields (`sec min hour day-of-month month
    /// day-of-week`, e.g. `*/2 * * * * *`) or 5 (minute first, e.g. `*/5 * * * *`, taken as
    /// second 0), in UTC, as the `cron` crate reads it (day-of-week 1–7 is Sunday–Saturday,
    /// or use names such as `Mon-Fri`).
    pub cron: String,
    /// The request's method, e.g. `POST`.
    pub method: String,
    /// The request's path and query, e.g. `/_edgeway/schedules/tick`.
    pub path: String,
    /// The request's headers, e.g. `("authorization", "Bearer <secret>")`.
    pub headers: Vec<(String, String)>,
}

impl Schedule {
    /// A `POST` to `path` without headers at every tick of `cron`.
    pub fn post(name: impl Into<String>, cron: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            cron: cron.into(),
            method: "POST".to_owned(),
            path: path.into(),
            headers: Vec::new(),
        }
    }

    /// Checks every part, as [`Host::bind`](crate::Host::bind) does.
    pub(crate) fn check(&self) -> Result<(), String> {
        self.prepare().map(|_| ())
    }

    /// The parsed schedule and request parts.
    fn prepare(&self) -> Result<Prepared, String> {
        let name = &self.name;
        if name.is_empty() {
            return Err("has a schedule without a name".to_owned());
        }
        let cron = cron::Schedule::from_str(&normalise(&self.cron)).map_err(|e| {
            format!(
                "schedule {name:?}: {:?} is not a cron expression with 6 fields (seconds \
                 first) or 5 (minutes first): {e}",
                self.cron
            )
        })?;
        let method = Method::from_str(&self.method)
            .map_err(|e| format!("schedule {name:?}: invalid method {:?}: {e}", self.method))?;
        if !self.path.starts_with('/') || self.path.parse::<http::Uri>().is_err() {
            return Err(format!(
                "schedule {name:?}: the path {:?} must be a path starting with `/`",
                self.path
            ));
        }
        let mut headers = Vec::new();
        for (header, value) in &self.headers {
            let parsed = HeaderName::from_str(header)
                .ok()
                .zip(HeaderValue::from_str(value).ok());
            let parsed =
                parsed.ok_or_else(|| format!("schedule {name:?}: invalid header {header:?}"))?;
            headers.push(parsed);
        }
        Ok(Prepared {
            name: self.name.clone(),
            cron,
            method,
            path: self.path.clone(),
            headers,
        })
    }
}

/// A 5-field expression (minute first) gets second 0 in front; others are left as they are.
fn normalise(expression: &str) -> String {
    if expression.split_whitespace().count() == 5 {
        format!("0 {expression}")
    } else {
        expression.to_owned()
    }
}

/// A checked schedule, ready to fire.
struct Prepared {
    name: String,
    cron: cron::Schedule,
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// Fires `schedule` at its ticks until `stop`; then waits for the run in progress.
pub(crate) async fn run(
    schedule: Schedule,
    dispatcher: Arc<Dispatcher>,
    local_addr: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let prepared = match schedule.prepare() {
        Ok(prepared) => Arc::new(prepared),
        // Checked when the host was bound.
        Err(problem) => return eprintln!("Schedule not started: {problem}"),
    };
    let running = Arc::new(AtomicBool::new(false));
    let mut last_tick = Utc::now();
    let mut in_progress: Option<JoinHandle<()>> = None;
    while let Some(tick) = prepared.cron.after(&last_tick.max(Utc::now())).next() {
        let wait = (tick - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            () = tokio::time::sleep(wait) => {}
        }
        last_tick = tick;
        if running.swap(true, Ordering::AcqRel) {
            log(&prepared.name, tick, "missed", None);
            continue;
        }
        let (prepared, dispatcher, running) =
            (prepared.clone(), dispatcher.clone(), running.clone());
        in_progress = Some(tokio::spawn(async move {
            fire(&prepared, &dispatcher, local_addr, tick).await;
            running.store(false, Ordering::Release);
        }));
    }
    if let Some(run) = in_progress {
        let _ = run.await;
    }
}

/// Sends the request, reads the whole response and logs the tick.
async fn fire(
    schedule: &Prepared,
    dispatcher: &Dispatcher,
    local_addr: SocketAddr,
    tick: DateTime<Utc>,
) {
    let started = Instant::now();
    let mut request = Request::new(Empty::<Bytes>::new());
    *request.method_mut() = schedule.method.clone();
    // Checked when prepared.
    *request.uri_mut() = schedule.path.parse().unwrap_or_default();
    let headers = request.headers_mut();
    for (name, value) in &schedule.headers {
        headers.append(name.clone(), value.clone());
    }
    if let Ok(host) = HeaderValue::from_str(&local_addr.to_string()) {
        headers.insert(header::HOST, host);
    }
    // Replicas fire the same tick; the gateway claims it by this time so that one delivers.
    if let Ok(time) = HeaderValue::from_str(&tick.to_rfc3339_opts(SecondsFormat::Millis, true)) {
        headers.insert(TICK_HEADER, time);
    }
    let client_addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let response = dispatcher.handle(request, client_addr).await;
    let status = response.status();
    // The run ends when the component has written its whole body (or failed).
    let _ = response.into_body().collect().await;
    let duration = started.elapsed();
    log(
        &schedule.name,
        tick,
        "fired",
        Some((status.as_u16(), duration)),
    );
}

/// Writes one tick's JSON line on stderr.
fn log(
    schedule: &str,
    time: DateTime<Utc>,
    outcome: &str,
    fired: Option<(u16, std::time::Duration)>,
) {
    let mut line = serde_json::json!({
        "time": time.to_rfc3339_opts(SecondsFormat::Millis, true),
        "schedule": schedule,
        "outcome": outcome,
    });
    if let Some((status, duration)) = fired {
        line["status"] = status.into();
        line["duration_us"] = u64::try_from(duration.as_micros())
            .unwrap_or(u64::MAX)
            .into();
    }
    eprintln!("{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_fields_get_second_zero() {
        assert_eq!(normalise("*/5 * * * *"), "0 */5 * * * *");
        assert_eq!(normalise("*/2 * * * * *"), "*/2 * * * * *");
        let every_five_minutes = Schedule::post("t", "*/5 * * * *", "/").prepare().unwrap();
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:01:30Z")
            .unwrap()
            .to_utc();
        let ticks: Vec<String> = every_five_minutes
            .cron
            .after(&start)
            .take(2)
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            ticks,
            ["2026-01-01T00:05:00+00:00", "2026-01-01T00:10:00+00:00"]
        );
    }

    #[test]
    fn rejects_what_cannot_fire() {
        let with = |f: fn(&mut Schedule)| {
            let mut schedule = Schedule::post("tick", "* * * * * *", "/tick");
            f(&mut schedule);
            schedule.check().unwrap_err()
        };
        assert!(with(|s| s.cron = "every minute".into()).contains("not a cron expression"));
        assert!(with(|s| s.cron = "* * *".into()).contains("\"* * *\""));
        assert!(with(|s| s.name = String::new()).contains("without a name"));
        assert!(with(|s| s.method = "BAD METHOD".into()).contains("invalid method"));
        assert!(with(|s| s.path = "tick".into()).contains("starting with `/`"));
        assert!(
            with(|s| s.headers = vec![("bad name".into(), "x".into())]).contains("invalid header")
        );
        assert!(
            Schedule::post("tick", "* * * * * *", "/tick")
                .check()
                .is_ok()
        );
    }
}
