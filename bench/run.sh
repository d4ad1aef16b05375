#!/usr/bin/env bash
# Conveyor's benchmark suite (see BENCHMARKS.md). On a fresh machine it builds the release
# binaries, installs what the scenarios need (wrk from Debian, graphile-worker from npm into
# bench/peer, PostgreSQL through .ci/pg-test.sh), runs the scenarios, prints their tables and
# writes their JSON into bench/results/.
#
#   bash bench/run.sh [import|latency|tiny-actions|api|fairness|load|all]     (default: all)
#
#   import        P1 import throughput vs the raw insert, and P5 the server's peak RSS
#   latency       P2 POST → DONE of single-customer bulk updates, one after another
#   tiny-actions  P3 single-item actions from 16 clients, and graphile-worker's no-op jobs
#   api           P4 the action list and get under wrk, next to /healthz
#   fairness      P6 small actions' time to DONE while a 1,000,000-row import runs
#   load          64 clients for 60 s mixing bulk/metadata updates, CSV uploads, polls and
#                 lists; fails on any 5xx, transport error or lost action
#
# Each scenario runs on SQLite and on PostgreSQL (BENCH_BACKENDS="sqlite postgres"). Without
# CONVEYOR_BENCH_DATABASE_URL, a throwaway PostgreSQL cluster is started (as root) on port
# $PGT_PORT (55439) in $PGT_DIR (/tmp/conveyor-pgbench), with fsync off unless PGT_DURABLE=1,
# and stopped at the end. Smaller runs: BENCH_ROWS, BENCH_LATENCY_COUNT, BENCH_TINY_ACTIONS,
# BENCH_API_ACTIONS, BENCH_API_SECONDS, BENCH_LOAD_CLIENTS, BENCH_LOAD_SECONDS. BENCH_SKIP_BUILD=1 uses the binaries already built.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-all}
case "$scenario" in
  import | latency | tiny-actions | api | fairness | load | all) ;;
  *) echo "usage: bench/run.sh [import|latency|tiny-actions|api|fairness|load|all]" >&2; exit 2 ;;
esac
wants() { [ "$scenario" = all ] || [ "$scenario" = "$1" ]; }

ROWS=${BENCH_ROWS:-1000000}
LATENCY_COUNT=${BENCH_LATENCY_COUNT:-1000}
TINY_ACTIONS=${BENCH_TINY_ACTIONS:-20000}
API_ACTIONS=${BENCH_API_ACTIONS:-100000}
API_SECONDS=${BENCH_API_SECONDS:-10}
LOAD_CLIENTS=${BENCH_LOAD_CLIENTS:-64}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-60}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
RESULTS=bench/results
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== building the release binaries"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --locked -q -p conveyor -p cv_bench
fi
bench="$CARGO_TARGET_DIR/release/conveyor-bench"

if wants api && ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if wants tiny-actions; then
  echo "== installing the peer (graphile-worker, bench/peer)"
  (cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -z "${CONVEYOR_BENCH_DATABASE_URL:-}" ]; then
  echo "== starting a throwaway PostgreSQL"
  export PGT_DIR=${PGT_DIR:-/tmp/conveyor-pgbench} PGT_PORT=${PGT_PORT:-55439}
  CONVEYOR_BENCH_DATABASE_URL=$(bash .ci/pg-test.sh start)
  trap 'bash .ci/pg-test.sh stop' EXIT
fi
export CONVEYOR_BENCH_DATABASE_URL

mkdir -p "$RESULTS"
"$bench" machine --json "$RESULTS/machine.json" >/dev/null

for backend in $BACKENDS; do
  if wants import; then
    echo "== P1/P5 import-customers on $backend"
    "$bench" import-customers --rows "$ROWS" --backend "$backend" --json "$RESULTS/import-$backend.json"
  fi
  if wants latency; then
    echo "== P2 latency on $backend"
    "$bench" latency --count "$LATENCY_COUNT" --backend "$backend" --json "$RESULTS/latency-$backend.json"
  fi
  if wants api; then
    echo "== P4 api on $backend"
    "$bench" api --actions "$API_ACTIONS" --seconds "$API_SECONDS" --backend "$backend" \
      --json "$RESULTS/api-$backend.json"
  fi
  if wants fairness; then
    echo "== P6 fairness on $backend"
    "$bench" fairness --rows "$ROWS" --backend "$backend" --json "$RESULTS/fairness-$backend.json"
  fi
  if wants load; then
    echo "== load on $backend"
    "$bench" load --clients "$LOAD_CLIENTS" --seconds "$LOAD_SECONDS" --backend "$backend" \
      --json "$RESULTS/load-$backend.json"
  fi
done
if wants tiny-actions; then
  echo "== P3 tiny-actions (${BACKENDS// /, }, then graphile-worker)"
  "$bench" tiny-actions --actions "$TINY_ACTIONS" --backend "${BACKENDS// /,}" --peer bench/peer \
    --json "$RESULTS/tiny-actions.json"
fi
echo "== figures written to $RESULTS/"
