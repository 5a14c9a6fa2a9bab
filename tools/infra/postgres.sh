#!/usr/bin/env bash
# Starts (or reuses) a project-owned PostgreSQL 15 cluster on 127.0.0.1:$PG_PORT with a password
# login, so tests never depend on the machine's own cluster or its peer authentication.
# Usage: postgres.sh start | stop | url
source "$(dirname "$0")/common.sh"
data="$ANYPOD_RUN_DIR/pg-$PG_PORT"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  if as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then return 0; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising a Postgres cluster in $data"
    mkdir -p "$data"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$data" "$ANYPOD_RUN_DIR"
    pwfile=$(mktemp); echo "$PG_PASSWORD" >"$pwfile"; chmod 644 "$pwfile"
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" >/dev/null
    rm -f "$pwfile"
  fi
  log "starting Postgres on 127.0.0.1:$PG_PORT"
  # max_connections: every replica keeps a small pool; the proof runs ~9 replicas plus tests.
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null
  as_pg psql -h "$data" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  END IF;
END \$\$;
SQL
  if ! as_pg psql -h "$data" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
    as_pg createdb -h "$data" -p "$PG_PORT" -U postgres -O "$PG_USER" "$PG_DB"
  fi
}
stop() { if [ -f "$data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true; fi; }
url() { echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"; }
"${1:-start}"
