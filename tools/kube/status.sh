#!/usr/bin/env bash
# make kube-status: each component of the one-node cluster (running or not, by its recorded PID),
# the node, kube-proxy's sync, the gateway's URL, and the pods. Exits 1 when the cluster is not
# fully up, so scripts can ask it.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [[ ! -d "$PID_DIR" ]] || ! find "$PID_DIR" -name '*.pid' | grep -q .; then
  log "no cluster is running (make kube-up starts one)"
  exit 1
fi
healthy=1
for name in "${COMPONENTS[@]}"; do
  if running "$name"; then
    printf '  %-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
  else
    printf '  %-24s NOT running\n' "$name"
    healthy=0
  fi
done
KUBECTL=$(bash "$repo_root/tools/go/go-tools.sh" built kubectl) || die "kubectl is not built (make kube-up builds it)"
ready=$(kubectl_ get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
printf '  %-24s %s\n' "node $NODE_NAME Ready" "${ready:-unknown}"
[[ "$ready" == True ]] || healthy=0
if bash "$kube_dir/proxy-synced.sh"; then synced=yes; else synced=no; healthy=0; fi
printf '  %-24s %s\n' "kube-proxy synced" "$synced"
for url in gateway prometheus jaeger; do
  [[ -f "$RUN_DIR/$url.url" ]] && printf '  %-24s %s\n' "$url" "$(cat "$RUN_DIR/$url.url")"
done
printf '  %-24s %s\n' kubeconfig "$KUBECONFIG_FILE"
echo
kubectl_ get pods --all-namespaces -o wide 2>/dev/null || true
[[ "$healthy" == 1 ]]
