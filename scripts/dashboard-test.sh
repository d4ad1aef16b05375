#!/usr/bin/env bash
# Runs the dashboard end to end in headless Chromium (Debian's `chromium`, driven by
# playwright-core: tests/dashboard/e2e.mjs) against the real `conveyor` binary on a fresh
# SQLite file: a customers import submitted through the API, its progress bar watched to
# 100% in the page, its detail view, a report download, a cancel, the filters. Saves a
# screenshot of the detail view (and one of the list beside it) and prints where.
# Usage: bash scripts/dashboard-test.sh PATH_TO_CONVEYOR_BINARY
# Environment: CONVEYOR_DASHBOARD_SCREENSHOT (default target/dashboard-e2e.png),
# CONVEYOR_CHROMIUM (default /usr/bin/chromium; installed with apt-get when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
screenshot=$(realpath -m "${CONVEYOR_DASHBOARD_SCREENSHOT:-target/dashboard-e2e.png}")
chromium=${CONVEYOR_CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "$chromium is missing: install Debian's chromium (apt-get install chromium) or set CONVEYOR_CHROMIUM." >&2
    exit 2
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd tests/dashboard && npm ci --silent --no-audit --no-fund)
mkdir -p "$(dirname "$screenshot")"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Small chunks, so the watched import moves through many progress values.
CONVEYOR_APP_ID=dashboard-app CONVEYOR_APP_TOKEN=dashboard-token CONVEYOR_CHUNK_SIZE=500 \
  CONVEYOR_LOG=warn "$bin" serve --bind "127.0.0.1:$port" --database-url "sqlite://$work/dashboard.db" \
  >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz')" 2>/dev/null; then break; fi
  sleep 0.1
done

status=0
CHROMIUM="$chromium" SCREENSHOT="$screenshot" \
  node tests/dashboard/e2e.mjs "http://127.0.0.1:$port" dashboard-app dashboard-token || status=$?
if [ "$status" != 0 ]; then
  echo "== server log" >&2
  cat "$work/server.log" >&2
  echo "dashboard test failed" >&2
  exit "$status"
fi
echo "dashboard test passed; screenshot: $screenshot"
