#!/usr/bin/env bash
# The soak test: serves the test app (tests/app/spin.toml) on the local host and drives it
# for SECONDS_TO_RUN (default 600) on CONNECTIONS keep-alive connections (default 64) with a
# mix of routes that succeed and routes that fail on purpose (404, 405, 401, 413, 400, a
# handler's 422, a trapping handler's 500). Every response's status is checked against the
# route's; transport errors are counted (expected: none); the server's RSS is printed every
# 10 s. Exits non-zero on any mismatch or error, or if the RSS grows by more than 10% after
# the first minute. Arguments are passed to `edgeway up` (memory settings, say); without
# any, the pool gets room for 17 requests of the test app (23 memories each), fewer than
# the connections, so that the load fills it in the first seconds and the memory reaches
# the bound the pool sets (with Spin's 1,000 it keeps climbing towards that bound for
# minutes: docs/reliability.md). The server's log goes to target/soak/server.log. A
# 5-second run of the same code is part of the test suite (tests/tests/soak.rs).
#
#   scripts/soak.sh
#   SECONDS_TO_RUN=120 CONNECTIONS=128 scripts/soak.sh --max-instances 1000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
mkdir -p target/soak
cargo build --release --quiet -p edgeway-tests --bin soak -p edgeway
[ $# -gt 0 ] || set -- --max-instances 400
exec target/release/soak "${SECONDS_TO_RUN:-600}" "${CONNECTIONS:-64}" "$@" 2>target/soak/server.log
