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
  # A temporary file of this process's own and an atomic rename: several podman.sh may run at
  # once (the image test starts containers in parallel), and podman may be reading the file.
  fresh=$(mktemp "$target.XXXXXX")
  sed -e "s|@ROOT@|$containers_dir|g" -e "s|@NOFILE@|$nofile|g" -e "s|@NPROC@|$nproc|g" "$images_dir/$name.conf.in" >"$fresh"
  if cmp -s "$fresh" "$target"; then rm "$fresh"; else chmod 644 "$fresh" && mv "$fresh" "$target"; fi
done
export CONTAINERS_CONF="$containers_dir/containers.conf"
export CONTAINERS_STORAGE_CONF="$containers_dir/storage.conf"
if [ "${1:-}" = --print-env ]; then
  printf 'CONTAINERS_CONF=%s\nCONTAINERS_STORAGE_CONF=%s\n' "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF"
  exit 0
fi
exec podman "$@"
