#!/usr/bin/env bash
# make kube-up: a one-node Kubernetes on this machine, from the binaries tools/go builds from
# source (../../../shared/docs/kubernetes-from-source.md has the facts behind every setting).
# Stages, each timed: clean up a previous run (kube-down), network and guard, certificates,
# etcd, API server, controller-manager + scheduler, CoreDNS, containerd (+ pause image),
# kubelet (node Ready), kube-proxy (first rule sync), kube-router (NetworkPolicies), the Gateway
# API CRDs and the gateway (nginx fed by the API).
# Every process it starts is recorded by PID in $RUN_DIR/pids; kube-down stops exactly those.
# Needs root (a bridge, routes, iptables, mounts). Usage: up.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ "$(id -u)" == 0 ]] || die "the cluster needs root (bridge, routes, iptables, containerd)"
take_lock
for bin in etcd containerd ctr runc iptables ipset ip openssl curl /usr/lib/cni/bridge /usr/lib/cni/host-local; do
  command -v "$bin" >/dev/null || [[ -x "$bin" ]] || die "$bin is missing (make kube-up installs the Debian packages: see tools/kube/README.md)"
done
started_all=$SECONDS

stage_started=$SECONDS
stage() { log "$1"; stage_started=$SECONDS; }
stage_done() { log "    done in $((SECONDS - stage_started)) s${1:+: $1}"; }

# Starts a component in its own session, output to its log, PID recorded.
start() {
  local name=$1
  shift
  setsid "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$PID_DIR/$name.pid"
}

# wait_for NAME COMPONENT TIMEOUT-S COMMAND...: polls COMMAND; fails at once if COMPONENT died.
wait_for() {
  local what=$1 component=$2 timeout=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$component" ]] && ! running "$component"; then
      tail -n 15 "$LOG_DIR/$component.log" >&2 || true
      die "$component exited while waiting for $what (log: $LOG_DIR/$component.log)"
    fi
    ((SECONDS < deadline)) || die "timed out after $timeout s waiting for $what (logs in $LOG_DIR)"
    sleep 0.25
  done
}

port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# 0. Binaries first (a cold machine builds them: minutes), then whatever a previous run left.
stage "binaries (tools/go: Kubernetes $(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { print $2; exit }' "$repo_root/tools/go/kubernetes/go.mod"), crictl, coredns)"
BIN_kube_apiserver=$(tool kube-apiserver)
BIN_kube_controller_manager=$(tool kube-controller-manager)
BIN_kube_scheduler=$(tool kube-scheduler)
BIN_kubelet=$(tool kubelet)
BIN_kube_proxy=$(tool kube-proxy)
BIN_coredns=$(tool coredns)
BIN_kube_router=$(tool kube-router)
KUBECTL=$(tool kubectl)
tool crictl >/dev/null # kube-down removes pods with it
stage_done
stage "cleaning up a previous run (kube-down)"
bash "$kube_dir/down.sh" --quiet
for port in "$API_PORT" "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$ETCD_METRICS_PORT" "$COREDNS_READY_PORT" 10248 10249 10256 10257 10259; do
  port_free 127.0.0.1 "$port" || die "port $port on 127.0.0.1 is in use by another program; the cluster needs it (see tools/kube/README.md)"
done
mkdir -p "$RUN_DIR" "$LOG_DIR" "$PID_DIR"
stage_done

# 1. The network and the guard, before any component starts: pods and Services live on our own
#    bridge, both ranges are routed to it (an unsynced ClusterIP would otherwise follow the
#    default route off the machine), and pod traffic that would leave the bridge is dropped.
stage "network: bridge $BRIDGE $NODE_IP/24, routes for $POD_SUPERNET and $SERVICE_CIDR, guard chain $GUARD_CHAIN"
cat /proc/sys/net/ipv4/ip_forward >"$RUN_DIR/ip_forward.before"
# Which hard-coded host paths exist now: kube-down removes only those recorded as absent.
for path in "${HARD_CODED_HOST_PATHS[@]}"; do
  if [[ -e "$path" ]]; then echo "present $path"; else echo "absent $path"; fi
