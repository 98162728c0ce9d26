#!/usr/bin/env bash
# What a handler's outbound call costs through its grant adapter
# (components/adapters/outbound-http), against the same call made straight to the host.
#
#   scripts/outbound-bench.sh                 # ROUNDS=2, DURATION=5 (seconds per variant per round)
#   ROUNDS=3 DURATION=10 scripts/outbound-bench.sh
#
# One app, the gateway and the test handler `relay` on `GET /relay?url=U` (it fetches U and
# answers with it), composed twice from the same built components: by `edgeway build`, with
# the adapter between the handler and the host's wasi:http/outgoing-handler, and by
# crates/edgeway-compose/examples/compose_without_outbound_adapter.rs, without it. Both are
# served by `edgeway up`, a fresh instance per request, and driven alike with wrk (-t1 -c8),
# rounds interleaved; every request relays `GET /hello` from the outbound tests' upstream
# (tests/src/upstream.rs) on loopback. Prints relayed answers per second for each variant and
# round, then the time per request, adapter ÷ direct. Only loopback traffic.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh" outbound
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5}
PORT=${PORT:-3910}
cargo build --release --quiet -p edgeway-tests --bin upstream
cargo build --release --quiet -p edgeway-compose --example compose_without_outbound_adapter

# The app; `source` is where `edgeway build` writes it, or where the direct one is read from.
app() { # name
  cat >"$WORK/$1.toml" <<EOF
spin_manifest_version = 2
[application]
name = "$1"
[[trigger.http]]
route = "/..."
component = "gateway"
[component.gateway]
source = "out/$1.wasm"
allowed_outbound_hosts = ["http://127.0.0.1:*"]
[component.gateway.tool.edgeway.handlers]
relay = { path = "../../../tests/handlers/relay", allowed_outbound_hosts = ["http://127.0.0.1:*"] }
[component.gateway.tool.edgeway.routes]
"GET /relay" = "relay"
EOF
}
app adapter
app direct
# The components go to a target directory of their own, so the gateway and relay read below
# are the ones this build made, whatever else builds in the checkout meanwhile.
COMPONENTS=$PWD/$WORK/components
CARGO_TARGET_DIR=$COMPONENTS "$EDGEWAY" build --manifest "$WORK/adapter.toml" 2>&1 | tail -1
target/release/examples/compose_without_outbound_adapter \
  "$COMPONENTS/wasm32-wasip2/release/gateway.wasm" "$COMPONENTS/wasm32-wasip2/release/relay.wasm" \
  relay "$WORK/out/direct.wasm"

# Removed first, so the address read below cannot be an earlier run's.
rm -f "$WORK/upstream.addr"
target/release/upstream >"$WORK/upstream.addr" &
UPSTREAM=$!
trap 'stop; kill "$UPSTREAM"' EXIT
until [ -s "$WORK/upstream.addr" ]; do sleep 0.01; done
RELAY="/relay?url=http://$(cat "$WORK/upstream.addr")/hello"

declare -A RPS
for round in $(seq 1 "$ROUNDS"); do
  for variant in adapter direct; do
    start edgeway "$WORK/$variant.toml" "$RELAY" --reuse 1
    out=$(wrk -t1 -c8 -d"${DURATION}s" "http://127.0.0.1:$PORT$RELAY")
    stop
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    failed=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10}
                  END {print n + 0}' <<<"$out")
    # Only relayed answers count: a failed relay is cheaper and would flatter its variant. A
    # few in a thousand fail on a loaded machine, in either variant: edgeway-sdk's fetch answers
    # 502 (StreamError::Closed) when the upstream closes the connection before the request's
    # empty body is flushed. More than 1 in 100 is something else.
    if (( failed * 100 > requests )); then
      echo "$variant: $failed of $requests requests failed" >&2
      exit 1
    fi
    rps=$(awk -v answered=$((requests - failed)) -v requests="$requests" \
      '/Requests\/sec/ {print $2 * answered / requests}' <<<"$out")
    RPS[$variant]=$(awk "BEGIN {print ${RPS[$variant]:-0} + $rps / $ROUNDS}")
    echo "round $round: $variant: $rps relayed/s ($failed of $requests requests failed)"
  done
done
echo "relayed/s, mean of $ROUNDS rounds of ${DURATION}s: adapter ${RPS[adapter]}, direct ${RPS[direct]}"
awk "BEGIN {printf \"time per request, adapter / direct: %.3f\n\", ${RPS[direct]} / ${RPS[adapter]}}"
