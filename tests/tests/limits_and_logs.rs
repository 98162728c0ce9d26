//! Body limits, request ids, trace context and the access log, as a caller and an operator
//! see them.
use std::time::{Duration, Instant};

use edgeway_tests::{Response, concurrently, exchange, get, request, test_app, tokens};

/// `GET target` with one header.
fn get_with(target: &str, name: &str, value: &str) -> Response {
    request(test_app().addr, "GET", target, &[(name, value)], b"")
}

fn post_small(body: &[u8]) -> Response {
    request(test_app().addr, "POST", "/small", &[], body)
}

/// `POST /small` with `content-length: <declared>` followed by `body`, written raw.
fn raw_post_small(declared: u64, body: &[u8], close_write: bool) -> Option<Response> {
    let addr = test_app().addr;
    let mut raw = format!(
        "POST /small HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {declared}\r\n\r\n"
    )
    .into_bytes();
    raw.extend_from_slice(body);
    exchange(addr, &raw, close_write, Duration::from_secs(60))
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A UUID version 7 (RFC 9562): 8-4-4-4-12 lowercase hex, version 7, variant 10.
fn assert_uuid_v7(id: &str) {
    let groups: Vec<&str> = id.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
    assert!(groups.iter().all(|g| is_lower_hex(g, g.len())), "{id}");
    assert!(groups[2].starts_with('7'), "version nibble: {id}");
    assert!(
        matches!(&groups[3][..1], "8" | "9" | "a" | "b"),
        "variant: {id}"
    );
}

/// Splits a `traceparent` into trace id and span id, checking its format.
fn trace_and_span(response: &Response) -> (String, String) {
    let value = response.header("traceparent").expect("a traceparent");
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    assert_eq!(parts[0], "00", "{value}");
    assert!(
        is_lower_hex(parts[1], 32) && parts[1] != "0".repeat(32),
        "{value}"
    );
    assert!(
        is_lower_hex(parts[2], 16) && parts[2] != "0".repeat(16),
        "{value}"
    );
    assert!(is_lower_hex(parts[3], 2), "{value}");
    (parts[1].to_owned(), parts[2].to_owned())
}

#[test]
fn small_takes_one_kib_and_refuses_one_byte_more() {
    let response = post_small(&[b'k'; 1024]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["body_length"], 1024);

    let problem = post_small(&[b'k'; 1025]).problem(413, "body-too-large");
    assert!(
        problem["detail"].as_str().unwrap().contains("1024 bytes"),
        "{problem}"
    );
}

#[test]
fn a_chunked_body_over_the_limit_is_413() {
    let addr = test_app().addr;
    let chunk = "x".repeat(600);
    let raw = format!(
        "POST /small HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n\
         258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n"
    );
    let response = exchange(addr, raw.as_bytes(), false, Duration::from_secs(60)).unwrap();
    response.problem(413, "body-too-large");
}

#[test]
fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let started = Instant::now();
    // The body never comes and the connection stays open: only an answer that does not wait
    // for it can arrive.
    let response = raw_post_small(10 * 1024 * 1024, b"", false).expect("an answer");
    response.problem(413, "body-too-large");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_body_shorter_than_its_content_length_is_refused_and_the_server_serves_on() {
    // The client stops after 10 of the 100 bytes it announced and closes its side.
    raw_post_small(100, &[b'x'; 10], true)
        .expect("an answer before the connection closes")
        .problem(400, "invalid-body");
    assert_eq!(get(test_app().addr, "/hello").status, 200);
}

#[test]
fn a_sane_request_id_is_kept_and_reaches_the_handler() {
    let id = "client-7:abc_DEF.9";
    let response = get_with("/echo/id", "x-request-id", id);
    assert_eq!(response.header("x-request-id"), Some(id));
    assert_eq!(response.json()["request_id"], id);
}

#[test]
fn an_unsafe_request_id_is_replaced_by_a_uuid_v7() {
    let long = "a".repeat(200);
    for bad in ["has spaces in it", long.as_str(), "semi;colon", "<script>"] {
        let response = get_with("/echo/id", "x-request-id", bad);
        let id = response.header("x-request-id").unwrap();
        assert_uuid_v7(id);
        assert_eq!(response.json()["request_id"], id);
    }
}

#[test]
fn every_answer_carries_a_fresh_request_id() {
    let addr = test_app().addr;
    let responses = [
        get(addr, "/hello"),
        get(addr, "/nowhere"),
        request(addr, "PUT", "/hello", &[], b""),
        get(addr, "/me"),
        post_small(&[0; 2000]),
        get(addr, "/fault/problem"),
    ];
    let mut ids: Vec<&str> = responses
        .iter()
        .map(|r| r.header("x-request-id").unwrap_or_else(|| panic!("{r:?}")))
        .collect();
    ids.iter().for_each(|id| assert_uuid_v7(id));
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), responses.len());
}

#[test]
fn a_valid_traceparent_continues_its_trace_in_a_new_span() {
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = format!("00-{trace}-00f067aa0ba902b7-01");
    let response = get_with("/hello", "traceparent", &parent);
    let (trace_id, span_id) = trace_and_span(&response);
    assert_eq!(trace_id, trace);
    assert_ne!(span_id, "00f067aa0ba902b7");
    assert!(response.header("traceparent").unwrap().ends_with("-01"));
}

