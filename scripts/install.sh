#!/usr/bin/env bash
# Installs what building edgeway needs and is missing. Safe to run again: each step checks first.
# Only crates.io, PyPI, npm and Debian's packages are used, at pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "edgeway needs Rust (cargo and rustup, Rust 1.95 or newer)." >&2
  exit 1
fi

# Handlers and the gateway are WASI 0.2 components.
if ! rustup target list --installed | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi

# Python and JavaScript handlers are built with tools kept in the project, under .edgeway/tools.
TOOLS=.edgeway/tools
COMPONENTIZE_PY=0.25.1

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "edgeway needs $* (no apt-get here to install it)." >&2
    exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Installs the npm packages that folder $1's package.json and lock name into $TOOLS/$2, unless
# they are there and module code $3 loads with them. `npm ci` succeeds even when it failed to
# fetch an optional dependency, and platform binaries (wizer's, esbuild's) are optional
# dependencies, so the check decides, and a failed one means fetching again.
npm_install() {
  local from=$1 into="$TOOLS/$2" check=$3
  local installed="$into/node_modules/.edgeway-package-lock.json"
  if cmp -s "$from/package-lock.json" "$installed" &&
    (cd "$into" && node --input-type=module -e "$check" >/dev/null 2>&1); then
    return 0
  fi
  mkdir -p "$into"
  cp "$from/package.json" "$from/package-lock.json" "$into/"
  local try
  for try in 1 2 3; do
    if (cd "$into" && npm ci --no-audit --no-fund --loglevel=error &&
      node --input-type=module -e "$check" >/dev/null); then
      cp "$from/package-lock.json" "$installed"
      return 0
    fi
    echo "install.sh: the npm packages in $into are incomplete after try $try of 3" >&2
  done
  return 1
}

# componentize-py, in a virtual environment of its own.
if ! "$TOOLS/python/bin/componentize-py" --version 2>/dev/null | grep -qx "componentize-py $COMPONENTIZE_PY"; then
  command -v python3 >/dev/null 2>&1 || apt_install python3
  if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv
  fi
  rm -rf "$TOOLS/python"
  python3 -m venv "$TOOLS/python"
  "$TOOLS/python/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY"
fi

# componentize-js, the WASI shim it imports and esbuild (which bundles a handler's npm packages),
# exactly as crates/edgeway-sdk-js's lock says.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
npm_install crates/edgeway-sdk-js js \
  "await import('@bytecodealliance/componentize-js'); (await import('esbuild')).transformSync('')"

# Installs PyPI package $1 at version $2 in the tools' venv, unless that version is there.
venv_install() {
  if ! "$TOOLS/python/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; then
    "$TOOLS/python/bin/pip" install --quiet --disable-pip-version-check "$1==$2"
  fi
}

# The tests check the OpenAPI document with an independent validator, in the same venv.
venv_install openapi-spec-validator 0.9.0

# The conformance test (tests/tests/conformance.rs) and scripts/conformance.sh try the
# OpenAPI documents with an independent, OpenAPI-driven tester, in the same venv.
SCHEMATHESIS=4.32.5
if ! "$TOOLS/python/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS')" 2>/dev/null; then
  "$TOOLS/python/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS"
fi

# The tests of the local host's Redis trigger and Redis-backed key-value stores start a real
# redis-server (Debian's package).
if ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server
fi

# The tests open the gateway's docs page in Debian's Chromium, driven by playwright-core
# (tests/browser/package-lock.json; it downloads no browser of its own).
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
npm_install tests/browser browser "await import('playwright-core')"

# The replica tests put several local hosts behind a real round-robin load balancer: Debian's
# haproxy.
if ! command -v haproxy >/dev/null 2>&1; then
  apt_install haproxy
fi

# The tests check the Ingress, autoscalers and Secret `edgeway kube` writes against the
# Kubernetes API's published schemas (which this package ships), in the same venv.
venv_install kubernetes-validate 1.37.0
