#!/usr/bin/env bash
# make kube-down: stops what kube-up started and undoes what it added, after which the machine is
# as before. Idempotent, and the first thing kube-up runs (a killed run leaves routes and rules
# behind). Order: the gateway; kube-router and its rules; kube-proxy and the kubelet; every pod
# sandbox removed through the CRI while containerd still runs (the CNI plugin deletes each veth and netns); the other
# components in reverse start order; kube-proxy's and the kubelet's iptables chains and our
# guard; the bridge and routes; mounts under the run folder; the host paths the kubelet and
# containerd hard-code (only those that were not there before); ip_forward as it was.
# Only processes recorded in $RUN_DIR/pids are signalled.
# Usage: down.sh [--quiet]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
quiet=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    *) die "unknown option '$arg' (usage: down.sh [--quiet])" ;;
  esac
done
[[ "$(id -u)" == 0 ]] || die "kube-down needs root (bridge, routes, iptables, mounts)"
take_lock
say() { [[ "$quiet" == 1 ]] || log "$*"; }

stop() {
  local name=$1 pid
  pid=$(pid_of "$name") || return 0
  # A recorded PID that now belongs to another program (the machine restarted, the PID was
  # reused) is never signalled.
  if alive_pid "$pid" && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(marker_of "$name")"; then
    say "  $name: PID $pid is now another program; not touching it"
    rm -f "$PID_DIR/$name.pid"
    return 0
  fi
  if alive_pid "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do alive_pid "$pid" || break; sleep 0.25; done
    if alive_pid "$pid"; then kill -KILL "$pid" 2>/dev/null || true; say "  $name ($pid) did not stop on SIGTERM within 15 s: killed"; fi
  fi
  rm -f "$PID_DIR/$name.pid"
  say "  stopped $name ($pid)"
}

# Binaries only if they were built (a down on a fresh machine must not start a 7-minute build).
cached_tool() { bash "$repo_root/tools/go/go-tools.sh" built "$1" 2>/dev/null; }

stop prometheus
stop jaeger
stop prometheus-sd
stop gateway
stop kube-router
bash "$kube_dir/netpol-cleanup.sh" --quiet
stop kube-proxy
stop kubelet
if [[ -S "$CONTAINERD_SOCK" ]] && crictl=$(cached_tool crictl); then
  "$crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" rmp --all --force >/dev/null 2>&1 || true
fi
for name in coredns kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop "$name"; done
# containerd's shims outlive it when their tasks did not exit; they run from our state folder.
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null || true); do
  kill -KILL "$pid" 2>/dev/null && say "  killed a leftover containerd shim ($pid)"
done

# iptables: kube-proxy removes its own chains; the kubelet's canary/firewall chains and our guard.
if proxy=$(cached_tool kube-proxy); then "$proxy" --cleanup >/dev/null 2>&1 || true; fi
for ipt in iptables ip6tables; do
  command -v "$ipt" >/dev/null || continue
  for chain in INPUT OUTPUT; do while "$ipt" -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done; done
  for table in mangle nat filter; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT KUBE-PROXY-CANARY; do
      "$ipt" -t "$table" -F "$chain" 2>/dev/null && "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
while iptables -t mangle -D FORWARD -j "$GUARD_CHAIN" 2>/dev/null; do :; done
iptables -t mangle -F "$GUARD_CHAIN" 2>/dev/null && iptables -t mangle -X "$GUARD_CHAIN" 2>/dev/null

# The network: routes go with the bridge; pinned pod network namespaces; ip_forward as before.
ip route del "$SERVICE_CIDR" dev "$BRIDGE" 2>/dev/null || true
ip route del "$POD_SUPERNET" dev "$BRIDGE" 2>/dev/null || true
ip link del "$BRIDGE" 2>/dev/null || true
for ns in /run/netns/cni-*; do [[ -e "$ns" ]] && { umount "$ns" 2>/dev/null; rm -f "$ns"; }; done
[[ -f "$RUN_DIR/ip_forward.before" ]] && cat "$RUN_DIR/ip_forward.before" >/proc/sys/net/ipv4/ip_forward

# Mounts under the run folder (projected-token tmpfs, container rootfs overlays, shm), deepest first.
if [[ -d "$RUN_DIR" ]]; then
  awk -v root="$RUN_DIR/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
  done
fi
# Host paths: our entries, then the folders that were not there before kube-up.
find /var/log/containers -maxdepth 1 -lname "$RUN_DIR/*" -delete 2>/dev/null || true
if [[ -f "$RUN_DIR/host-paths.before" ]]; then
  # Only paths kube-up saw absent: whatever was there before (or was never checked) stays.
  while read -r state path; do
    [[ "$state" == absent && -n "$path" ]] && rm -rf --one-file-system "$path"
  done <"$RUN_DIR/host-paths.before"
fi
# The run folder, except its logs (kept for reading after a failure).
if [[ -d "$RUN_DIR" ]]; then
  if grep -q " $RUN_DIR/" /proc/mounts; then die "something is still mounted under $RUN_DIR; not removing it"; fi
  find "$RUN_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf --one-file-system {} +
fi
[[ -c /dev/null ]] || die "/dev/null is no longer a character device"
say "down: nothing of the cluster is left (logs kept in $LOG_DIR)"
