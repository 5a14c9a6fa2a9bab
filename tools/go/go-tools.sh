#!/usr/bin/env bash
# The project's pinned Go tools, built from source by the machine's Go into a cache outside the clone.
#   bash tools/go/go-tools.sh build          build every tool (a warm machine does nothing)
#   bash tools/go/go-tools.sh path <tool>    print a tool's binary path, building it first if missing
#   bash tools/go/go-tools.sh built <tool>   print it only if it is built already (else exit 1)
#   bash tools/go/go-tools.sh prune          remove the builds of other pins (older versions)
#   bash tools/go/go-tools.sh crds           print a folder holding the Gateway API standard CRDs
#   bash tools/go/go-tools.sh list           print the tool names
# Each tool has its own module (tools/go/<tool>/go.mod + go.sum: the pins). The cache key is a
# hash of those files and of the Go version, so a pin change or a new Go builds anew, while an
# unchanged machine finds everything in place. Progress goes to stderr; stdout carries only the
# paths a caller asked for.
set -euo pipefail

GO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT="${ANYPOD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anypod}/go-tools"

# Every tool: name, module folder under tools/go, package to build.
TOOLS=(
  "helm helm helm.sh/helm/v3/cmd/helm"
  "kubectl-validate kubectl-validate sigs.k8s.io/kubectl-validate"
  "actionlint actionlint github.com/rhysd/actionlint/cmd/actionlint"
  # The one-node cluster of tools/kube (make kube-up): one module, six binaries.
  "kube-apiserver kubernetes k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager kubernetes k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler kubernetes k8s.io/kubernetes/cmd/kube-scheduler"
  "kubelet kubernetes k8s.io/kubernetes/cmd/kubelet"
  "kube-proxy kubernetes k8s.io/kubernetes/cmd/kube-proxy"
  "kubectl kubernetes k8s.io/kubernetes/cmd/kubectl"
  "crictl crictl sigs.k8s.io/cri-tools/cmd/crictl"
  "coredns coredns github.com/coredns/coredns"
  "kube-router kube-router github.com/cloudnativelabs/kube-router/v2/cmd/kube-router"
  # Traces of the local cluster and the one-node cluster (tools/observability).
  "jaeger jaeger github.com/jaegertracing/jaeger/cmd/jaeger"
  # Our own source, not an upstream tool: runs the bundled k6 scripts in Sobek (load-tests).
  "k6-harness k6-harness ."
)

# Tools built from this repository's own source: their key hashes their source too, and they live
# in a cache folder of their own, so editing them never invalidates the upstream tools' key
# (a Kubernetes build takes many minutes).
OWN_SOURCE_TOOLS=(k6-harness)

# Only the Go the machine has: a go directive newer than it must fail loudly, never download
# another toolchain. -mod=readonly: the committed go.sum is the pin, a build never rewrites it.
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
# Static binaries, as the upstream release builds are (helm's Makefile sets CGO_ENABLED=0 too).
export CGO_ENABLED=0

# build says which tools were there already; path stays quiet (its callers read stdout only).
REPORT_CACHED=0