done >"$RUN_DIR/host-paths.before"
[[ -c /dev/null ]] || die "/dev/null is not a character device on this machine: refusing to start"
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
ip route replace "$POD_SUPERNET" dev "$BRIDGE"
ip route replace "$SERVICE_CIDR" dev "$BRIDGE"
# In the mangle table: its FORWARD chain runs before the filter table's, where kube-proxy and
# the CNI plugins insert their own ACCEPT rules at the top, so nothing they add can come first.
iptables -t mangle -N "$GUARD_CHAIN"
iptables -t mangle -A "$GUARD_CHAIN" -s "$POD_SUPERNET" ! -o "$BRIDGE" -j DROP
iptables -t mangle -I FORWARD 1 -j "$GUARD_CHAIN"
stage_done

stage "certificates and kubeconfigs"
bash "$kube_dir/pki.sh"
stage_done

stage "etcd (127.0.0.1:$ETCD_CLIENT_PORT)"
start etcd etcd --name anypod --data-dir "$RUN_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "anypod=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "http://127.0.0.1:$ETCD_METRICS_PORT"
wait_for "etcd health" etcd 30 curl -fsS "http://127.0.0.1:$ETCD_METRICS_PORT/health"
stage_done

stage "kube-apiserver ($API_URL, PodSecurity admission on)"
pki=$RUN_DIR/pki
# On loopback the lease endpoint reconciler cannot publish the API's address (an Endpoints
# object may not hold 127.0.0.1), so it is off: pods do not reach the API, and the chart needs
# nothing from it.
start kube-apiserver "$BIN_kube_apiserver" --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --service-cluster-ip-range="$SERVICE_CIDR" --client-ca-file="$pki/ca.crt" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction,PodSecurity \
  --allow-privileged=false --profiling=false
wait_for "the API server's /readyz" kube-apiserver 60 kubectl_ get --raw /readyz
stage_done

stage "kube-controller-manager and kube-scheduler"
cm=$RUN_DIR/controller-manager.kubeconfig
sched=$RUN_DIR/scheduler.kubeconfig
start kube-controller-manager "$BIN_kube_controller_manager" --kubeconfig="$cm" \
  --authentication-kubeconfig="$cm" --authorization-kubeconfig="$cm" --bind-address=127.0.0.1 \
  --leader-elect=false --use-service-account-credentials=true --allocate-node-cidrs=false \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --service-cluster-ip-range="$SERVICE_CIDR" --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key"
start kube-scheduler "$BIN_kube_scheduler" --kubeconfig="$sched" --authentication-kubeconfig="$sched" \
  --authorization-kubeconfig="$sched" --bind-address=127.0.0.1 --leader-elect=false
wait_for "the controller-manager's /healthz" kube-controller-manager 60 curl -fsk https://127.0.0.1:10257/healthz
wait_for "the scheduler's /healthz" kube-scheduler 60 curl -fsk https://127.0.0.1:10259/healthz
stage_done

# Cluster DNS on the host, on the bridge address, through the API: answers cluster.local and
# the reverse zone; every other name gets NXDOMAIN from CoreDNS itself (nothing is forwarded).
stage "CoreDNS ($NODE_IP:53, $CLUSTER_DOMAIN only)"
cat >"$RUN_DIR/Corefile" <<COREFILE
$CLUSTER_DOMAIN:53 in-addr.arpa:53 {
    bind $NODE_IP
    errors
    ready 127.0.0.1:$COREDNS_READY_PORT
    kubernetes $CLUSTER_DOMAIN in-addr.arpa {
        kubeconfig $KUBECONFIG_FILE anypod
    }
    cache 5
}
.:53 {
    bind $NODE_IP
    template ANY ANY {
        rcode NXDOMAIN
    }
}
COREFILE
start coredns "$BIN_coredns" -conf "$RUN_DIR/Corefile"
wait_for "CoreDNS /ready" coredns 30 curl -fsS "http://127.0.0.1:$COREDNS_READY_PORT/ready"
stage_done

