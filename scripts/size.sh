#!/usr/bin/env bash
# The size of the Rust-only example app: spin.toml without its Python and JavaScript handlers
# (greet-py, hello-js, dates-py, email-js) and their routes, composed by `edgeway build`.
# Prints the composed component's size and each part's: the gateway (built with the features
# the manifest needs), every handler, and the isolation adapters found in the target directory
# (the composer adds one copy per handler that imports wasi:keyvalue or wasi:config; the
# example's `todos` only).
#
#   scripts/size.sh
#   CARGO_TARGET_DIR=target/size-work scripts/size.sh   # components built in another target dir
#   CARGO_TARGET_DIR=target/size-z CARGO_PROFILE_RELEASE_OPT_LEVEL=z scripts/size.sh
#
# The manifest copy and the composed component are written to target/size/. CARGO_TARGET_DIR
# and CARGO_PROFILE_* only apply to the components: the `edgeway` binary is built as usual.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=target/size
mkdir -p "$WORK"
MANIFEST=$WORK/rust-only.toml
DROP='greet-py|hello-js|dates-py|email-js'
# Handler paths are relative to the manifest's folder, two levels below the repository.
grep -Ev "\"($DROP)\"|^($DROP) = " spin.toml |
  sed -e 's|path = "components/|path = "../../components/|' \
      -e 's|^source = ".*"|source = "rust-only.wasm"|' \
      -e 's|^name = ".*"|name = "edgeway-example-rust-only"|' >"$MANIFEST"
if grep -v '^watch' "$MANIFEST" | grep -Eq "$DROP"; then
  echo "the manifest copy still names a Python or JavaScript handler" >&2
  exit 1
fi

# The binary is built as usual, whatever CARGO_TARGET_DIR or CARGO_PROFILE_* say for the components.
unset_profile=$(env | sed -n 's/^\(CARGO_PROFILE_[A-Z0-9_]*\)=.*/-u \1/p')
# shellcheck disable=SC2086
env -u CARGO_TARGET_DIR $unset_profile cargo build --release --quiet -p edgeway
target/release/edgeway build --manifest "$MANIFEST" 2>&1 | tail -1

COMPONENTS=$(cd components && cargo metadata --no-deps --format-version 1 |
  sed -e 's/.*"target_directory":"\([^"]*\)".*/\1/')/wasm32-wasip2/release
kib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1024 }'; }
echo
echo "| Rust-only example app | bytes | KiB |"
echo "| --- | ---: | ---: |"
printf "| composed (\`%s\`) | %d | %s |\n" "$WORK/rust-only.wasm" \
  "$(stat -c %s "$WORK/rust-only.wasm")" "$(kib "$WORK/rust-only.wasm")"
part() { # label, file
  [ -f "$2" ] || return 0
  printf "| %s | %d | %s |\n" "$1" "$(stat -c %s "$2")" "$(kib "$2")"
}
part "gateway" "$COMPONENTS/gateway.wasm"
for handler in greet echo convert todos; do
  part "handler \`$handler\`" "$COMPONENTS/$handler.wasm"
done
part "isolation adapter, key-value" "$COMPONENTS/key_value_namespace.wasm"
part "isolation adapter, config" "$COMPONENTS/config_grant.wasm"
