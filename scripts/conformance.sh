#!/usr/bin/env bash
# A longer conformance run than the test suite's: schemathesis (scripts/install.sh) generates
# requests from a running app's OpenAPI document with a random seed (printed at the end, to
# replay a failure with --seed) and checks every answer against the document.
#
# Usage: scripts/conformance.sh [URL] [EXAMPLES]
#   URL       the app's base URL (default http://127.0.0.1:3000, where scripts/up.sh serves
#             the example app); the document is read from URL/openapi.json
#   EXAMPLES  test cases per operation (default 200; the test suite runs 12 on a fixed seed)
#
# The API key is the example app's demo key; set EDGEWAY_API_KEY for another app. Checks that
# do not apply (see tests/tests/conformance.rs) are switched off the same way here.
set -euo pipefail
cd "$(dirname "$0")/.."

URL=${1:-http://127.0.0.1:3000}
EXAMPLES=${2:-200}
TESTER=.edgeway/tools/python/bin/schemathesis
if [ ! -x "$TESTER" ]; then
  echo "schemathesis is missing: run scripts/install.sh" >&2
  exit 1
fi

CONFIG=$(mktemp --suffix=.toml)
trap 'rm -f "$CONFIG"' EXIT
cat > "$CONFIG" <<TOML
[checks]
enabled = true

[auth.openapi.apiKeyHeader]
api_key = "${EDGEWAY_API_KEY:-edgeway-demo-key-0001}"

# /echo/... stores nothing: the stateful checks of a created and deleted resource do not apply.
[[operations]]
include-path-regex = "^/echo/"
checks.use_after_free.enabled = false
checks.ensure_resource_availability.enabled = false

# /py/date/:text answers 400 when it reads no date in a text: no schema can say which texts
# are dates, so a schema-valid text may be refused.
[[operations]]
include-path-regex = "^/py/date/"
checks.positive_data_acceptance.enabled = false
TOML

exec "$TESTER" --config-file "$CONFIG" run "$URL/openapi.json" \
  --max-examples "$EXAMPLES" --generation-database none --workers 2
