#!/usr/bin/env bash
# The benchmark suite: what a request costs on the local host, against two baselines.
#
#   scripts/bench.sh                      # ROUNDS=2, DURATION=5 (seconds per variant per round)
#   ROUNDS=3 DURATION=10 scripts/bench.sh
#   SPLIT50=0 scripts/bench.sh            # without the 50-handler split app (its build
#                                         # generates 50 gateways: ~2 minutes on 2 idle cores)
#
# Every variant is started on loopback, driven with wrk (`-t1 -c8 --latency`), and stopped;
# the rounds interleave the variants, so a neighbour's build slows all of them alike. One
# table: requests/s (mean of the rounds), p50 and p99 latency (of the last round), the
# host's peak RSS (VmHWM), and ratios to baseline A (a plain hello wasi:http component on the
# same host), baseline B (a native hyper server) and baseline A3 (a plain hello
# wasi:http@0.3 component, its instances reused as Spin 4.1 does). The WASI 0.3 rows are the
# same apps built with `wasi = "0.3"`, served with Spin's default reuse. Then the cold start (host start to first
# 200) with a cold and a warm compile cache, and the composed sizes. Only loopback traffic.
set -euo pipefail
source "$(dirname "$0")/bench-setup.sh" suite
ROUNDS=${ROUNDS:-2}
SPLIT50=${SPLIT50:-1}
DURATION=${DURATION:-5}
PORT=${PORT:-3900}
cargo build --release --quiet -p edgeway-host --examples
(cd components && cargo build --release --quiet -p hello-http -p hello-http3)

# The `[component.gateway.tool.edgeway]` line that builds for WASI $1 (nothing for 0.2).
wasi_table() { if [ "$1" = 0.3 ]; then printf '[component.gateway.tool.edgeway]\nwasi = "0.3"\n'; fi; }
# A gateway with N copies of the greet handler, `GET /h1` … `GET /hN`, built for WASI 0.2 or
# 0.3; `policies` puts an API key, a rate limit and CORS on every route.
generated() { # name, N, plain|policies, 0.2|0.3
  local file="$WORK/$1.toml" i
  {
    echo "spin_manifest_version = 2"
    echo "[application]"
    echo "name = \"$1\""
    if [ "$3" = policies ]; then
      echo "[variables]"
      echo 'api_keys = { default = "bench=bench-key-0123456789abcdef", secret = true }'
    fi
    echo "[[trigger.http]]"
    echo 'route = "/..."'
    echo 'component = "gateway"'
    echo "[component.gateway]"
    echo "source = \"out/$1.wasm\""
    if [ "$3" = policies ]; then
      echo 'key_value_stores = ["default"]'
      echo "[component.gateway.variables]"
      echo 'api_keys = "{{ api_keys }}"'
      echo "[component.gateway.tool.edgeway.policies]"
      echo 'cors = { origins = ["https://app.example.com"] }'
      echo "[component.gateway.tool.edgeway.api_key]"
      echo 'keys = "api_keys"'
    fi
    wasi_table "$4"
    echo "[component.gateway.tool.edgeway.handlers]"
    for i in $(seq 1 "$2"); do echo "h$i = { path = \"../../../components/examples/greet\" }"; done
    echo "[component.gateway.tool.edgeway.routes]"
    for i in $(seq 1 "$2"); do
      if [ "$3" = policies ]; then
        echo "\"GET /h$i\" = { handler = \"h$i\", auth = \"api-key\", rate_limit = { requests = 1000000000, per = \"1h\" } }"
      else
        echo "\"GET /h$i\" = \"h$i\""
      fi
    done
  } >"$file"
  echo "$file"
}
# The example app, from spin.toml, with handler paths made relative to $WORK, built for WASI
# 0.2 or 0.3.
example() { # name, 0.2|0.3
  local file="$WORK/$1.toml"
  sed -e 's|path = "components/|path = "../../../components/|' \
      -e "s|^source = \".*\"|source = \"out/$1.wasm\"|" \
      -e "s|^name = \".*\"|name = \"bench-$1\"|" spin.toml |
    while IFS= read -r line; do
      if [ "$line" = "[component.gateway.tool.edgeway.handlers]" ]; then wasi_table "$2"; fi
      printf '%s\n' "$line"
    done >"$file"
  echo "$file"
}
GW1=$(generated bench-gw1 1 plain 0.2)
GW1P=$(generated bench-gw1-policies 1 policies 0.2)
GW10=$(generated bench-gw10 10 plain 0.2)
# 30 handlers: the most a single component can hold (31 linear memories with the gateway's).
GW30=$(generated bench-gw30 30 plain 0.2)
GW50=$(generated bench-gw50 50 plain 0.2)
EXAMPLE=$(example example 0.2)
GW1_P3=$(generated bench-gw1-p3 1 plain 0.3)
GW1P_P3=$(generated bench-gw1-policies-p3 1 policies 0.3)
GW10_P3=$(generated bench-gw10-p3 10 plain 0.3)
GW30_P3=$(generated bench-gw30-p3 30 plain 0.3)
EXAMPLE_P3=$(example example-p3 0.3)
for m in "$GW1" "$GW1P" "$GW10" "$GW30" "$EXAMPLE" "$GW1_P3" "$GW1P_P3" "$GW10_P3" "$GW30_P3" "$EXAMPLE_P3"; do "$EDGEWAY" build --manifest "$m" 2>&1 | tail -1; done
SPLIT_APPS=("$GW1" "$GW10")
if [ "$SPLIT50" = 1 ]; then SPLIT_APPS+=("$GW50"); fi
for m in "${SPLIT_APPS[@]}"; do "$EDGEWAY" build --split --manifest "$m" 2>&1 | tail -1; done

