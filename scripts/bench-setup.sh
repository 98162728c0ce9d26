# Sourced by the benchmark scripts: what every benchmark needs first. Sets EDGEWAY (the
# release binary) and WORK (this benchmark's own folder under target/bench, given as $1, so
# two benchmarks never share files), and defines `start` and `stop`, which serve what is
# measured on 127.0.0.1:$PORT.
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

# The server `start` started; `stop` ends it, and so does leaving the script.
SERVER=
stop() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; fi; }
trap stop EXIT

# Starts a server on 127.0.0.1:$PORT and waits for a 200 on its path (sending $KEY, if set,
# as `x-api-key`); sets STARTUP_MS, from start to first 200. Kinds: `native` (the hyper
# hello), `plain` (a wasi:http component on examples/serve), `edgeway` (`edgeway up
# --no-build` on a manifest).
start() { # kind, target, path, extra args...
  local kind=$1 target=$2 path=$3 started
  shift 3
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "port $PORT is in use; set PORT" >&2
    exit 1
  fi
  started=$(date +%s%N)
  case $kind in
    native) target/release/examples/native_hello "127.0.0.1:$PORT" >/dev/null 2>"$WORK/server.log" & ;;
    plain) target/release/examples/serve "$target" "127.0.0.1:$PORT" /... "$@" >/dev/null 2>"$WORK/server.log" & ;;
    edgeway) "$EDGEWAY" up --host local --no-build --listen "127.0.0.1:$PORT" --manifest "$target" \
               --key-value-dir "$WORK/kv" "$@" >/dev/null 2>"$WORK/server.log" & ;;
  esac
  SERVER=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: ${KEY:-}" "http://127.0.0.1:$PORT$path")" = 200 ]; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.01
  done
  STARTUP_MS=$(( ($(date +%s%N) - started) / 1000000 ))
}
