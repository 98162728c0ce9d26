#!/usr/bin/env bash
# Measures what Python and JavaScript handlers cost the Rust routes beside them, on the local
# host: requests/s of `GET /hello` (Rust) in the example app with only its Rust handlers and
# with greet-py and hello-js composed in, with a fresh instance per request and with
# `--reuse 100`; and the cold start (host start to first 200) with a cold and a warm compile
# cache. One run, variants interleaved, ratios to the first row of each table. Only loopback
# traffic.
#
#   scripts/bench.sh            # 10 s per throughput row
#   DURATION=30 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
DURATION=${DURATION:-10}
PORT=${PORT:-3900}
cargo build --release --quiet -p edgeway
EDGEWAY=$PWD/target/release/edgeway
WORK=target/bench
mkdir -p "$WORK"

# The two apps, from spin.toml: handler paths made relative to $WORK.
manifest() { # name, keep Python and JavaScript handlers (yes/no)
  local file="$WORK/$1.toml"
  sed -e 's|path = "components/|path = "../../components/|' \
      -e "s|^source = \".*\"|source = \"out/$1.wasm\"|" \
      -e "s|^name = \".*\"|name = \"$1\"|" spin.toml >"$file"
  if [ "$2" = no ]; then
    sed -i -e '/greet-py/d' -e '/hello-js/d' "$file"
  fi
  echo "$file"
}
RUST=$(manifest rust-only no)
POLY=$(manifest with-python-and-js yes)
for m in "$RUST" "$POLY"; do "$EDGEWAY" build --manifest "$m" 2>&1 | tail -1; done

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is in use; set PORT" >&2
  exit 1
fi
SERVER=
stop() { if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; fi; }
trap stop EXIT

# Starts the host for manifest $1 with extra arguments; sets STARTUP_MS, from start to first 200.
start() {
  local manifest=$1; shift
  local started
  started=$(date +%s%N)
  "$EDGEWAY" up --host local --no-build --listen "127.0.0.1:$PORT" --manifest "$manifest" \
    --key-value-dir "$WORK/kv" "$@" >/dev/null 2>"$WORK/server.log" &
  SERVER=$!
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/hello")" = 200 ]; do
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.01
  done
  STARTUP_MS=$(( ($(date +%s%N) - started) / 1000000 ))
}

rows=()
throughput() { # label, manifest, reuse
  start "$2" --reuse "$3"
  local rps
  rps=$(wrk -t1 -c8 -d"${DURATION}s" "http://127.0.0.1:$PORT/hello" | awk '/Requests\/sec/ {print $2}')
  stop
  rows+=("$1|$rps")
}
cold_start() { # label, manifest, cold|warm
  if [ "$3" = cold ]; then rm -rf "$WORK/target/edgeway/cache"; fi
  start "$2"
  stop
  rows+=("$1|$STARTUP_MS")
}

throughput "Rust handlers only, fresh instance per request" "$RUST" 1
throughput "+ greet-py and hello-js, fresh instance per request" "$POLY" 1
throughput "Rust handlers only, --reuse 100" "$RUST" 100
throughput "+ greet-py and hello-js, --reuse 100" "$POLY" 100
# Both apps share one compile cache: each cold row empties it, so its warm row follows it.
cold_start "Rust handlers only, cold compile cache" "$RUST" cold
cold_start "Rust handlers only, warm compile cache" "$RUST" warm
cold_start "+ greet-py and hello-js, cold compile cache" "$POLY" cold
cold_start "+ greet-py and hello-js, warm compile cache" "$POLY" warm

table() { # title, unit, printf format of a value, rows...
  local title=$1 unit=$2 format=$3 first= row label value
  shift 3
  echo
  echo "| $title | $unit | ratio |"
  echo "| --- | ---: | ---: |"
  for row in "$@"; do
    label=${row%|*}; value=${row#*|}; first=${first:-$value}
    printf "| %s | $format | %.2f |\n" "$label" "$value" "$(awk "BEGIN {print $value / $first}")"
  done
}
table "GET /hello (Rust) on the local host" requests/s %.0f "${rows[@]:0:4}"
table "Cold start: host start to first 200" ms %d "${rows[@]:4}"