KEY=bench-key-0123456789abcdef

# label | kind | target | path | extra arguments
variants=(
  "B: native hyper hello|native|-|/|"
  "A: plain hello wasi:http component, fresh instance|plain|target/wasm32-wasip2/release/hello_http.wasm|/|1"
  "A: plain hello wasi:http component, reuse 100|plain|target/wasm32-wasip2/release/hello_http.wasm|/|100"
  "gateway + 1 handler, fresh instance|edgeway|$GW1|/h1|--reuse 1"
  "gateway + 1 handler, reuse 100|edgeway|$GW1|/h1|--reuse 100"
  "gateway + 1 handler, policies on (API key, rate limit, CORS), fresh|edgeway|$GW1P|/h1|--reuse 1"
  "gateway + 1 handler, policies on, reuse 100|edgeway|$GW1P|/h1|--reuse 100"
  "gateway + 10 handlers, first route, fresh|edgeway|$GW10|/h1|--reuse 1"
  "gateway + 10 handlers, last route, fresh|edgeway|$GW10|/h10|--reuse 1"
  "gateway + 10 handlers, last route, reuse 100|edgeway|$GW10|/h10|--reuse 100"
  "gateway + 30 handlers, last route, fresh|edgeway|$GW30|/h30|--reuse 1"
  "gateway + 30 handlers, last route, reuse 100|edgeway|$GW30|/h30|--reuse 100"
  "split, 1 handler, fresh|edgeway|$GW1|/h1|--split --reuse 1"
  "split, 10 handlers, last route, fresh|edgeway|$GW10|/h10|--split --reuse 1"
  "split, 50 handlers, first route, fresh|edgeway|$GW50|/h1|--split --reuse 1"
  "split, 50 handlers, last route, fresh|edgeway|$GW50|/h50|--split --reuse 1"
  "split, 50 handlers, last route, reuse 100|edgeway|$GW50|/h50|--split --reuse 100"
  "example app with Python and JS, GET /hello (Rust), fresh|edgeway|$EXAMPLE|/hello|--reuse 1"
  "example app with Python and JS, GET /hello (Rust), reuse 100|edgeway|$EXAMPLE|/hello|--reuse 100"
  "A3: plain hello wasi:http@0.3 component, Spin's reuse|plain|target/wasm32-wasip2/release/hello_http3.wasm|/|"
  "WASI 0.3: gateway + 1 handler|edgeway|$GW1_P3|/h1|"
  "WASI 0.3: gateway + 1 handler, policies on|edgeway|$GW1P_P3|/h1|"
  "WASI 0.3: gateway + 10 handlers, last route|edgeway|$GW10_P3|/h10|"
  "WASI 0.3: gateway + 30 handlers, last route|edgeway|$GW30_P3|/h30|"
  "WASI 0.3: example app, GET /hello (Rust)|edgeway|$EXAMPLE_P3|/hello|"
  "WASI 0.3: example app, GET /py/hello (Python)|edgeway|$EXAMPLE_P3|/py/hello|"
  "WASI 0.3: example app, GET /js/hello (JavaScript)|edgeway|$EXAMPLE_P3|/js/hello|"
)
if [ "$SPLIT50" != 1 ]; then
  for v in "${!variants[@]}"; do
    case ${variants[$v]} in *"50 handlers"*) unset 'variants[v]' ;; esac
  done
  variants=("${variants[@]}")
