# Sourced by the benchmark scripts: what every benchmark needs first. Sets EDGEWAY (the
# release binary) and WORK (this benchmark's own folder under target/bench, given as $1, so
# two benchmarks never share files).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# With RUST_BACKTRACE set, wasmtime captures a backtrace each time an instance is cleaned
# up, which costs ~15% of throughput and would make results depend on the caller's shell.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
bash scripts/install.sh
if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet -p edgeway
EDGEWAY=$PWD/target/release/edgeway
WORK=target/bench/$1
mkdir -p "$WORK"
