#!/usr/bin/env bash
# Runs Voucherify's official SDKs (PyPI `voucherify`, npm `@voucherify/sdk`) against the real
# `conveyor` binary on a fresh SQLite file, after checking that the served /openapi.json is a
# valid OpenAPI document (PyPI `openapi-spec-validator`). (The API is the same code on both
# backends; the integration tests run every API behaviour on both.)
# Usage: bash scripts/sdk-test.sh PATH_TO_CONVEYOR_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The SDKs and the OpenAPI validator, pinned.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check voucherify==6.0.0 \
  openapi-spec-validator==0.9.0
(cd tests/sdk/js && npm ci --silent --no-audit --no-fund)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_against() {
  local database_url=$1 port
  port=$(free_port)
  CONVEYOR_APP_ID=sdk-app CONVEYOR_APP_TOKEN=sdk-token CONVEYOR_LOG=warn \
    "$bin" serve --bind "127.0.0.1:$port" --database-url "$database_url" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz')" 2>/dev/null; then break; fi
    sleep 0.1
  done
  local status=0
  "$work/venv/bin/python" - "http://127.0.0.1:$port/openapi.json" <<'EOF' || status=1
import json, sys, urllib.request
from openapi_spec_validator import validate
document = json.load(urllib.request.urlopen(sys.argv[1]))
validate(document)
print(f"openapi.json: a valid OpenAPI {document['openapi']} document, {len(document['paths'])} paths")
EOF
  "$work/venv/bin/python" tests/sdk/python_sdk.py "http://127.0.0.1:$port" sdk-app sdk-token || status=1
  node tests/sdk/js/js_sdk.js "http://127.0.0.1:$port" sdk-app sdk-token || status=1
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  if [ "$status" != 0 ]; then cat "$work/server.log"; return 1; fi
}

run_against "sqlite://$work/sdk.db"
