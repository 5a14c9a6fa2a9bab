#!/usr/bin/env bash
# `make images`: anypod/{auth,catalog,cart,migrate}:<version> from the one Dockerfile, with the
# version of helm/anypod/Chart.yaml, and each image's size. Uses docker when a Docker engine
# answers (users' machines); otherwise podman with the project's configuration (podman.sh) and,
# as root, the locally made base image (base-image.sh) so nothing is pulled.
# Usage: build.sh [auth] [catalog] [cart] [migrate]      (default: all four)
source "$(dirname "$0")/common.sh"
all=(auth catalog cart migrate)
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")
for name in "${wanted[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || die "unknown image '$name': choose from ${all[*]}"
done
version=$(image_version)
eng=$(engine)

if [ "$eng" = podman ]; then
  cli=("$images_dir/podman.sh")
  if [ "$(id -u)" = 0 ]; then
    WITH_IMAGES=1 bash "$repo_root/tools/infra/ensure-packages.sh"
    bash "$images_dir/base-image.sh"
  else
    log "not root: the base image is not made here; podman pulls node:24-bookworm-slim if it is missing"
  fi
else
  cli=(docker)
fi

log "building ${wanted[*]} at version $version with $eng"
sizes=()
for name in "${wanted[@]}"; do
  started=$(date +%s)
  tag="anypod/$name:$version"
  if [ "$name" = migrate ]; then args=(--target migrate); else args=(--target service --build-arg "SERVICE=$name"); fi
  logfile="$containers_dir/build-$name.log"
  mkdir -p "$containers_dir"
  # The whole build log goes to a file; the console gets the step lines, so progress shows.
  if ! "${cli[@]}" build "${args[@]}" -t "$tag" -f "$repo_root/Dockerfile" "$repo_root" 2>&1 | tee "$logfile" | grep --line-buffered -E '^(\[[0-9]+/[0-9]+\] )?STEP|^#[0-9]+ \[' >&2; then
    tail -n 30 "$logfile" >&2
    die "building $tag failed (whole log: $logfile)"
  fi
  # The tag must now exist (and its size is what the user wants to see).
  size=$("${cli[@]}" image inspect --format '{{.Size}}' "$tag") || die "$tag was not built (log: $logfile)"
  line=$(printf '%-26s %5d MB  (%d s)' "$tag" $((size / 1000000)) $(($(date +%s) - started)))
  log "built $line"
  sizes+=("$line")
done
log "images (sizes as $eng reports them, base image included):"
printf '  %s\n' "${sizes[@]}" >&2
