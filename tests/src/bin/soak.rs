//! The soak test: serves the test app (tests/app/spin.toml) on the local host and drives it
//! with `edgeway_tests::soak` for a while, then prints what it saw, with the server's RSS
//! every 10 s. Exits with 1 if any response had an unexpected status, a transport error
//! happened, the server stopped answering, or its RSS grew by more than 10% after the
//! first minute. `scripts/soak.sh` runs it; by hand:
//!
//! ```sh
//! cargo run --release -p edgeway-tests --bin soak -- [seconds=600] [connections=64] [edgeway up flags…]
//! ```
use std::time::Duration;

use edgeway_tests::{get, soak, start_test_app};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut number = |default: u64, what: &str| {
        args.next().map_or(default, |a| {
            a.parse().unwrap_or_else(|_| panic!("{what}: a number"))
        })
    };
    let seconds = number(600, "seconds");
    let connections = number(64, "connections") as usize;
    let server_args: Vec<String> = args.collect();
    let server_args: Vec<&str> = server_args.iter().map(String::as_str).collect();
    let server = start_test_app(&server_args);
    println!(
        "soak: {seconds} s, {connections} connections, against http://{} (pid {}) {}",
        server.addr,
        server.pid(),
        server_args.join(" ")
    );
    let report = soak::run(
        server.addr,
        Some(server.pid()),
        Duration::from_secs(seconds),
        connections,
    );
    print!("{report}");
    let health = get(server.addr, "/.well-known/spin/health").status;
    println!("health after the run: {health}");
    if !report.clean() || !report.memory_steady() || health != 200 {
        std::process::exit(1);
    }
}
