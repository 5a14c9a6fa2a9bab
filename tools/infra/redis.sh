#!/usr/bin/env bash
# Starts (or reuses) a Redis on 127.0.0.1:$REDIS_PORT with persistence off: Redis holds only
# what may be lost (cache, counters, denylist mirrors), so the project never relies on its files.
# Usage: redis.sh start | stop | url
source "$(dirname "$0")/common.sh"
start() {
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then return 0; fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$ANYPOD_RUN_DIR/redis-$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$ANYPOD_RUN_DIR/redis-$REDIS_PORT" --logfile "$ANYPOD_RUN_DIR/redis-$REDIS_PORT/redis.log" \
    --pidfile "$ANYPOD_RUN_DIR/redis-$REDIS_PORT/redis.pid"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  log "Redis did not answer on port $REDIS_PORT"; exit 1
}
stop() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }
url() { echo "redis://127.0.0.1:$REDIS_PORT"; }
"${1:-start}"
