#!/usr/bin/env bash
# Runs Schemathesis (PyPI, pinned) against the real `conveyor` binary on a fresh SQLite file:
# it reads the served /openapi.json, sends generated requests to every operation with a
# project's app key, and fails on any 5xx (`not_a_server_error`) and on any response whose
# status, content type or body the document does not describe (`status_code_conformance`,
# `content_type_conformance`, `response_schema_conformance`). The examples per operation are
# bounded (30; CONVEYOR_SCHEMATHESIS_EXAMPLES changes it) and the seed fixed, so that a run
# takes about two minutes on two cores, installation included.
# Usage: bash scripts/schemathesis.sh PATH_TO_CONVEYOR_BINARY
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

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check schemathesis==4.32.5

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
# Schemathesis registers webhooks with made-up URLs, and the server delivers to them. Every
# outgoing request goes through a proxy on a loopback port where nothing listens, so a
# delivery fails at once and nothing leaves this machine (no DNS lookup either).
nowhere="http://127.0.0.1:$(free_port)"
HTTP_PROXY=$nowhere HTTPS_PROXY=$nowhere ALL_PROXY=$nowhere NO_PROXY="" \
  http_proxy=$nowhere https_proxy=$nowhere all_proxy=$nowhere no_proxy="" \
  CONVEYOR_APP_ID=st-app CONVEYOR_APP_TOKEN=st-token CONVEYOR_LOG=warn \
  "$bin" serve --bind "127.0.0.1:$port" --database-url "sqlite://$work/st.db" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz')" 2>/dev/null; then break; fi
  sleep 0.1
done

status=0
(cd "$work" && "$work/venv/bin/st" run "http://127.0.0.1:$port/openapi.json" \
  --header "X-App-Id: st-app" --header "X-App-Token: st-token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${CONVEYOR_SCHEMATHESIS_EXAMPLES:-30}" --seed 20261206 --workers 1 \
  --generation-database none --request-timeout 40 --no-color) || status=$?
if [ "$status" != 0 ]; then
  echo "schemathesis: failed (exit $status); the server's log:"
  cat "$work/server.log"
  exit 1
fi
echo "schemathesis: no failures"
