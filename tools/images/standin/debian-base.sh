#!/usr/bin/env bash
# The base of the stand-in Postgres and Valkey images (README.md): a plain Debian 12 minbase,
# `localhost/anypod-standin/debian:bookworm-minbase`, made like tools/images/base-image.sh makes
# node:24-bookworm-slim (debootstrap, then podman import) but with nothing added: no Node, no CA
# bundle. apt inside `podman build` reaches the same Debian mirror the host uses (its sources are
# copied in, security updates included), and dpkg is told to skip docs, man pages and
# translations, so every package installed on top stays slim, like debian:bookworm-slim.
# Cached: skipped when the image exists with the same recipe (label anypod.standin.recipe).
# Usage: debian-base.sh [--force]      prints the image name; needs root (debootstrap, chroot)
# shellcheck source=../common.sh
source "$(dirname "$0")/../common.sh"
tag=localhost/anypod-standin/debian:bookworm-minbase
podman=("$images_dir/podman.sh")

# shellcheck source=../debian-rootfs.sh
source "$images_dir/debian-rootfs.sh"
mapfile -t sources < <(apt_sources)
mirror=$(debian_mirror)

key=$( { cat "$0" "$images_dir/debian-rootfs.sh"; echo "$mirror"; cat "${sources[@]}"; } | sha256sum | cut -c1-16)
have=$("${podman[@]}" image inspect --format '{{ index .Labels "anypod.standin.recipe" }}' "$tag" 2>/dev/null || true)
if [ "${1:-}" != --force ] && [ "$have" = "$key" ]; then
  log "  $tag is current (recipe $key)"
  echo "$tag"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "making $tag needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install -y debootstrap)"

started=$(date +%s)
log "  making $tag (recipe $key): Debian bookworm minbase from $mirror"
new_rootfs standin-base "$mirror"

# The host's sources instead of debootstrap's one line: bookworm-updates and -security as well.
rm -f "$rootfs/etc/apt/sources.list"
for file in "${sources[@]}"; do install -D -m 0644 "$file" "$rootfs$file"; done
# What debian:bookworm-slim excludes, and no recommended packages unless asked for.
slim_rootfs "$rootfs"
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90standin-no-recommends"
# No daemon may start while packages install inside a build (redis-server's postinst tries).
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

step=$(date +%s)
old=$("${podman[@]}" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
tar --numeric-owner -C "$rootfs" -c . | "${podman[@]}" import \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "LABEL anypod.standin.recipe=$key" \
  --change 'CMD ["bash"]' \
  --quiet - "$tag" >/dev/null
log "    import: $(($(date +%s) - step)) s"
# The base this one replaces, now untagged; kept while an image built on it still exists.
if [ -n "$old" ]; then "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true; fi
size=$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")
log "  $tag ready: $((size / 1000000)) MB, $(($(date +%s) - started)) s"
echo "$tag"
