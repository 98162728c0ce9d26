#!/usr/bin/env bash
# Installs what is missing and runs every test: native unit and doc tests, then the HTTP tests
# that build the components and serve them with the real `edgeway` binary; then the HTTP suites
# that go through the test app again, against its split deployment (`edgeway up --split`, one
# component per group of routes), which must answer exactly as the single component does
# (`routes` is left out: it checks the `spin-*` headers of the single component's `/...` route,
# which a split deployment names after the group's route; tests/tests/split.rs checks those);
# then the same suites, with events and the split deployment, against the apps built for WASI 0.3
# (`edgeway up --wasi 0.3`, whose instances the local host reuses as Spin 4.1 does), and the
# tests of that reuse.
# The later runs name the workspace too, not just edgeway-tests: the same features, so the
# same test binaries, where `-p edgeway-tests` would rebuild its dependencies (~3 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cargo test --release --workspace
EDGEWAY_TEST_SPLIT=1 cargo test --release --workspace \
  --test errors --test cors --test auth --test rate_limit --test todos \
  --test polyglot --test limits_and_logs --test concurrency --test outbound
EDGEWAY_TEST_WASI=0.3 cargo test --release --workspace \
  --test errors --test cors --test auth --test rate_limit --test todos \
  --test polyglot --test limits_and_logs --test concurrency --test outbound \
  --test events --test split
EDGEWAY_TEST_WASI=0.3 cargo test --release --workspace --test reuse -- --ignored
