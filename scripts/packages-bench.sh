#!/usr/bin/env bash
# The packaged Python and JavaScript examples (dates-py: python-dateutil; email-js: validator)
# beside the plain ones (greet-py, hello-js). For each, an app of the gateway, that handler
# and the Rust `greet` (whose crate is how the build finds the components' workspace), under
# target/packages-bench/<handler>/, and:
#   - the handler's component size and its build time from cold (no stamp, no installed
#     packages: pip or npm ci, then componentize-py or esbuild and componentize-js), then again
#     with its packages already installed (only the stamp removed);
#   - its cold compile: `edgeway up --no-build` from start to the first 200 with an empty
#     compile cache (Cranelift compiles the composed component), then with the cache warm.
#
#   scripts/packages-bench.sh
#
# Needs what scripts/install.sh installs, and PyPI and npm for the packages. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p edgeway
EDGEWAY=$PWD/target/release/edgeway
WORK=target/packages-bench
rm -rf "$WORK"
PORT=39170

# Milliseconds from starting `edgeway up --no-build` on $1 to the first 200 from $2.
first_answer_ms() {
  local started now server
  started=$(date +%s%N)
  "$EDGEWAY" up --no-build --host local --manifest "$1" --listen "127.0.0.1:$PORT" \
    >"$WORK/up.log" 2>&1 &
  server=$!
  for _ in $(seq 1 1200); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "127.0.0.1:$PORT$2")" = 200 ]; then
      now=$(date +%s%N)
      kill "$server"; wait "$server" 2>/dev/null || true
      echo $(( (now - started) / 1000000 ))
      return
    fi
    sleep 0.05
  done
  kill "$server"; wait "$server" 2>/dev/null || true
  echo "no 200 from $2 within a minute; see $WORK/up.log" >&2
  exit 1
}

# The handler's line from `edgeway build`: `<name> (<language>): <size> MiB in <time>s`.
built() {
  "$EDGEWAY" build --manifest "$1" 2>&1 | sed -n "s/^ *$2 ([a-z]*): //p"
}

echo "| handler | packages | component, cold build | build with packages installed | cold compile, ms | warm cache, ms |"
echo "| --- | --- | --- | --- | ---: | ---: |"
for spec in "greet-py|GET /py/hello|/py/hello|none" \
            "hello-js|GET /js/hello|/js/hello|none" \
            "dates-py|GET /py/date/:text|/py/date/2027-03-03|python-dateutil, tzdata" \
            "email-js|GET /js/email/:address|/js/email/ada@example.com|validator"; do
  IFS='|' read -r name route path packages <<<"$spec"
  dir=$WORK/$name
  mkdir -p "$dir"
  cat >"$dir/spin.toml" <<EOF
spin_manifest_version = 2
[application]
name = "packages-bench-$name"
[[trigger.http]]
route = "/..."
component = "gateway"
[component.gateway]
source = "app.wasm"
[component.gateway.tool.edgeway.handlers]
greet = { path = "../../../components/examples/greet" }
$name = { path = "../../../components/examples/$name" }
[component.gateway.tool.edgeway.routes]
"GET /hello" = "greet"
"$route" = "$name"
EOF
  cold=$(built "$dir/spin.toml" "$name")
  rm "$dir/handlers/$name.stamp"
  warm=$(built "$dir/spin.toml" "$name")
  compile_cold=$(first_answer_ms "$dir/spin.toml" "$path")
  compile_warm=$(first_answer_ms "$dir/spin.toml" "$path")
  echo "| $name | $packages | $cold | $warm | $compile_cold | $compile_warm |"
done
