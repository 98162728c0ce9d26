//! A `wasi:http@0.3` component (spin-sdk 7) that shows how the host reuses its instances.
//!
//! Every answer names the instance (a random id drawn when it starts) and how many requests
//! it has taken, e.g. `instance=3f0c… taken=2 in-flight=1`. `?tag=T` is printed on stderr
//! as `start T` and `end T`, around the work the path asks for:
//!
//! - `/sleep?ms=N`: waits N ms (WASI 0.3 `wait-for`: the instance may take other requests
//!   meanwhile);
//! - `/trap?ms=N`: waits N ms, then panics (a trap: the instance is dropped);
//! - `/loop`: never ends (the host's timeout stops it);
//! - `/headers`: answers with the request's URI and headers, one per line;
//! - `/fetch?url=U`: sends `GET U` (WASI 0.3 `wasi:http/client`) and answers with the
//!   status, or the error code;
//! - `/grow?mb=N`: allocates N MiB (past the host's memory limit: a trap);
//! - anything else: answers at once.
//!
//! Build: `cargo build --release --target wasm32-wasip2` in this folder.
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;
use spin_sdk::wasip3::clocks::monotonic_clock::wait_for;

static TAKEN: AtomicU32 = AtomicU32::new(0);
static IN_FLIGHT: AtomicU32 = AtomicU32::new(0);

/// This instance's id: random, drawn by the first request.
fn instance() -> u64 {
    static ID: OnceLock<u64> = OnceLock::new();
    *ID.get_or_init(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u8)
    })
}

/// The value of `name` in the query, if any.
fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// Answers with the instance's id and counts, after the work the path asks for.
#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    let taken = TAKEN.fetch_add(1, Ordering::SeqCst) + 1;
    let in_flight = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    let query = request.uri().query().unwrap_or("");
    let tag = param(query, "tag").unwrap_or("-").to_owned();
    let ms: u64 = param(query, "ms").and_then(|ms| ms.parse().ok()).unwrap_or(0);
    eprintln!("start {tag}");
    match request.uri().path() {
        "/headers" => {
            let mut lines = format!("{} {}\n", request.method(), request.uri());
            for (name, value) in request.headers() {
                lines += &format!("{name}: {}\n", String::from_utf8_lossy(value.as_bytes()));
            }
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            return lines;
        }
        "/fetch" => {
            let url = param(query, "url").unwrap_or("");
            let answer = match spin_sdk::http::get(url).await {
                Ok(response) => format!("fetched {url}: {}\n", response.status()),
                Err(code) => format!("fetching {url} failed: {code:?}\n"),
            };
            IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            return answer;
        }
        "/grow" => {
            let mb: usize = param(query, "mb").and_then(|mb| mb.parse().ok()).unwrap_or(1);
            std::hint::black_box(vec![1u8; mb << 20]);
        }
        "/sleep" => wait_for(ms * 1_000_000).await,
        "/trap" => {
            wait_for(ms * 1_000_000).await;
            panic!("trap on purpose ({tag})");
        }
        "/loop" => loop {
            std::hint::black_box(taken);
        },
        _ => {}
    }
    eprintln!("end {tag}");
    IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    format!(
        "instance={:016x} taken={taken} in-flight={in_flight}\n",
        instance()
    )
}
