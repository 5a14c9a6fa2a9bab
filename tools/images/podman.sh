#!/usr/bin/env bash
# podman with the project's own configuration: every image script, `make images` and the image
# tests go through here, so they all see the same store (in the cache, outside the clone).
#   bash tools/images/podman.sh images          any podman command
#   bash tools/images/podman.sh --print-env     the two variables, for another program to use
source "$(dirname "$0")/common.sh"
command -v podman >/dev/null || die "podman is not installed (apt-get install -y podman runc; or run 'make images', which installs it)"

mkdir -p "$containers_dir/tmp"
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(cat /proc/sys/kernel/pid_max)
for name in containers storage; do
  target="$containers_dir/$name.conf"
  sed -e "s|@ROOT@|$containers_dir|g" -e "s|@NOFILE@|$nofile|g" -e "s|@NPROC@|$nproc|g" "$images_dir/$name.conf.in" >"$target.new"
  # Only replace a changed file: podman may be reading the current one in another process.
  if cmp -s "$target.new" "$target"; then rm "$target.new"; else mv "$target.new" "$target"; fi
done
export CONTAINERS_CONF="$containers_dir/containers.conf"
export CONTAINERS_STORAGE_CONF="$containers_dir/storage.conf"
if [ "${1:-}" = --print-env ]; then
  printf 'CONTAINERS_CONF=%s\nCONTAINERS_STORAGE_CONF=%s\n' "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF"
  exit 0
fi
exec podman "$@"
