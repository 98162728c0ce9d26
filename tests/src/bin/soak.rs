//! The soak test: serves the test app (tests/app/spin.toml) on the local host and drives it
//! with `edgeway_tests::soak` for a while, then prints what it saw. Exits with 1 if any
//! response had an unexpected status, a transport error happened, or the server stopped
//! answering. `scripts/soak.sh` runs it; by hand:
//!
//! ```sh
//! cargo run --release -p edgeway-tests --bin soak -- [seconds=60] [connections=64]
//! ```
use std::time::Duration;

use edgeway_tests::{Server, get, repo_root, soak, tokens};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let seconds = args.next().unwrap_or(Ok(60)).expect("seconds: a number");
    let connections = args
        .next()
        .unwrap_or(Ok(64))
        .expect("connections: a number") as usize;
    let server = Server::start(
        &repo_root().join("tests/app/spin.toml"),
        &[],
        &tokens::variables(),
    );
    println!(
        "soak: {seconds} s, {connections} connections, against http://{} (pid {})",
        server.addr,
        server.pid()
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
    if !report.clean() || health != 200 {
        std::process::exit(1);
    }
}
