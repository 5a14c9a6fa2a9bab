#!/usr/bin/env bash
# Installs what the project needs from Debian and npm when it is missing. Idempotent: a machine
# that already has everything only pays for a few `command -v` checks.
source "$(dirname "$0")/common.sh"

need=()
[ -x "$PG_BIN/initdb" ] || need+=(postgresql-15)
command -v redis-server >/dev/null || need+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
# The lint test runs shellcheck over every tracked *.sh; actionlint uses it for workflows' run: blocks.
command -v shellcheck >/dev/null || need+=(shellcheck)
# Prometheus for the local cluster's metrics (tools/observability) and promtool for the alert rules'
# tests. The package starts no service (no systemd here); the project runs its own.
[ -x /usr/bin/prometheus ] || need+=(prometheus)
if [ "${WITH_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null; then need+=(chromium); fi
# Schemathesis runs in a virtualenv of the project's own (tools/schemathesis/venv.sh): Debian splits venv off.
if [ "${WITH_PYTHON_VENV:-0}" = 1 ] && ! python3 -c 'import ensurepip' 2>/dev/null; then need+=(python3-venv); fi
# make images without a Docker engine: podman with runc (crun fails here) and debootstrap for the
# locally made base image (tools/images, environment.md "Containers").
if [ "${WITH_IMAGES:-0}" = 1 ]; then
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$tool"); done
fi
# The one-node Kubernetes (tools/kube): Debian's etcd, containerd, CNI plugins, iptables and ipset; gcc
# and the static libc for the stand-in pause image (../../../shared/docs/kubernetes-from-source.md).
if [ "${WITH_KUBE:-0}" = 1 ]; then
  command -v etcd >/dev/null || need+=(etcd-server)
  for tool in containerd iptables gcc; do command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || need+=("$tool"); done
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  # kube-router, the NetworkPolicy controller, keeps its address sets in ipset.
  command -v ipset >/dev/null || [ -x /usr/sbin/ipset ] || need+=(ipset)
  [ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "missing ${need[*]}: run as root or install them with apt-get"; exit 1; }
  log "installing from Debian: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# nginx's package starts a system instance on port 80; the project runs its own, so stop that one.
if [ -f /etc/init.d/nginx ] && pgrep -f 'nginx: master process /usr/sbin/nginx -g' >/dev/null 2>&1; then
  /usr/sbin/nginx -s quit 2>/dev/null || true
fi

want_pnpm=$(node -p "require(process.argv[1]).packageManager.split('@')[1]" "$(cd "$(dirname "$0")/../.." && pwd)/package.json")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  log "installing pnpm@$want_pnpm (the version pinned in package.json)"
  npm install -g --silent "pnpm@$want_pnpm"
fi
