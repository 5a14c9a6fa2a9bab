#!/usr/bin/env bash
# The stand-in Postgres image's entrypoint (README.md), written for the contract the chart uses:
#   - arguments starting with "-" are the server's: `-c max_connections=100` runs
#     `postgres -c max_connections=100`;
#   - on an empty PGDATA: initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD as its
#     password (scram-sha-256 for every TCP connection, trust on the unix socket inside the
#     container), then POSTGRES_DB created, then /docker-entrypoint-initdb.d/*.sql and *.sh;
#   - on an initialised PGDATA: nothing but the server;
#   - the server replaces this script (exec): it is PID 1 and gets the stop signal itself.
# Started as root it makes the folders the postgres user's and runs again as that user (setpriv,
# from util-linux, instead of the official image's gosu). Writes only to PGDATA, the socket
# folder and /tmp, so it works on a read-only root filesystem.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi
# Anything else (psql, bash, ...) runs as given.
if [ "${1:-}" != postgres ]; then exec "$@"; fi
[ -n "${PGDATA:-}" ] || die "PGDATA is not set"
socket_dir=/var/run/postgresql

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" "$socket_dir"
  chown postgres:postgres "$PGDATA" "$socket_dir"
  chmod 0700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

# initdb and the server refuse a data folder others can read; the folder may be new (a fresh
# volume holds only the mount point), so make it here with the right mode.
mkdir -p "$PGDATA" || die "cannot create PGDATA $PGDATA as uid $(id -u) (is the volume writable by this uid or its fsGroup?)"
chmod 0700 "$PGDATA" 2>/dev/null || true

initialise() {
  local user=${POSTGRES_USER:-postgres}
  local db=${POSTGRES_DB:-$user}
  [ -n "${POSTGRES_PASSWORD:-}" ] || die "PGDATA $PGDATA is empty and POSTGRES_PASSWORD is not set: it is the password of the superuser $user, required for TCP logins (scram-sha-256)"
  log "initialising $PGDATA: superuser $user, database $db"
  # The password through a pipe (/dev/fd), never in a file or on a command line.
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of options, split like the official image does
  initdb --username="$user" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >&2
  # initdb allows TCP from loopback only; every other address too, with the password.
  printf '\n# added by the entrypoint: TCP from anywhere, with the password\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  # A private server on the unix socket only, so no client can reach a half-made database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
  local psql=(psql -X -v ON_ERROR_STOP=1 --username "$user" --no-password -h "$socket_dir")
  if [ "$db" != postgres ]; then
    "${psql[@]}" --dbname postgres --set db="$db" -q <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\gexec
SQL
  fi
  local file
  for file in /docker-entrypoint-initdb.d/*; do
    [ -e "$file" ] || continue
    case "$file" in
      *.sql) log "running $file"; "${psql[@]}" --dbname "$db" -f "$file" >&2 ;;
      *.sh) log "running $file"; bash "$file" >&2 ;;
      *) log "ignoring $file (only *.sql and *.sh)" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  log "initialised; starting the server"
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initialise
else
  log "$PGDATA holds a PostgreSQL $(cat "$PGDATA/PG_VERSION") cluster: starting it"
fi
exec "$@"
