#!/usr/bin/env bash
# Runs the whole test suite on SQLite and on PostgreSQL: cargo's tests, Voucherify's SDKs
# against the binary (with /openapi.json checked by an OpenAPI validator), Schemathesis against
# the binary, the dashboard in headless Chromium, and the failure harness in its
# reduced form (SIGKILLs and a SIGTERM during an import and a code generation on each
# backend; three nodes on PostgreSQL with one killed), and the load run (64 clients for 60 s
# on each backend). Any failing step fails the script.
#
# PostgreSQL: uses $CONVEYOR_TEST_DATABASE_URL when it is set (each test creates and uses its
# own schema there); otherwise, as root, starts a throwaway cluster with .ci/pg-test.sh
# (installing Debian's postgresql first if it is missing) and stops it at the end.
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CONVEYOR_TEST_DATABASE_URL:-}" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "Set CONVEYOR_TEST_DATABASE_URL=postgres://USER@HOST:PORT/DB, or run as root to start a throwaway PostgreSQL." >&2
    exit 2
  fi
  CONVEYOR_TEST_DATABASE_URL=$(bash .ci/pg-test.sh start)
  export CONVEYOR_TEST_DATABASE_URL
  trap 'bash .ci/pg-test.sh stop' EXIT
fi
export CONVEYOR_TEST_REQUIRE_POSTGRES=1

log=$(mktemp)
status=0
{
  # `|| …` turns errexit off inside this group, so each step records its own failure.
  failed=""
  cargo test --workspace --locked "$@" 2>&1 || failed="$failed cargo-test"
  # Voucherify's own SDKs against the real binary (needs PyPI and npm; skip with
  # CONVEYOR_SKIP_SDK_TESTS=1, and when a test filter is given).
  if [ "${CONVEYOR_SKIP_SDK_TESTS:-0}" != 1 ] && [ $# -eq 0 ]; then
    cargo build --locked -q -p conveyor --bin conveyor 2>&1 || failed="$failed build"
    bash scripts/sdk-test.sh "${CARGO_TARGET_DIR:-target}/debug/conveyor" 2>&1 || failed="$failed sdk"
  fi
  # Schemathesis (PyPI) against the real binary, from its /openapi.json: no 5xx, and every
  # answer as the document describes it (skip with CONVEYOR_SKIP_SCHEMATHESIS=1, and when a
  # test filter is given).
  if [ "${CONVEYOR_SKIP_SCHEMATHESIS:-0}" != 1 ] && [ $# -eq 0 ]; then
    cargo build --locked -q -p conveyor --bin conveyor 2>&1 || failed="$failed build"
    bash scripts/schemathesis.sh "${CARGO_TARGET_DIR:-target}/debug/conveyor" 2>&1 \
      || failed="$failed schemathesis"
  fi
  # The dashboard in headless Chromium (Debian's `chromium` and npm `playwright-core`, installed
  # when missing) against the real binary; it keeps a screenshot, target/dashboard-e2e.png (skip
  # with CONVEYOR_SKIP_DASHBOARD_TEST=1, and when a test filter is given).
  if [ "${CONVEYOR_SKIP_DASHBOARD_TEST:-0}" != 1 ] && [ $# -eq 0 ]; then
    cargo build --locked -q -p conveyor --bin conveyor 2>&1 || failed="$failed build"
    bash scripts/dashboard-test.sh "${CARGO_TARGET_DIR:-target}/debug/conveyor" 2>&1 \
      || failed="$failed dashboard"
  fi
  # The failure harness on the real binary (skip with CONVEYOR_SKIP_HARNESS=1, and when a test
  # filter is given). Each run prints one summary line; a broken promise fails the script.
  if [ "${CONVEYOR_SKIP_HARNESS:-0}" != 1 ] && [ $# -eq 0 ]; then
    cargo build --locked -q -p conveyor -p cv_bench 2>&1 || failed="$failed build"
    harness="${CARGO_TARGET_DIR:-target}/debug/conveyor-harness"
    "$harness" crash --rows 100000 --codes 20000 --kills 5 --backend sqlite 2>&1 \
      || failed="$failed harness-sqlite"
    "$harness" crash --rows 100000 --codes 20000 --kills 5 --backend postgres \
      --database-url "$CONVEYOR_TEST_DATABASE_URL" 2>&1 || failed="$failed harness-postgres"
    "$harness" nodes --rows 50000 --codes 20000 --database-url "$CONVEYOR_TEST_DATABASE_URL" 2>&1 \
      || failed="$failed harness-nodes"
    # The load run on the debug build: 64 clients for 60 s of mixed submissions, polls, lists
    # and CSV uploads per backend; any 5xx, transport error or lost or unfinished action fails.
    bench="${CARGO_TARGET_DIR:-target}/debug/conveyor-bench"
    "$bench" load --clients 64 --seconds 60 --backend sqlite 2>&1 || failed="$failed load-sqlite"
    "$bench" load --clients 64 --seconds 60 --backend postgres \
      --database-url "$CONVEYOR_TEST_DATABASE_URL" 2>&1 || failed="$failed load-postgres"
  fi
  if [ -n "$failed" ]; then
    echo "failed steps:$failed"
    exit 1
  fi
} | tee "$log" || status=$?
# One closing line for the whole run (cargo prints one per test binary; a failed step other
# than cargo's counts as one failure; ignored tests count as skipped).
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1); if ($i == "ignored;") s += $(i-1) } }
     /^failed steps:/ { for (i = 3; i <= NF; i++) if ($i != "cargo-test") f += 1 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