fi
# Every variant starts once before the rounds, so that the compile cache is warm and no
# round's peak RSS includes compiling a component.
for v in "${!variants[@]}"; do
  IFS='|' read -r label kind target path extra <<<"${variants[$v]}"
  # shellcheck disable=SC2086
  start "$kind" "$target" "$path" $extra
  stop
done
declare -A RPS P50 P99 RSS
for round in $(seq 1 "$ROUNDS"); do
  for v in "${!variants[@]}"; do
    IFS='|' read -r label kind target path extra <<<"${variants[$v]}"
    # shellcheck disable=SC2086
    start "$kind" "$target" "$path" $extra
    out=$(wrk -t1 -c8 -d"${DURATION}s" --latency -H "x-api-key: $KEY" "http://127.0.0.1:$PORT$path")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    RPS[$v]=$(awk "BEGIN {print ${RPS[$v]:-0} + $rps / $ROUNDS}")
    P50[$v]=$(awk '$1 == "50%" {print $2}' <<<"$out")
    P99[$v]=$(awk '$1 == "99%" {print $2}' <<<"$out")
    rss=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER/status")
    RSS[$v]=$(( rss > ${RSS[$v]:-0} ? rss : ${RSS[$v]:-0} ))
    stop
    echo "round $round: $label: $rps req/s" >&2
  done
done

echo
for v in "${!variants[@]}"; do
  case ${variants[$v]} in A3:*) A3=$v ;; esac
done
echo "| variant (local host, wrk -t1 -c8, $ROUNDS interleaved rounds of ${DURATION}s) | requests/s | p50 | p99 | peak RSS MiB | ÷ A fresh | ÷ B native | ÷ A3 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for v in "${!variants[@]}"; do
  label=${variants[$v]%%|*}
  printf "| %s | %.0f | %s | %s | %s | %.2f | %.2f | %.2f |\n" "$label" "${RPS[$v]}" "${P50[$v]}" "${P99[$v]}" \
    "${RSS[$v]}" "$(awk "BEGIN {print ${RPS[$v]} / ${RPS[1]}}")" "$(awk "BEGIN {print ${RPS[$v]} / ${RPS[0]}}")" \
    "$(awk "BEGIN {print ${RPS[$v]} / ${RPS[$A3]}}")"
done

echo
echo "| Cold start: host start to first 200 | ms |"
echo "| --- | ---: |"
for app in "$GW1|/h1|gateway + 1 handler" "$EXAMPLE|/hello|example app with Python and JS"; do
  IFS='|' read -r manifest path label <<<"$app"
  rm -rf "$WORK/target/edgeway/cache"
  start edgeway "$manifest" "$path"; stop
  echo "| $label, cold compile cache | $STARTUP_MS |"
  start edgeway "$manifest" "$path"; stop
  echo "| $label, warm compile cache | $STARTUP_MS |"
done

echo
echo "| Composed component | KiB |"
echo "| --- | ---: |"
for f in "$WORK"/out/*.wasm target/wasm32-wasip2/release/hello_http.wasm target/wasm32-wasip2/release/hello_http3.wasm; do
  printf "| %s | %d |\n" "${f#"$WORK"/}" $(( $(stat -c %s "$f") / 1024 ))
done
for d in "$WORK"/out/split/bench-gw50; do
  [ -f "$d/gateway-h50.wasm" ] || continue
  printf "| split/bench-gw50: each of %d components | %d |\n" "$(ls "$d"/*.wasm | wc -l)" \
    $(( $(stat -c %s "$d/gateway-h50.wasm") / 1024 ))
done
