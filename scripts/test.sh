#!/usr/bin/env bash
# Installs what is missing and runs every test: native unit and doc tests, then the HTTP tests
# that build the components and serve them with the real `edgeway` binary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cargo test --release --workspace
