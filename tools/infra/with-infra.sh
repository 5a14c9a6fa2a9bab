#!/usr/bin/env bash
# Runs a command with Postgres and Redis up, and afterwards stops only what this script started
# (a developer's already-running servers are left alone). Exits with the command's status.
# Usage: with-infra.sh <command> [args...]
source "$(dirname "$0")/common.sh"
here=$(cd "$(dirname "$0")" && pwd)
started=()
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then "$here/redis.sh" start; started+=(redis); fi
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then "$here/postgres.sh" start; started+=(postgres); fi
# Quietly: the test runner's summary stays the last thing `make test` prints.
cleanup() {
  for s in "${started[@]}"; do "$here/$s.sh" stop; done
}
trap cleanup EXIT
DATABASE_URL=$("$here/postgres.sh" url) REDIS_URL=$("$here/redis.sh" url) "$@"