#[test]
fn an_invalid_traceparent_starts_a_new_trace() {
    let addr = test_app().addr;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    for bad in [
        format!("01-{trace}-00f067aa0ba902b7-01"),
        format!("00-{}-00f067aa0ba902b7-01", trace.to_uppercase()),
        format!("00-{trace}-0000000000000000-01"),
        "garbage".to_owned(),
    ] {
        let response = get_with("/hello", "traceparent", &bad);
        let (trace_id, _) = trace_and_span(&response);
        assert_ne!(trace_id, trace, "{bad}");
    }
    // Without one, each request starts its own trace.
    let (first, _) = trace_and_span(&get(addr, "/hello"));
    let (second, _) = trace_and_span(&get(addr, "/hello"));
    assert_ne!(first, second);
}

#[test]
fn the_access_log_has_one_line_per_request_and_none_for_quiet_routes() {
    let addr = test_app().addr;
    let cases = [
        (
            "log-hello",
            "GET",
            "/hello?x=1",
            Some("/hello"),
            Some("greet"),
            200,
            0,
        ),
        (
            "log-echo",
            "POST",
            "/echo/a/b",
            Some("/echo/..."),
            Some("echo"),
            200,
            5,
        ),
        ("log-missing", "GET", "/nowhere", None, None, 404, 0),
        (
            "log-refused",
            "GET",
            "/keyed/a",
            Some("/keyed/..."),
            Some("echo"),
            401,
            0,
        ),
    ];
    let mut responses = Vec::new();
    for (id, method, target, ..) in cases {
        let body = if method == "POST" { &b"hello"[..] } else { b"" };
        responses.push(request(addr, method, target, &[("x-request-id", id)], body));
    }
    get_with("/quiet", "x-request-id", "log-quiet");

    let log = test_app().access_log();
    let lines = |id: &str| {
        log.iter()
            .filter(|r| r["request_id"] == id)
            .collect::<Vec<_>>()
    };
    assert!(lines("log-quiet").is_empty(), "{:?}", lines("log-quiet"));
    for ((id, method, target, route, handler, status, bytes), response) in
        cases.iter().zip(&responses)
    {
        let found = lines(id);
        assert_eq!(found.len(), 1, "{id}: {found:?}");
        let record = found[0];
        assert_eq!(record["method"], *method, "{id}");
        assert_eq!(record["path"], target.split('?').next().unwrap(), "{id}");
        assert_eq!(record["route"].as_str(), *route, "{id}");
        assert_eq!(record["handler"].as_str(), *handler, "{id}");
        assert_eq!(record["status"], *status, "{id}");
        assert_eq!(record["request_bytes"], *bytes, "{id}");
        assert_eq!(record["response_bytes"], response.body.len(), "{id}");
        assert!(record["duration_us"].is_u64(), "{id}");
        assert!(
            record["client_addr"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:"),
            "{id}"
        );
        let time = record["time"].as_str().unwrap();
        assert!(
            time.len() == 27 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
            "{time}"
        );
        assert_eq!(record.as_object().unwrap().len(), 11, "{id}: {record}");
    }
}

#[test]
fn no_secret_reaches_the_log() {
    let addr = test_app().addr;
    let api_key = "alice-key-0123456789abcdef";
    let cookie = format!("s3cr3t-{}", std::process::id());
    let token = tokens::hs256(tokens::claims().with_jwt_id(&cookie));
    let bearer = format!("Bearer {token}");
    let cookie_header = format!("session={cookie}");
    let headers = [
        ("authorization", bearer.as_str()),
        ("x-api-key", api_key),
        ("cookie", cookie_header.as_str()),
        ("x-request-id", "secrets-1"),
    ];
    for target in ["/me", "/keyed/a", "/nowhere", "/fault/problem"] {
        request(addr, "GET", target, &headers, b"");
    }
    get_with(
        &format!("/keyed/b?api_key={api_key}"),
        "x-request-id",
        "secrets-2",
    );

    let log = test_app().access_log();
    assert_eq!(
        log.iter()
            .filter(|r| r["request_id"] == "secrets-1")
            .count(),
        4
    );
    let stderr = test_app().settled_stderr();
    for secret in [api_key, token.as_str(), cookie.as_str()] {
        assert!(
            !stderr.contains(secret),
            "{secret} is in the log:\n{stderr}"
        );
    }
}

#[test]
fn concurrent_requests_each_get_one_whole_log_line() {
    let addr = test_app().addr;
    let statuses = concurrently(60, move |i| {
        let id = format!("concurrent-{i}");
        request(addr, "GET", "/hello", &[("x-request-id", &id)], b"").status
    });
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let log = test_app().access_log();
    for i in 0..60 {
        let id = format!("concurrent-{i}");
        let count = log
            .iter()
            .filter(|r| r["request_id"] == id.as_str())
            .count();
        assert_eq!(count, 1, "{id}: lines glued to others or missing");
    }
}
