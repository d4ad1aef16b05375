#!/usr/bin/env bash
# Conveyor's benchmark suite (see BENCHMARKS.md). On a fresh machine it builds the release
# binaries, installs what the scenarios need (wrk from Debian, graphile-worker from npm into
# bench/peer, PostgreSQL through .ci/pg-test.sh), runs the scenarios, prints their tables and
# writes their JSON into bench/results/.
#
#   bash bench/run.sh [import|latency|tiny-actions|api|fairness|load|scale-out|all]  (default: all)
#
#   import        P1 import throughput vs the raw insert, and P5 the server's peak RSS
#   latency       P2 POST → DONE of single-customer bulk updates, one after another
#   tiny-actions  P3 single-item actions from 16 clients, and graphile-worker's no-op jobs
#                 (16 concurrent, in its default mode and its batched mode)
#   api           P4 the action list and get under wrk, next to /healthz; then again (half as
#                 long each) while a BENCH_ROWS-row customers import commits its chunks
#   fairness      P6 small actions' time to DONE while a 1,000,000-row import runs
#   load          64 clients for 60 s mixing bulk/metadata updates, CSV uploads, polls and
#                 lists; fails on any 5xx, transport error or lost action
#   scale-out     P7 P3's single-item actions (10,000 a run) on 1, 2 and 3 `conveyor serve`
#                 nodes sharing one fresh durable PostgreSQL database, each node reaching it
#                 through its own proxy in conveyor-bench that delays every byte by 1 ms each
#                 way (a data-centre network); 16 clients POST round robin to every node.
#                 Timed from the first POST until the database holds every action DONE
#                 (counted every 10 ms on a direct connection); prints actions/s per node count
#                 and the ratios to one node (target: 2 nodes ≥ 1.6×)
#
# Each scenario but scale-out runs on SQLite and on PostgreSQL (BENCH_BACKENDS="sqlite
# postgres"); scale-out runs on PostgreSQL only, the durable one P3 uses. Without
# CONVEYOR_BENCH_DATABASE_URL, a throwaway PostgreSQL cluster is started (as root) on port
# $PGT_PORT (55439) in $PGT_DIR (/tmp/conveyor-pgbench), with fsync off unless PGT_DURABLE=1,
# and stopped at the end. P3 (tiny-actions) runs on a durable PostgreSQL (fsync and
# synchronous_commit on), it and graphile-worker alike: CONVEYOR_BENCH_DURABLE_DATABASE_URL,
# or else the cluster above if PGT_DURABLE=1 started it, or else a second throwaway cluster
# with PGT_DURABLE=1 on port $PGT_DURABLE_PORT (55440) in $PGT_DURABLE_DIR
# (/tmp/conveyor-pgbench-durable), started for P3 (and P7) and stopped at the end. Smaller runs:
# BENCH_ROWS, BENCH_LATENCY_COUNT, BENCH_TINY_ACTIONS, BENCH_API_ACTIONS, BENCH_API_SECONDS,
# BENCH_LOAD_CLIENTS, BENCH_LOAD_SECONDS, BENCH_SCALE_ACTIONS. BENCH_SKIP_BUILD=1 uses the
# binaries already built.
set -euo pipefail
cd "$(dirname "$0")/.."

scenario=${1:-all}
case "$scenario" in
  import | latency | tiny-actions | api | fairness | load | scale-out | all) ;;
  *)
    echo "usage: bench/run.sh [import|latency|tiny-actions|api|fairness|load|scale-out|all]" >&2
    exit 2
    ;;
esac
wants() { [ "$scenario" = all ] || [ "$scenario" = "$1" ]; }

ROWS=${BENCH_ROWS:-1000000}
LATENCY_COUNT=${BENCH_LATENCY_COUNT:-1000}
TINY_ACTIONS=${BENCH_TINY_ACTIONS:-20000}
API_ACTIONS=${BENCH_API_ACTIONS:-100000}
API_SECONDS=${BENCH_API_SECONDS:-10}
LOAD_CLIENTS=${BENCH_LOAD_CLIENTS:-64}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-60}
SCALE_ACTIONS=${BENCH_SCALE_ACTIONS:-10000}
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

PGT_DURABLE_DIR=${PGT_DURABLE_DIR:-/tmp/conveyor-pgbench-durable}
PGT_DURABLE_PORT=${PGT_DURABLE_PORT:-55440}
throwaway=0 throwaway_durable=0
stop_throwaways() {
  if [ "$throwaway" = 1 ]; then bash .ci/pg-test.sh stop; fi
  if [ "$throwaway_durable" = 1 ]; then
    PGT_DIR=$PGT_DURABLE_DIR PGT_PORT=$PGT_DURABLE_PORT bash .ci/pg-test.sh stop
  fi
}
trap stop_throwaways EXIT
# The durable PostgreSQL of P3 and P7, started once when the first of them needs it.
start_durable() {
  if [ -z "${CONVEYOR_BENCH_DURABLE_DATABASE_URL:-}" ]; then
    echo "== starting a durable throwaway PostgreSQL for P3 and P7"
    throwaway_durable=1
    CONVEYOR_BENCH_DURABLE_DATABASE_URL=$(PGT_DURABLE=1 PGT_DIR=$PGT_DURABLE_DIR \
      PGT_PORT=$PGT_DURABLE_PORT bash .ci/pg-test.sh start)
  fi
}

if [ -z "${CONVEYOR_BENCH_DATABASE_URL:-}" ]; then
  echo "== starting a throwaway PostgreSQL"
  export PGT_DIR=${PGT_DIR:-/tmp/conveyor-pgbench} PGT_PORT=${PGT_PORT:-55439}
  throwaway=1
  CONVEYOR_BENCH_DATABASE_URL=$(bash .ci/pg-test.sh start)
  if [ "${PGT_DURABLE:-0}" = 1 ] && [ -z "${CONVEYOR_BENCH_DURABLE_DATABASE_URL:-}" ]; then
    CONVEYOR_BENCH_DURABLE_DATABASE_URL=$CONVEYOR_BENCH_DATABASE_URL
  fi
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
    # Half as long a load each, so that the reads run while the import does (on SQLite, a
    # 1M-row import under this load lasts about 20 s).
    echo "== P4 api on $backend while a $ROWS-row import runs"
    "$bench" api --actions "$API_ACTIONS" --seconds "$(( (API_SECONDS + 1) / 2 ))" --backend "$backend" \
      --during-import "$ROWS" --json "$RESULTS/api-during-import-$backend.json"
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
  start_durable
  echo "== P3 tiny-actions (${BACKENDS// /, }, then graphile-worker default and batched)"
  "$bench" tiny-actions --actions "$TINY_ACTIONS" --backend "${BACKENDS// /,}" --peer bench/peer \
    --database-url "$CONVEYOR_BENCH_DURABLE_DATABASE_URL" --json "$RESULTS/tiny-actions.json"
fi
if wants scale-out; then
  start_durable
  echo "== P7 scale-out (1, 2 and 3 nodes on PostgreSQL, 1 ms each way to it)"
  "$bench" scale-out --actions "$SCALE_ACTIONS" --nodes 1,2,3 --delay-ms 1 \
    --database-url "$CONVEYOR_BENCH_DURABLE_DATABASE_URL" --json "$RESULTS/scale-out.json"
fi
echo "== figures written to $RESULTS/"
