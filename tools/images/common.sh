# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# Shared by the image scripts: paths, logging, and which container engine builds the images.
#   docker — when a Docker engine answers (users' machines): nothing else is set up;
#   podman — otherwise (this machine): always with the project's own containers.conf and
#            storage.conf (podman.sh), whose roots live in a cache folder outside the clone.
set -euo pipefail
images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$images_dir/../.." && pwd)
cache_dir="${ANYPOD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anypod}"
containers_dir="$cache_dir/containers"
log() { printf '\033[1m[images]\033[0m %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The one version of chart and images: helm/anypod/Chart.yaml's `version:`.
image_version() {
  local chart="$repo_root/helm/anypod/Chart.yaml" version
  [ -f "$chart" ] || die "$chart is missing: the images take their version from the chart's 'version:'"
  version=$(sed -n 's/^version:[[:space:]]*["'\'']\{0,1\}\([^"'\''[:space:]]*\).*/\1/p' "$chart" | head -n1)
  [ -n "$version" ] || die "no 'version:' line in $chart"
  printf '%s\n' "$version"
}

# ANYPOD_ENGINE=docker|podman forces a choice; otherwise docker only when its engine answers.
engine() {
  case "${ANYPOD_ENGINE:-}" in
    docker | podman) printf '%s\n' "$ANYPOD_ENGINE"; return ;;
    '') ;;
    *) die "ANYPOD_ENGINE must be docker or podman, not '$ANYPOD_ENGINE'" ;;
  esac
  if command -v docker >/dev/null && docker info >/dev/null 2>&1; then echo docker; else echo podman; fi
}
