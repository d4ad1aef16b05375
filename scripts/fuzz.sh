#!/usr/bin/env bash
# Fuzzes Conveyor's parsers: runs every target of fuzz/ (cargo-fuzz, libFuzzer) for N seconds
# (the first argument, default 20), starting from its committed corpus fuzz/corpus/<target>.
# A crash (a panic: a broken property of crates/cv_fuzz) fails the script; libFuzzer leaves
# the input in fuzz/artifacts/<target>/ (reproduce: cargo fuzz run <target> <file>).
# New inputs the run finds go to a temporary folder, so the committed corpus stays as it is.
#
# Installs cargo-fuzz when missing. The machine has stable Rust only: RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz pass the unstable compiler flags libFuzzer's instrumentation needs, and no
# sanitizer is used (-s none; the code forbids `unsafe`). Targets build optimized, with debug
# assertions and overflow checks.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
echo "== building fuzz targets: $(echo $targets)"
cargo fuzz build -s none

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=""
for target in $targets; do
  echo "== fuzzing $target for ${seconds}s"
  mkdir -p "$scratch/$target"
  # -s none must match the build above, or cargo-fuzz rebuilds with its default sanitizer.
  if ! cargo fuzz run -s none "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      >"$scratch/$target.log" 2>&1; then
    failed="$failed $target"
    tail -n 60 "$scratch/$target.log"
  fi
  # libFuzzer's closing lines: executions and speed.
  grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$scratch/$target.log" || true
done
if [ -n "$failed" ]; then
  echo "fuzz targets that crashed:$failed (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzzing: every target ran ${seconds}s without a crash"