stage "containerd (socket $CONTAINERD_SOCK) and the pause image"
mkdir -p "$RUN_DIR/containerd" "$RUN_DIR/cni/net.d" "$RUN_DIR/cni/ipam" "$RUN_DIR/kubelet" "$RUN_DIR/pod-logs"
cat >"$RUN_DIR/containerd/config.toml" <<TOML
version = 2
root = "$RUN_DIR/containerd/root"
state = "$RUN_DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # The kubelet asks for oom_score_adj -998/-997; lowering it needs CAP_SYS_RESOURCE, which this
  # machine's root lacks (runc init dies). containerd clamps the value to its own instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # runc: crun fails on this machine's hybrid cgroup layout.
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN_DIR/cni/net.d"
TOML
# Pods get their subnet and the Service range, no default route: nothing can leave the bridge.
cat >"$RUN_DIR/cni/net.d/10-anypod.conflist" <<JSON
{ "cniVersion": "0.4.0", "name": "anypod", "plugins": [
  { "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": { "type": "host-local", "dataDir": "$RUN_DIR/cni/ipam",
              "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
              "routes": [{ "dst": "$SERVICE_CIDR" }] } },
  { "type": "portmap", "capabilities": { "portMappings": true } } ] }
JSON
start containerd containerd --config "$RUN_DIR/containerd/config.toml"
wait_for "containerd" containerd 30 ctr --address "$CONTAINERD_SOCK" version
bash "$repo_root/tools/images/standin/build.sh" pause >&2
bash "$kube_dir/import-image.sh" "$PAUSE_IMAGE"
stage_done

