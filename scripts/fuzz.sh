#!/usr/bin/env bash
# Fuzzes the parsers that see untrusted input, with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   scripts/fuzz.sh router 600      # one target, 10 minutes
#   scripts/fuzz.sh all 600         # every target in turn, 10 minutes each
#
# Targets: router, manifest, auth, request_id (tests/fuzz/fuzz_targets). Seeds are in
# tests/fuzz/corpus/<target>; what libFuzzer finds on the way goes to a scratch corpus under
# target/fuzz-corpus/<target>, and a crashing input to tests/fuzz/artifacts/<target>. libFuzzer
# needs nightly `-Z` flags: the `nightly` toolchain when rustup has it, otherwise stable with
# RUSTC_BOOTSTRAP=1. One job, one worker, niced: the fuzzer shares the machine.
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.1
TARGETS=(router manifest auth request_id)

cd "$(dirname "$0")/.."
root=$(pwd)
target=${1:-all}
seconds=${2:-60}

if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "Installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

if [[ $target == all ]]; then
    selected=("${TARGETS[@]}")
else
    selected=("$target")
fi

# With -jobs, libFuzzer writes the worker's output to fuzz-<job>.log in the working folder:
# it is kept as target/fuzz-logs/<target>.log and its summary printed.
logs="$root/target/fuzz-logs"
mkdir -p "$logs"
cd tests/fuzz
failed=()
for name in "${selected[@]}"; do
    scratch="$root/target/fuzz-corpus/$name"
    mkdir -p "$scratch"
    rm -f fuzz-0.log "$logs/$name.log"
    echo "== $name: ${seconds}s (from $(date -u +%H:%M:%S) UTC)"
    status=0
    nice -n 10 cargo "${toolchain[@]}" fuzz run "$name" "$scratch" "corpus/$name" \
        --release --target-dir "$root/target/fuzz" -- \
        -max_total_time="$seconds" -jobs=1 -workers=1 -print_final_stats=1 -timeout=10 \
        || status=$?
    [[ -f fuzz-0.log ]] && mv fuzz-0.log "$logs/$name.log"
    if [[ -f $logs/$name.log ]]; then
        grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' \
            "$logs/$name.log" || true
        if grep -qE '^(==[0-9]+== ?ERROR|SUMMARY: )|panicked at|Test unit written to' "$logs/$name.log"; then
            status=1
        fi
    fi
    echo "== $name: $( ((status == 0)) && echo 'no findings' || echo "FAILED, see $logs/$name.log and tests/fuzz/artifacts/$name")"
    ((status == 0)) || failed+=("$name")
done
if ((${#failed[@]})); then
    echo "findings in: ${failed[*]}" >&2
    exit 1
fi