log() { printf 'go-tools: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go is not on PATH (Go 1.26 or newer is needed to build the pinned tools)"
command -v flock >/dev/null 2>&1 || die "flock is not on PATH (Debian package util-linux)"

tool_entry() {
  local entry
  for entry in "${TOOLS[@]}"; do
    if [[ "${entry%% *}" == "$1" ]]; then
      printf '%s\n' "$entry"
      return 0
    fi
  done
  return 1
}

tool_names() {
  local entry
  for entry in "${TOOLS[@]}"; do printf '%s\n' "${entry%% *}"; done
}

is_own_source() {
  local own
  for own in "${OWN_SOURCE_TOOLS[@]}"; do [[ "$own" == "$1" ]] && return 0; done
  return 1
}

cache_key() {
  # The pins of every upstream module plus the compiler: any change gives a new folder. The
  # own-source tools' folders are left out, so the key is the one it was before they existed.
  local prune=() own
  for own in "${OWN_SOURCE_TOOLS[@]}"; do prune+=(-path "./$own" -prune -o); done
  {
    go env GOVERSION
    (cd "$GO_DIR" && find . "${prune[@]}" \( -name go.mod -o -name go.sum \) -print | LC_ALL=C sort | while read -r file; do
      printf '%s\n' "$file"
      cat "$file"
    done)
  } | sha256sum | cut -c1-16
}

# An own-source tool's key: its go.mod, go.sum and Go files, and the compiler.
own_key() {
  {
    go env GOVERSION
    (cd "$GO_DIR/$1" && find . -name go.mod -o -name go.sum -o -name '*.go' | LC_ALL=C sort | while read -r file; do
      printf '%s\n' "$file"
      cat "$file"
    done)
  } | sha256sum | cut -c1-16
}

# The folder a tool's binary lives in (own-source tools: own/<tool>/<key>/bin).
tool_bin_dir() {
  if is_own_source "$1"; then
    printf '%s\n' "$CACHE_ROOT/own/$1/$(own_key "$1")/bin"
  else
    init_key_dir
    printf '%s\n' "$KEY_DIR/bin"
  fi
}

# Sets KEY_DIR once (called in this shell, never in a $(...), so the hash is computed once).
KEY_DIR=""
init_key_dir() {
  if [[ -z "$KEY_DIR" ]]; then
    KEY_DIR="$CACHE_ROOT/$(cache_key)"
    mkdir -p "$KEY_DIR/bin"
  fi
}

# The link flags the upstream release builds use, so the tools report their real versions
# (helm's default Capabilities.KubeVersion comes from these too: without them it is v1.20).
ldflags_for() {
  local name=$1 module_dir=$2 version
  case "$name" in
    helm)
      version=$(cd "$module_dir" && go list -m -f '{{.Version}}' helm.sh/helm/v3)
      local client_go major minor
      client_go=$(cd "$module_dir" && go list -m -f '{{.Version}}' k8s.io/client-go)
      client_go=${client_go#v}
      major=$((${client_go%%.*} + 1))
      minor=${client_go#*.}
      minor=${minor%%.*}
      printf '%s' "-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
      printf '%s' " -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
      printf '%s' " -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
      ;;
    actionlint)
      version=$(cd "$module_dir" && go list -m -f '{{.Version}}' github.com/rhysd/actionlint)
      printf '%s' "-s -w -X github.com/rhysd/actionlint.version=$version"
      ;;
    kube-router)
      version=$(cd "$module_dir" && go list -m -f '{{.Version}}' github.com/cloudnativelabs/kube-router/v2)
      printf '%s' "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$version"
      ;;
    kube-*|kubelet|kubectl)
      # The version stamps of a release build, so `kubectl version`, /version and the Node object
      # say v1.35.4 instead of v0.0.0-master.
      version=$(cd "$module_dir" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
      local pkg minor=${version#v1.}
      minor=${minor%%.*}
      printf '%s' "-s -w"
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        printf '%s' " -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
      done
      ;;
    crictl)
      version=$(cd "$module_dir" && go list -m -f '{{.Version}}' sigs.k8s.io/cri-tools)
      printf '%s' "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$version"
      ;;
    *)
      printf '%s' "-s -w"
      ;;
  esac
}

# Builds one tool unless it is there. A lock per tool lets parallel callers (vitest workers) wait
# for one build instead of racing; the binary is built in a temporary folder beside it and renamed
# into place, so an interrupted build never leaves half a tool.
ensure_tool() {
  local name=$1 entry module package dir target
  entry=$(tool_entry "$name") || die "unknown tool '$name' (known: $(tool_names | paste -sd ' '))"
  read -r _ module package <<<"$entry"
  dir=$(dirname "$(tool_bin_dir "$name")")
  mkdir -p "$dir/bin"
  target="$dir/bin/$name"
  if [[ -x "$target" ]]; then
    [[ "$REPORT_CACHED" == 1 ]] && log "$name: built already ($target)"
    return 0
  fi

  exec {lock}>"$dir/.$name.lock"
  flock "$lock"
  if [[ ! -x "$target" ]]; then
    local module_dir="$GO_DIR/$module" tmp start flags
    [[ -f "$module_dir/go.mod" ]] || die "missing $module_dir/go.mod"
    tmp=$(mktemp -d "$dir/.build-$name.XXXXXX")
    start=$SECONDS
    log "building $name ($package) ..."
    flags=$(ldflags_for "$name" "$module_dir")
    # In the background and waited for, so a TERM/INT to this script ends it at once and the
    # trap stops the compiler too and removes the half-built folder.
    (cd "$module_dir" && exec go build -trimpath -ldflags="$flags" -o "$tmp/$name" "$package") &
    local build_pid=$!
    # shellcheck disable=SC2064 # expand now: the trap must name this build's process and folder
    trap "kill $build_pid 2>/dev/null || true; rm -rf '$tmp'" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    wait "$build_pid" || die "building $name failed (module $module_dir)"
    mv -f "$tmp/$name" "$target"
    rm -rf "$tmp"
    trap - EXIT INT TERM
    log "built $name in $((SECONDS - start)) s: $target ($(du -h "$target" | cut -f1))"
  fi
  flock -u "$lock"
  exec {lock}>&-
}

