//! One JSON line per request. It carries no header, no query and no body, so no secret
//! (Authorization, cookies, API keys in a query) can reach it.
use serde::Serialize;

/// What the access log records about one request.
#[derive(Debug, Clone, Serialize)]
pub struct AccessLog<'a> {
    /// RFC 3339 time the request arrived, UTC.
    pub time: String,
    /// The request id returned to the caller.
    pub request_id: &'a str,
    /// The method.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The matched route pattern, if any.
    pub route: Option<&'a str>,
    /// The handler called, if any.
    pub handler: Option<&'a str>,
    /// The response status.
    pub status: u16,
    /// Time in the gateway, in microseconds.
    pub duration_us: u64,
    /// Request body bytes read.
    pub request_bytes: u64,
    /// Response body bytes.
    pub response_bytes: u64,
    /// The client's address, as the host reports it.
    pub client_addr: &'a str,
}

impl AccessLog<'_> {
    /// The record as one line of JSON (no newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("an access log record always serializes")
    }
}

/// Formats Unix time (seconds and nanoseconds) as RFC 3339 UTC with microseconds.
pub fn rfc3339(seconds: u64, nanos: u32) -> String {
    let days = seconds / 86_400;
    let secs_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
        nanos / 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(951_782_400, 5_000), "2000-02-29T00:00:00.000005Z");
        assert_eq!(
            rfc3339(1_795_764_896, 123_456_789),
            "2026-11-27T07:34:56.123456Z"
        );
    }

    #[test]
    fn a_line_has_every_field_and_nothing_else() {
        let line = AccessLog {
            time: rfc3339(0, 0),
            request_id: "r1",
            method: "GET",
            path: "/hello",
            route: Some("/hello"),
            handler: Some("greet"),
            status: 200,
            duration_us: 42,
            request_bytes: 0,
            response_bytes: 27,
            client_addr: "127.0.0.1:5000",
        }
        .to_line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 11, "{keys:?}");
        assert_eq!(value["status"], 200);
        assert!(!line.contains('\n'));
    }
}
