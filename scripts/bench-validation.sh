#!/usr/bin/env bash
# Measures what request validation costs: requests/s of `POST /checked` (the echo handler
# behind a body and a query schema) against `POST /plain` (the same handler, no schema), in
# one app on the local host with a fresh instance per request. One run, rounds interleaved,
# ratio checked/plain. Only loopback traffic.
#
#   scripts/bench-validation.sh            # 3 rounds of 10 s per route
#   ROUNDS=5 DURATION=5 scripts/bench-validation.sh
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh" validation
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-3901}

cat >"$WORK/validation.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "bench-validation"
[component.gateway]
source = "out/bench-validation.wasm"
[component.gateway.tool.edgeway.handlers]
echo = { path = "../../../components/examples/echo" }
[component.gateway.tool.edgeway.routes]
"POST /plain" = "echo"
[component.gateway.tool.edgeway.routes."POST /checked"]
handler = "echo"
body_schema = { type = "object", required = ["name", "size"], additionalProperties = false, properties = { name = { type = "string", pattern = "^[a-z]+$" }, size = { enum = ["small", "large"] }, count = { type = "integer", minimum = 1, maximum = 10 }, tags = { type = "array", items = { type = "string", minLength = 2 } } } }
query_schema = { type = "object", additionalProperties = false, required = ["mode"], properties = { mode = { enum = ["fast", "slow"] }, limit = { type = "integer", minimum = 1 } } }
TOML
cat >"$WORK/validation.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"name": "tea", "size": "small", "count": 2, "tags": ["hot", "green"]}'
wrk.headers["content-type"] = "application/json"
LUA
"$EDGEWAY" build --manifest "$WORK/validation.toml" 2>&1 | tail -1

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "port $PORT is in use; set PORT" >&2
  exit 1
fi
"$EDGEWAY" up --host local --no-build --listen "127.0.0.1:$PORT" --manifest "$WORK/validation.toml" \
  --key-value-dir "$WORK/kv" >/dev/null 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' -d '{}' "http://127.0.0.1:$PORT/plain")" = 200 ]; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.05
done
check=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"name": "tea", "size": "small"}' "http://127.0.0.1:$PORT/checked?mode=fast")
[ "$check" = 200 ] || { echo "POST /checked answered $check" >&2; exit 1; }

rps() { wrk -t1 -c8 -d"${DURATION}s" -s "$WORK/validation.lua" "http://127.0.0.1:$PORT$1" | awk '/Requests\/sec/ {print $2}'; }
results=()
for round in $(seq "$ROUNDS"); do
  plain=$(rps /plain)
  checked=$(rps "/checked?mode=fast&limit=3")
  echo "round $round: plain $plain req/s, checked $checked req/s"
  results+=("$plain $checked")
done
printf '%s\n' "${results[@]}" | awk '{ p += $1; c += $2 } END {
  printf "POST /checked vs POST /plain: %.0f vs %.0f req/s, ratio %.2f\n", c / NR, p / NR, c / p }'
