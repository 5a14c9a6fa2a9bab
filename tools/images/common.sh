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

# shellcheck source=image-rules.sh
source "$images_dir/image-rules.sh"
image_version() { image_version_of "$repo_root/helm/anypod"; }
engine() { image_engine; }
