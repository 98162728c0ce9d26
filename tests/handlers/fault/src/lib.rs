//! `fault` (test-only: routed by tests/app/spin.toml, not by the example app): fails on
//! purpose, so the gateway's and the host's answers to a failing handler can be seen and
//! tested. `GET /fault/<kind>`:
//!
//! | kind | what the handler does |
//! | --- | --- |
//! | `panic` | panics (a trap, with a message in the log) |
//! | `trap` | aborts: a bare `unreachable` trap, no message |
//! | `problem` | returns a 409 problem |
//! | `status` | returns status 1000 |
//! | `loop` | never returns |
//! | `memory` | allocates 1 MiB after 1 MiB, without end |
//! | `huge?mib=N` | returns a body of N MiB (default 48) |
//! | `header-name` | returns a header whose name has a space |
//! | `header-value` | returns a header value with a control character |
//! | `header-crlf` | returns a header value with a line break (response splitting) |
//! | `header-connection` | returns connection headers (`connection`, `transfer-encoding`) beside a plain one |
//! | `header-flood` | returns 100 headers of 1 KiB |
use edgeway_sdk::{Handler, Problem, Request, Response};

struct Fault;

impl Handler for Fault {
    fn handle(request: Request) -> Result<Response, Problem> {
        match request.param("kind") {
            Some("panic") => panic!("the fault handler was asked to panic"),
            Some("trap") => std::process::abort(),
            Some("problem") => Err(Problem::new(
                409,
                "Conflict on purpose",
                "the fault handler reports a problem",
            )),
            Some("loop") => loop {
                std::hint::black_box(());
            },
            Some("memory") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Some("status") => Ok(plain(1000, Vec::new())),
            Some("huge") => {
                let mib = query_number(&request.query, "mib").unwrap_or(48);
                Ok(plain(200, vec![b'x'; mib << 20]))
            }
            Some("header-name") => Ok(with_headers(vec![("bad name".into(), "x".into())])),
            Some("header-value") => Ok(with_headers(vec![("x-fault".into(), "a\u{1}b".into())])),
            Some("header-crlf") => Ok(with_headers(vec![(
                "x-fault".into(),
                "a\r\nset-cookie: stolen=1".into(),
            )])),
            Some("header-connection") => Ok(with_headers(vec![
                ("connection".into(), "close".into()),
                ("transfer-encoding".into(), "chunked".into()),
                ("x-fault".into(), "kept".into()),
            ])),
            Some("header-flood") => Ok(with_headers(
                (0..100)
                    .map(|i| (format!("x-fault-{i}"), "v".repeat(1024)))
                    .collect(),
            )),
            other => Err(Problem::new(
                404,
                "Unknown fault",
                format!("no fault named {other:?}; see tests/handlers/fault/src/lib.rs"),
            )),
        }
    }
}

/// A response with `body` as text.
fn plain(status: u16, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "text/plain".into())],
        body,
    }
}

/// A `200` with `headers` and a short body.
fn with_headers(headers: Vec<(String, String)>) -> Response {
    Response {
        status: 200,
        headers,
        body: b"fault".to_vec(),
    }
}

/// The query parameter `name` as a number.
fn query_number(query: &str, name: &str) -> Option<usize> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .and_then(|value| value.parse().ok())
}

edgeway_sdk::export!(Fault);
