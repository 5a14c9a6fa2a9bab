#!/usr/bin/env bash
# The gateway in front of the one-node cluster: the project's nginx, reconfigured by a small
# controller that watches the chart's HTTPRoutes/Ingresses and their EndpointSlices through the
# API (tools/kube/gateway; a test fixture, not a product). kube-up starts it, kube-down stops it.
# Usage: gateway.sh start | url
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
NAMESPACE=${ANYPOD_KUBE_NAMESPACE:-anypod}
case "${1:-}" in
  start)
    running gateway && { log "gateway already running: $(cat "$RUN_DIR/gateway.url")"; exit 0; }
    mkdir -p "$RUN_DIR/gateway" "$PID_DIR" "$LOG_DIR"
    rm -f "$RUN_DIR/gateway.url"
    # Port 0: a free port (8080 may be held by `make up`'s local cluster).
    setsid node --import tsx "$repo_root/tools/kube/gateway/cli.ts" --kubeconfig "$KUBECONFIG_FILE" \
      --namespace "$NAMESPACE" --port 0 --dir "$RUN_DIR/gateway" --events-file "$RUN_DIR/gateway/events.jsonl" \
      >"$LOG_DIR/gateway.log" 2>&1 </dev/null 9>&- &
    echo $! >"$PID_DIR/gateway.pid"
    deadline=$((SECONDS + 60))
    until url=$(sed -n 's/^gateway: \(http:[^ ]*\).*/\1/p' "$LOG_DIR/gateway.log" | head -n1) && [[ -n "$url" ]]; do
      running gateway || { tail -n 20 "$LOG_DIR/gateway.log" >&2; die "the gateway exited (log: $LOG_DIR/gateway.log)"; }
      ((SECONDS < deadline)) || die "the gateway did not start within 60 s (log: $LOG_DIR/gateway.log)"
      sleep 0.25
    done
    printf '%s\n' "$url" >"$RUN_DIR/gateway.url"
    ;;
  url)
    [[ -f "$RUN_DIR/gateway.url" ]] || die "no gateway is running: make kube-up"
    cat "$RUN_DIR/gateway.url"
    ;;
  *) die "usage: gateway.sh start | url" ;;
esac
