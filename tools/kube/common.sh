# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Shared by the one-node cluster's scripts (tools/kube): where everything lives, the addresses,
# and small helpers. Sourced, never run.
#
# Addresses. Everything is on loopback or on a bridge of the project's own; nothing listens on
# or routes through the machine's real interfaces:
#   anypod0     the bridge, 10.244.0.1/24: node IP, pods' gateway, the kubelet's port, CoreDNS
#   10.244.0.0/24 pods (CNI host-local), 10.96.0.0/16 Services (routed to the bridge as well)
#   127.0.0.1   etcd, the API server, controller-manager, scheduler, kube-proxy's metrics
set -euo pipefail

kube_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$kube_dir/../.." && pwd)
# The run folder: certificates, kubeconfigs, etcd data, containerd's store, logs, pids.
RUN_DIR=${ANYPOD_KUBE_DIR:-/tmp/anypod/kube}
LOG_DIR=$RUN_DIR/logs
PID_DIR=$RUN_DIR/pids
KUBECONFIG_FILE=$RUN_DIR/admin.kubeconfig
CONTAINERD_SOCK=$RUN_DIR/containerd/containerd.sock

NODE_NAME=anypod-node
BRIDGE=anypod0
NODE_IP=10.244.0.1
POD_CIDR=10.244.0.0/24
# The pod range the guard drops when it tries to leave the bridge (wider than POD_CIDR on purpose).
POD_SUPERNET=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
CLUSTER_DOMAIN=cluster.local
API_PORT=16443
API_URL=https://127.0.0.1:$API_PORT
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
ETCD_METRICS_PORT=23810
COREDNS_READY_PORT=18181
KUBE_PROXY_METRICS=127.0.0.1:10249
# The node's observability (tools/kube/observability.ts): Prometheus and Jaeger's UI on loopback,
# on ports other than the local cluster's (9090, 16686), so `make up` can run beside; Jaeger's
# OTLP receiver on the bridge, where the pods send their traces; the pod discovery on loopback.
PROMETHEUS_PORT=19090
JAEGER_PORT=16687
OTLP_PORT=4318
PROMETHEUS_SD_PORT=19091
GUARD_CHAIN=ANYPOD-GUARD
# The stand-in pause image (tools/images/standin), the sandbox of every pod.
PAUSE_IMAGE=localhost/anypod-standin/pause:3.10
# Host paths the kubelet, containerd and the CNI plugins use whatever they are told (CNI caches
# results in /var/lib/cni); kube-down removes those that
# were not there before kube-up.
HARD_CODED_HOST_PATHS=(/var/lib/kubelet /var/lib/cni /var/log/containers /run/containerd /run/netns)
# Start order; kube-down stops in the reverse order.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler coredns containerd kubelet kube-proxy kube-router gateway prometheus-sd jaeger prometheus)

# One kube-up, kube-down or kube-deploy at a time on this machine: two racing (a test next to a
# manual run) would tear down each other's processes half-way. The lock is on a file beside the
# run folder (kube-down empties the folder); a script called by one that holds it inherits it.
LOCK_FILE=$(dirname "$RUN_DIR")/kube.lock
take_lock() {
  [[ "${ANYPOD_KUBE_LOCK_HELD:-}" == 1 ]] && return 0
  mkdir -p "$(dirname "$LOCK_FILE")"
  # fd 9, a fixed number: every long-running process the scripts start closes it (9>&-), or the
  # cluster's daemons would hold the lock for as long as they live.
  exec 9>"$LOCK_FILE"
  flock -n 9 || die "another kube-up, kube-down or kube-deploy is running (it holds $LOCK_FILE; wait for it)"
  export ANYPOD_KUBE_LOCK_HELD=1
}

log() { printf '\033[1m[kube]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A Go tool's binary (built into the cache outside the clone on first use).
tool() { bash "$repo_root/tools/go/go-tools.sh" path "$1"; }

# kubectl, always with the cluster's kubeconfig: without one it would fall back to
# localhost:8080, where another local service may be listening.
kubectl_() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# What a component's command line contains: how kube-down tells our process from a reused PID.
marker_of() {
  case "$1" in
    gateway) echo tools/kube/gateway/cli.ts ;;
    prometheus-sd) echo tools/kube/prometheus-sd/cli.ts ;;
    prometheus) echo "prometheus --config.file" ;;
    *) echo "$1" ;;
  esac
}
pid_of() { [[ -f "$PID_DIR/$1.pid" ]] && cat "$PID_DIR/$1.pid"; }
# A zombie counts as gone: started processes are re-parented to a PID 1 that reaps slowly.
alive_pid() { [[ -e "/proc/$1" ]] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
running() { local pid; pid=$(pid_of "$1") && alive_pid "$pid"; }
