#!/usr/bin/env bash
# The machine's substitute for a registry: makes `node:24-bookworm-slim` locally, so the project's
# unmodified Dockerfile (`FROM node:24-bookworm-slim`) builds with no pull. Only for podman on a
# machine that cannot pull (this one); with a Docker engine the real image is pulled instead.
# Recipe (../../../shared/docs/environment.md, "Containers"): debootstrap's minbase Debian 12
# from the mirror in /etc/apt/sources.list.d, the Node binary .node-version pins (the one
# tools/infra/ensure-node.sh installs), npm, a `node` user 1000:1000 like the official image, and
# the host's CA bundle with NODE_EXTRA_CA_CERTS (package downloads inside builds go through this
# machine's TLS-intercepting network; that belongs to this base, never to the Dockerfile).
# Cached: skipped when the image exists with the same recipe key (label anypod.base.recipe).
# Usage: base-image.sh [--force]     (needs root: debootstrap and chroot)
source "$(dirname "$0")/common.sh"
started=$(date +%s)
tag=docker.io/library/node:24-bookworm-slim
node_version=$(tr -d '[:space:]' <"$repo_root/.node-version")
# npm 11 is the line Node 24 ships with; this is its newest release (checked 2026-11-30).
npm_version=11.21.2
ca_bundle=/etc/ssl/certs/ca-certificates.crt
podman=("$images_dir/podman.sh")

# shellcheck source=debian-rootfs.sh
source "$images_dir/debian-rootfs.sh"
mirror=$(debian_mirror)
[ -f "$ca_bundle" ] || die "$ca_bundle is missing (apt-get install -y ca-certificates)"

# Everything that shapes the image: this script and debian-rootfs.sh, the versions, the mirror and the CA bundle.
key=$( { cat "$0" "$images_dir/debian-rootfs.sh"; echo "$node_version $npm_version $mirror"; cat "$ca_bundle"; } | sha256sum | cut -c1-16)
have=$("${podman[@]}" image inspect --format '{{ index .Labels "anypod.base.recipe" }}' "$tag" 2>/dev/null || true)
if [ "${1:-}" != --force ] && [ -n "$have" ]; then
  if [ "$have" = "$key" ]; then log "base image $tag is current (recipe $key)"; exit 0; fi
  if [ "$have" = "<no value>" ]; then log "$tag exists and was not made here (a pulled image?): keeping it"; exit 0; fi
fi
[ "$(id -u)" = 0 ] || die "making the base image needs root (debootstrap, chroot)"
for tool in debootstrap podman; do command -v "$tool" >/dev/null || die "$tool is not installed (make images installs it)"; done
bash "$repo_root/tools/infra/ensure-node.sh"
# The binary ensure-node.sh installed, or the machine's own when it is exactly that version
# (ensure-node.sh installs nothing then).
node_bin="$cache_dir/node-$node_version/bin/node"
if [ ! -x "$node_bin" ] && [ "$(node --version 2>/dev/null || true)" = "v$node_version" ]; then node_bin=$(command -v node); fi
[ -x "$node_bin" ] || die "no Node $node_version binary: not in $cache_dir/node-$node_version (tools/infra/ensure-node.sh), nor the machine's own node"

log "making $tag (recipe $key): Debian bookworm minbase from $mirror, Node $node_version, npm $npm_version"
new_rootfs base "$mirror"

# Node and npm where the official image has them.
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
# The official image's user: uid/gid 1000, so `USER 1000:1000` is the `node` user.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
install -D -m 0644 "$ca_bundle" "$rootfs$ca_bundle"

# Trim like debian:bookworm-slim: no docs, man pages, translations or apt caches.
slim_rootfs "$rootfs"

step=$(date +%s)
tar --numeric-owner -C "$rootfs" -c . | "${podman[@]}" import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$node_version" \
  --change "ENV NODE_EXTRA_CA_CERTS=$ca_bundle" \
  --change "LABEL anypod.base.recipe=$key" \
  --change 'CMD ["node"]' \
  --quiet - "$tag" >/dev/null
log "  import: $(($(date +%s) - step)) s"
"${podman[@]}" run --rm --network none "$tag" node -e 'if (!process.version) process.exit(1)' ||
  die "the new base image cannot run node"
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
log "base image $tag ready: $((size / 1000000)) MB, $(($(date +%s) - started)) s"
