#!/usr/bin/env bash
# Installs what is missing, builds the example app and serves it on http://127.0.0.1:3000
# (with Spin when `spin` is installed, else with edgeway's local host). Extra arguments go to
# `edgeway up`, e.g. `scripts/up.sh --listen 127.0.0.1:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Cargo shows its own progress (a bar on a terminal, a line per crate otherwise).
echo "Building the edgeway command: the first build compiles its local host (wasmtime), about"
echo "20 minutes on 2 cores; later builds take seconds."
cargo build --release -p edgeway
exec target/release/edgeway up "$@"
