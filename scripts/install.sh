#!/usr/bin/env bash
# Installs what building edgeway needs and is missing. Safe to run again: each step checks first.
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1; then
  echo "edgeway needs Rust (cargo and rustup, Rust 1.95 or newer)." >&2
  exit 1
fi

# Handlers and the gateway are WASI 0.2 components.
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
