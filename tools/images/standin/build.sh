#!/usr/bin/env bash
# Builds the stand-in images (README.md) in the project's podman store, for a machine that can
# pull nothing: the chart's third-party images made locally, under names that say what they are.
#   localhost/anypod-standin/postgres:15-bookworm   Debian's PostgreSQL 15, the official image's contract
#   localhost/anypod-standin/valkey:7.0-bookworm    Debian's redis-server 7.0 as valkey-server/valkey-cli
#   localhost/anypod-standin/pause:3.10             a static pause binary, FROM scratch
# Idempotent: an image is skipped when it exists with the same recipe (label anypod.standin.recipe:
# a hash of its folder, this script and what it is built on); --force rebuilds.
# Usage: build.sh [--force] [postgres|valkey|pause ...]     (root: debootstrap for the base)
# shellcheck source=../common.sh
source "$(dirname "$0")/../common.sh"
standin_dir="$images_dir/standin"
podman=("$images_dir/podman.sh")
all=(postgres valkey pause)
declare -A tags=(
  [postgres]=localhost/anypod-standin/postgres:15-bookworm
  [valkey]=localhost/anypod-standin/valkey:7.0-bookworm
  [pause]=localhost/anypod-standin/pause:3.10
)

force=
names=()
for arg in "$@"; do
  case "$arg" in
    --force) force=--force ;;
    postgres | valkey | pause) names+=("$arg") ;;
    *) die "unknown argument '$arg' (usage: build.sh [--force] [postgres|valkey|pause ...])" ;;
  esac
done
[ "${#names[@]}" -gt 0 ] || names=("${all[@]}")
command -v podman >/dev/null || die "podman is not installed (apt-get install -y podman runc; make images installs it)"
started=$(date +%s)

recipe_of() { "${podman[@]}" image inspect --format '{{ index .Labels "anypod.standin.recipe" }}' "$1" 2>/dev/null || true; }

# build <name> <key> <context> [podman build options]: skips a current image, removes the one it replaces.
build() {
  local name=$1 key=$2 context=$3 tag=${tags[$1]}
  shift 3
  if [ -z "$force" ] && [ "$(recipe_of "$tag")" = "$key" ]; then
    log "$tag is current (recipe $key)"
    return
  fi
  local old step
  old=$("${podman[@]}" image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
  step=$(date +%s)
  log "building $tag (recipe $key)"
  if ! "${podman[@]}" build --pull=never --layers=false --label "anypod.standin.recipe=$key" \
    -f "$context/Containerfile" -t "$tag" "$@" "$context" >"$work/$name.log" 2>&1; then
    tail -n 30 "$work/$name.log" >&2
    die "building $tag failed (the last lines of its log are above)"
  fi
  # The image this one replaces, now untagged; kept if a container still uses it.
  if [ -n "$old" ] && [ "$old" != "$("${podman[@]}" image inspect --format '{{.Id}}' "$tag")" ]; then
    "${podman[@]}" rmi "$old" >/dev/null 2>&1 || true
  fi
  log "  $tag built in $(($(date +%s) - step)) s"
}

mkdir -p "$containers_dir"
work=$(mktemp -d "$containers_dir/standin.XXXXXX")
trap 'rm -rf "$work"' EXIT
self=$(sha256sum "$0" | cut -c1-64)
folder_hash() { (cd "$standin_dir/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64; }

base=
for name in "${names[@]}"; do
  case "$name" in
    postgres | valkey)
      if [ -z "$base" ]; then
        base=$(bash "$standin_dir/debian-base.sh" $force)
        base_id=$("${podman[@]}" image inspect --format '{{.Id}}' "$base")
      fi
      key=$(echo "$self $(folder_hash "$name") $base_id" | sha256sum | cut -c1-16)
      # The network for apt only: the packages come from the host's own Debian mirror.
      build "$name" "$key" "$standin_dir/$name" --build-arg "BASE=$base"
      ;;
    pause)
      command -v gcc >/dev/null || die "gcc is not installed (apt-get install -y gcc libc6-dev): the pause binary is compiled here"
      [ -f "$(gcc -print-file-name=libc.a)" ] || die "no static libc (apt-get install -y libc6-dev)"
      key=$(echo "$self $(folder_hash pause) $(gcc --version | head -n1)" | sha256sum | cut -c1-16)
      context="$work/pause"
      mkdir -p "$context"
      cp "$standin_dir/pause/Containerfile" "$context/"
      # -static: FROM scratch has no libc; -Os -s: a few hundred KB, like the upstream binary.
      gcc -static -Os -s -Wall -Wextra -Werror -DSTANDIN_VERSION='"3.10"' -o "$context/pause" "$standin_dir/pause/pause.c" ||
        die "compiling pause.c failed"
      build pause "$key" "$context" --network none
      ;;
  esac
done

log "stand-in images ($(($(date +%s) - started)) s):"
for name in "${names[@]}"; do
  size=$("${podman[@]}" image inspect --format '{{.Size}}' "${tags[$name]}")
  printf '  %-48s %s\n' "${tags[$name]}" "$(numfmt --to=si --suffix=B "$size")"
done
