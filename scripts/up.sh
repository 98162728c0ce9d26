#!/usr/bin/env bash
# Installs what is missing, builds the example app and serves it on http://127.0.0.1:3000
# (with Spin when `spin` is installed, else with edgeway's local host). Extra arguments go to
# `edgeway up`, e.g. `scripts/up.sh --listen 127.0.0.1:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec cargo run --release --quiet -p edgeway -- up "$@"
