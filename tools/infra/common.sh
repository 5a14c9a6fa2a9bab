# shellcheck shell=bash
# Shared settings for the infra scripts: one run directory for every local server the project
# starts (Postgres data, Redis, nginx, logs), outside the clone so the postgres user can reach it
# wherever the clone lives (a clone under /root is not readable by postgres).
set -euo pipefail
ANYPOD_RUN_DIR=${ANYPOD_RUN_DIR:-/tmp/anypod}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
# shellcheck disable=SC2034 # used by the scripts that source this file
PG_USER=anypod
PG_PASSWORD=${PG_PASSWORD:-anypod-local-only}
# shellcheck disable=SC2034 # used by the scripts that source this file
PG_DB=anypod
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
mkdir -p "$ANYPOD_RUN_DIR"
log() { printf '\033[1m[infra]\033[0m %s\n' "$*" >&2; }
