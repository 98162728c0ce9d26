//! A load of todos: clients that create and read todos (the example `todos` handler) as fast
//! as they can for a while, and what each request got, to tell which ones failed and which
//! todos were acknowledged.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::{concurrently, get, request};

/// What one request got.
pub struct Outcome {
    /// When its answer (or its failure) came, from the start of the run.
    pub at: Duration,
    /// Its status; `None` when no answer came.
    pub status: Option<u16>,
    /// The todo it created (id, title), when it was acknowledged with a `201`.
    pub todo: Option<(u64, String)>,
}

/// `connections` clients sending requests to `addr` until `run` has passed since `started`:
/// every fourth creates a todo, the others read one. Returns every request's outcome.
pub fn run(addr: SocketAddr, connections: usize, run: Duration, started: Instant) -> Vec<Outcome> {
    let per_client = concurrently(connections, move |client| {
        let mut outcomes = Vec::new();
        let mut n = 0;
        while started.elapsed() < run {
            n += 1;
            let title = format!("load {client}-{n}");
            let creates = n % 4 == 1;
            let sent = std::panic::catch_unwind(|| {
                if creates {
                    let body = serde_json::json!({ "title": title }).to_string();
                    let json = ("content-type", "application/json");
                    request(addr, "POST", "/todos", &[json], body.as_bytes())
                } else {
                    get(addr, "/todos/1")
                }
            });
            let at = started.elapsed();
            outcomes.push(match sent {
                Ok(response) => Outcome {
                    at,
                    status: Some(response.status),
                    todo: (creates && response.status == 201)
                        .then(|| (response.json()["id"].as_u64().unwrap(), title)),
                },
                Err(_) => Outcome {
                    at,
                    status: None,
                    todo: None,
                },
            });
        }
        outcomes
    });
    per_client.into_iter().flatten().collect()
}
