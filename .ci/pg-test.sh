#!/usr/bin/env bash
# Throwaway PostgreSQL for the test suite, run as root (installs Debian's postgresql if absent).
# Usage: bash .ci/pg-test.sh start|stop
# `start` prints the URL. Durability is off unless PGT_DURABLE=1. PGT_DIR must be traversable
# by the postgres user.
set -euo pipefail
PGT_DIR=${PGT_DIR:-/tmp/conveyor-pgtest}
PGT_PORT=${PGT_PORT:-55432}
if [ "${PGT_DURABLE:-0}" = 1 ]; then PGT_OPTS=""; else PGT_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

pg_start() {
  if [ -z "$(pgbin)" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local bin; bin=$(pgbin)
  if [ -f "$PGT_DIR/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PGT_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$PGT_DIR"; install -d -o postgres -g postgres -m 700 "$PGT_DIR"
  runuser -u postgres -- "$bin/initdb" -D "$PGT_DIR/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$PGT_DIR/initdb.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$PGT_DIR/data" -l "$PGT_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGT_PORT -k $PGT_DIR -c max_connections=300 $PGT_OPTS" start >/dev/null
  "$bin/pg_isready" -h 127.0.0.1 -p "$PGT_PORT" -t 30 >/dev/null
  echo "postgres://postgres@127.0.0.1:$PGT_PORT/postgres"
}

pg_stop() {
  local bin; bin=$(pgbin)
  if [ -n "$bin" ] && [ -f "$PGT_DIR/data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$PGT_DIR/data" -m fast -w -t 60 stop >/dev/null || true
  fi
  rm -rf "$PGT_DIR"
}

case "${1:-}" in
  start) pg_start ;;
  stop) pg_stop ;;
  *) echo "usage: pg-test.sh start|stop" >&2; exit 2 ;;
esac
