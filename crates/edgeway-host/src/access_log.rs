//! The gateway's access-log lines, for people: [`render`] turns one JSON record into a short
//! line such as `GET /hello 200 1.2ms greet`, with the status coloured by its class.
//!
//! The host renders them rather than the gateway, because only the host knows where its
//! stderr goes (a terminal or a pipe), and the gateway's JSON stays the same on every host
//! (Spin, Fermyon Cloud and log collectors read it as it is).

use serde::Deserialize;

/// How the host writes the gateway's access-log lines (see [`HostConfig::log_format`]).
///
/// [`HostConfig::log_format`]: crate::HostConfig::log_format
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// As the gateway writes them: one JSON object per line, after the request's
    /// `[req <id>]` prefix, like every other line of guest output.
    #[default]
    Json,
    /// One short line per request ([`render`]); other guest output keeps its prefix.
    Human {
        /// Colour the status, method and duration with ANSI escapes (for a terminal).
        color: bool,
    },
}

/// The fields of an access-log record that a person reads at a glance.
#[derive(Deserialize)]
struct Record {
    request_id: String,
    method: String,
    path: String,
    handler: Option<String>,
    status: u16,
    duration_us: u64,
}

/// The access-log record `json_line` as a short line, `None` if the line is not one (other
/// guest output, or JSON without the record's fields).
///
/// ```
/// let line = r#"{"time":"2026-01-01T00:00:00.000000Z","request_id":"r1","method":"GET","path":"/hello","route":"/hello","handler":"greet","status":200,"duration_us":1234,"request_bytes":0,"response_bytes":27,"client_addr":"127.0.0.1:5000"}"#;
/// assert_eq!(
///     edgeway_host::render_access_log(line, false).as_deref(),
///     Some("GET /hello 200 1.2ms greet")
/// );
/// assert_eq!(edgeway_host::render_access_log("hello", false), None);
/// ```
pub fn render(json_line: &str, color: bool) -> Option<String> {
    let record: Record = serde_json::from_str(json_line.trim_end()).ok()?;
    // The gateway always sets an id; a record without one is some handler's own JSON.
    if record.request_id.is_empty() {
        return None;
    }
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut line = format!(
        "{} {} {} {}",
        paint("1", &record.method),
        record.path,
        paint(status_color(record.status), &record.status.to_string()),
        paint("2", &duration(record.duration_us)),
    );
    if let Some(handler) = record.handler {
        line.push(' ');
        line.push_str(&handler);
    }
    Some(line)
}

/// The ANSI colour of a status class: green, cyan, yellow, red.
fn status_color(status: u16) -> &'static str {
    match status {
        200..=299 => "32",
        300..=399 => "36",
        400..=499 => "33",
        _ => "31",
    }
}

/// A duration in microseconds, in the unit that keeps it short: `850µs`, `12.3ms`, `1.25s`.
fn duration(us: u64) -> String {
    match us {
        0..1_000 => format!("{us}µs"),
        1_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        _ => format!("{:.2}s", us as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, duration_us: u64, handler: &str) -> String {
        format!(
            r#"{{"time":"2026-01-01T00:00:00.000000Z","request_id":"r1","method":"POST","path":"/convert","route":"/convert","handler":{handler},"status":{status},"duration_us":{duration_us},"request_bytes":12,"response_bytes":30,"client_addr":"127.0.0.1:5000"}}"#
        )
    }

    #[test]
    fn renders_method_path_status_duration_and_handler() {
        let cases = [
            (200, 850, r#""convert""#, "POST /convert 200 850µs convert"),
            (
                422,
                12_345,
                r#""convert""#,
                "POST /convert 422 12.3ms convert",
            ),
            (
                504,
                1_250_000,
                r#""convert""#,
                "POST /convert 504 1.25s convert",
            ),
            (404, 40, "null", "POST /convert 404 40µs"),
        ];
        for (status, us, handler, expected) in cases {
            let line = record(status, us, handler);
            assert_eq!(render(&line, false).as_deref(), Some(expected), "{line}");
            assert_eq!(
                render(&format!("{line}\n"), false).as_deref(),
                Some(expected)
            );
        }
    }

    #[test]
    fn colours_the_status_by_class() {
        for (status, code) in [(201, "32"), (304, "36"), (401, "33"), (500, "31")] {
            let line = render(&record(status, 5, "null"), true).unwrap();
            assert!(
                line.contains(&format!("\x1b[{code}m{status}\x1b[0m")),
                "{line:?}"
            );
            assert!(line.starts_with("\x1b[1mPOST\x1b[0m /convert "), "{line:?}");
        }
    }

    #[test]
    fn other_output_is_not_a_record() {
        for line in [
            "",
            "starting",
            "{}",
            r#"{"request_id":"r1","method":"GET"}"#,
            r#"{"request_id":"","method":"GET","path":"/","handler":null,"status":200,"duration_us":1}"#,
            "[1, 2]",
        ] {
            assert_eq!(render(line, false), None, "{line}");
        }
    }
}
