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

# One build of the Dockerfile: the whole log goes to a file, the console gets the step lines
# (podman's STEP, BuildKit's #n [stage]) so progress shows; on failure, the log's end.
build() {
  local logfile=$1
  shift
  if ! "${cli[@]}" build "$@" -f "$repo_root/Dockerfile" "$repo_root" 2>&1 | tee "$logfile" | grep --line-buffered -E '^(\[[0-9]+/[0-9]+\] )?STEP|^#[0-9]+ \[' >&2; then
    tail -n 30 "$logfile" >&2
    die "$eng build $* failed (whole log: $logfile)"
  fi
}

log "building ${wanted[*]} at version $version with $eng"
mkdir -p "$containers_dir"
# podman: the shared build stage first, under a tag of its own: the four builds below reuse it,
# and the tag keeps its cached layers out of the prune at the end. (BuildKit keeps its own cache.)
if [ "$eng" = podman ]; then
  started=$(date +%s)
  build "$containers_dir/build-stage.log" --target build -t anypod/build-cache:latest
  log "build stage (install, Prisma generate, bundles, deploys) ready in $(($(date +%s) - started)) s"
fi
sizes=()
for name in "${wanted[@]}"; do
  started=$(date +%s)
  tag="anypod/$name:$version"
  if [ "$name" = migrate ]; then args=(--target migrate); else args=(--target service --build-arg "SERVICE=$name"); fi
  logfile="$containers_dir/build-$name.log"
  if [ "$eng" = podman ]; then
    # podman 4.3 never reuses a cached `COPY --from` layer, so an unchanged image would still be
    # rebuilt (~5 s each). A final stage only copies from the build stage onto the base image:
    # the two image ids, the Dockerfile and the arguments decide it, kept as a label.
    key=$( { "${cli[@]}" image inspect --format '{{.Id}}' anypod/build-cache:latest node:24-bookworm-slim; echo "${args[*]}"; cat "$repo_root/Dockerfile"; } | sha256sum | cut -c1-16)
    if [ "$("${cli[@]}" image inspect --format '{{ index .Labels "anypod.build.key" }}' "$tag" 2>/dev/null || true)" = "$key" ]; then
      size=$("${cli[@]}" image inspect --format '{{.Size}}' "$tag")
      sizes+=("$(printf '%-26s %5d MB  (up to date)' "$tag" $((size / 1000000)))")
      log "up to date: $tag (build key $key)"
      continue
    fi
    args+=(--label "anypod.build.key=$key")
  fi
  build "$logfile" "${args[@]}" -t "$tag"
  # The tag must now exist (and its size is what the user wants to see).
  size=$("${cli[@]}" image inspect --format '{{.Size}}' "$tag") || die "$tag was not built (log: $logfile)"
  line=$(printf '%-26s %5d MB  (%d s)' "$tag" $((size / 1000000)) $(($(date +%s) - started)))
  log "built $line"
  sizes+=("$line")
done
if [ "$eng" = podman ]; then
  # Layers of earlier builds that nothing tagged uses any more (every source change leaves a 1 GB
  # build stage behind). Only the project's own store is touched (podman.sh), never the machine's.
  "${cli[@]}" image prune --force >/dev/null
  log "store: $(du -sh "$containers_dir/storage" 2>/dev/null | cut -f1) in $containers_dir (delete it to start from nothing)"
fi
log "images (sizes as $eng reports them, base image included):"
printf '  %s\n' "${sizes[@]}" >&2