# The Gateway API CRDs: the pinned module's config/crd/standard, copied out of the Go module cache
# (whose files are read-only and may be cleaned) into the cache folder, atomically like a tool.
ensure_crds() {
  local dir target module_dir src tmp
  init_key_dir
  dir=$KEY_DIR
  target="$dir/gateway-api-crds/standard"
  [[ -d "$target" ]] && { printf '%s\n' "$target"; return 0; }
  module_dir="$GO_DIR/gateway-api"
  exec {lock}>"$dir/.gateway-api.lock"
  flock "$lock"
  if [[ ! -d "$target" ]]; then
    log "downloading the Gateway API module for its CRDs ..."
    src=$(cd "$module_dir" && go mod download -json sigs.k8s.io/gateway-api | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [[ -n "$src" && -d "$src/config/crd/standard" ]] || die "the Gateway API module has no config/crd/standard (module $module_dir)"
    mkdir -p "$dir/gateway-api-crds"
    tmp=$(mktemp -d "$dir/gateway-api-crds/.standard.XXXXXX")
    cp "$src"/config/crd/standard/*.yaml "$tmp/"
    chmod -R u+w "$tmp"
    chmod 755 "$tmp"
    mv -T "$tmp" "$target"
    log "Gateway API CRDs ($(basename "$src")): $target"
  fi
  flock -u "$lock"
  exec {lock}>&-
  printf '%s\n' "$target"
}

# Builds of other pins (a version moved, or the Go compiler did) are never used again: a Kubernetes
# build alone is ~500 MB. Folders in use by another build (their lock held) are left alone.
prune_other_keys() {
  local folder
  init_key_dir
  for folder in "$CACHE_ROOT"/*/ "$CACHE_ROOT"/own/*/*/; do
    folder=${folder%/}
    [[ "$folder" == "$KEY_DIR" || "$folder" == "$CACHE_ROOT/own" || ! -d "$folder" ]] && continue
    if [[ "$folder" == "$CACHE_ROOT"/own/* ]]; then
      # An own-source tool's folder of another key (its source changed since).
      [[ "$folder" == "$(dirname "$(tool_bin_dir "$(basename "$(dirname "$folder")")")")" ]] && continue
    fi
    if find "$folder" -maxdepth 1 -name '.build-*' | grep -q .; then
      log "keeping $folder: a build is under way there"
      continue
    fi
    rm -rf "$folder"
    log "removed the builds of other pins: $folder"
  done
}

cmd=${1:-}
case "$cmd" in
  build)
    total=$SECONDS
    REPORT_CACHED=1
    init_key_dir
    log "cache: $KEY_DIR"
    while read -r name; do ensure_tool "$name"; done < <(tool_names)
    ensure_crds >/dev/null
    prune_other_keys
    log "all tools ready in $((SECONDS - total)) s"
    ;;
  path)
    [[ $# -eq 2 ]] || die "usage: $0 path <$(tool_names | paste -sd '|')>"
    ensure_tool "$2"
    printf '%s\n' "$(tool_bin_dir "$2")/$2"
    ;;
  built)
    [[ $# -eq 2 ]] || die "usage: $0 built <$(tool_names | paste -sd '|')>"
    tool_entry "$2" >/dev/null || die "unknown tool '$2'"
    bin=$(tool_bin_dir "$2")
    [[ -x "$bin/$2" ]] || exit 1
    printf '%s\n' "$bin/$2"
    ;;
  prune)
    prune_other_keys
    ;;
  crds)
    ensure_crds
    ;;
  list)
    tool_names
    ;;
  *)
    die "usage: $0 build | path <tool> | built <tool> | prune | crds | list"
    ;;
esac