stage "kubelet (node $NODE_NAME at $NODE_IP)"
cat >"$RUN_DIR/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: $pki/ca.crt } }
authorization: { mode: Webhook }
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
# No kubepods/QoS cgroup hierarchy on this hybrid cgroup v1 layout (then no node allocatable either).
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
# 1.35 refuses cgroup v1 hosts unless told otherwise; this machine is hybrid v1.
failCgroupV1: false
podLogsDir: $RUN_DIR/pod-logs
resolvConf: /etc/resolv.conf
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$NODE_IP]
maxPods: 40
evictionHard: { memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%" }
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
YAML
node_ready() {
  [[ "$(kubectl_ get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
# --containerd: the kubelet's cAdvisor asks containerd which pod and container a cgroup belongs
# to; without our socket its metrics carry no namespace/pod/container labels (seen here), and the
# dashboards' CPU and memory panels would be empty. The flag is deprecated but has no replacement.
start kubelet "$BIN_kubelet" --config="$RUN_DIR/kubelet/config.yaml" --kubeconfig="$RUN_DIR/kubelet.kubeconfig" \
  --root-dir="$RUN_DIR/kubelet" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --containerd="$CONTAINERD_SOCK"
wait_for "node $NODE_NAME Ready" kubelet 90 node_ready
stage_done

stage "kube-proxy (iptables mode) and its first rule sync"
cat >"$RUN_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $RUN_DIR/kube-proxy.kubeconfig }
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_SUPERNET
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: $KUBE_PROXY_METRICS
# NodePorts only on the bridge address; localhostNodePorts off leaves route_localnet alone.
nodePortAddresses: ["$NODE_IP/32"]
iptables: { localhostNodePorts: false }
# Zeros leave the conntrack sysctls as they are.
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
YAML
start kube-proxy "$BIN_kube_proxy" --config="$RUN_DIR/kube-proxy.yaml"
# Its healthz answers before the first sync: the sync timestamp is the condition that counts.
wait_for "kube-proxy's first rule sync" kube-proxy 60 bash "$kube_dir/proxy-synced.sh"
stage_done

# NetworkPolicies are enforced: kube-router with only its firewall (the CNI bridge routes, kube-proxy
# balances Services), reading the API with its own read-only identity. Its first sync creates the
# KUBE-ROUTER-FORWARD chain: that is the condition waited for.
stage "kube-router v2.1.0 (NetworkPolicy enforcement, firewall only)"
kubectl_ apply -f "$kube_dir/netpol-rbac.yaml" >/dev/null
start kube-router "$BIN_kube_router" --kubeconfig="$RUN_DIR/kube-router.kubeconfig" \
  --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false --enable-cni=false \
  --enable-ipv4=true --enable-ipv6=false --hostname-override="$NODE_NAME" \
  --service-cluster-ip-range="$SERVICE_CIDR" --service-node-port-range=30000-32767 \
  --health-port=0 --metrics-port=0 --iptables-sync-period=1m --cache-sync-timeout=60s -v=1
wait_for "kube-router's first policy sync" kube-router 90 iptables -w -S KUBE-ROUTER-FORWARD
stage_done

# The Gateway API's standard CRDs (the chart's routes are HTTPRoutes), as a cluster with a
# Gateway controller has them; server-side apply, since the CRDs exceed the client-side
# last-applied annotation's size limit.
stage "Gateway API CRDs (tools/go/gateway-api)"
kubectl_ apply --server-side --force-conflicts -f "$(bash "$repo_root/tools/go/go-tools.sh" crds)" >/dev/null
kubectl_ wait --for condition=Established --timeout 60s crd --all >/dev/null
stage_done

stage "gateway: the project's nginx in front of the cluster, fed by the API (tools/kube/gateway)"
bash "$kube_dir/gateway.sh" start
stage_done "$(cat "$RUN_DIR/gateway.url")"

# Prometheus and Jaeger on the node, configured from the chart (tools/kube/observability.ts): the
# pods send traces to Jaeger on the bridge; Prometheus finds them through prometheus-sd/ (Debian's
# Prometheus has no Kubernetes discovery of its own) and scrapes the kubelet's cAdvisor.
stage "observability: pod discovery, Jaeger (OTLP on $NODE_IP:$OTLP_PORT), Prometheus"
kubectl_ apply -f "$kube_dir/prometheus-rbac.yaml" >/dev/null
start prometheus-sd node --import tsx "$repo_root/tools/kube/prometheus-sd/cli.ts" \
  --kubeconfig "$RUN_DIR/prometheus.kubeconfig" --listen "127.0.0.1:$PROMETHEUS_SD_PORT"
wait_for "the pod discovery's first list" prometheus-sd 60 curl -fsS --max-time 2 "http://127.0.0.1:$PROMETHEUS_SD_PORT/targets"
node --import tsx "$repo_root/tools/kube/observability.ts" start 9>&- >"$LOG_DIR/observability.log" 2>&1 ||
  { tail -n 20 "$LOG_DIR/observability.log" >&2; die "Prometheus or Jaeger did not start (log: $LOG_DIR/observability.log)"; }
stage_done "Prometheus $(cat "$RUN_DIR/prometheus.url"), Jaeger $(cat "$RUN_DIR/jaeger.url")"

log "cluster up in $((SECONDS - started_all)) s: $($KUBECTL version --kubeconfig "$KUBECONFIG_FILE" -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -n1) on node $NODE_NAME"
log "  kubeconfig  $KUBECONFIG_FILE   (tools/kube/kubectl.sh get pods -A)"
log "  gateway     $(cat "$RUN_DIR/gateway.url")"
log "  prometheus  $(cat "$RUN_DIR/prometheus.url")   jaeger  $(cat "$RUN_DIR/jaeger.url")"
log "  next        make kube-deploy   (the chart, by quickstart/deploy.sh)"
