# Shared by the quickstart scripts (sourced, never run): progress output with timings, the
# dry-run switch, and the checks for required tools. Every command that changes something goes
# through `run`, so `--dry-run` prints exactly what a real run would execute (the quickstart test
# reads those lines: each starts with "+ ").
# shellcheck shell=bash

# Empty arrays under `set -u` and `readarray` need bash 4.4 or newer; macOS still ships 3.2.
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  printf 'error: bash 4.4 or newer is needed, this is %s (macOS: brew install bash)\n' "$BASH_VERSION" >&2
  exit 1
fi

QS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT=$(cd "$QS_DIR/.." && pwd)
DRY_RUN=${DRY_RUN:-0}
QS_NAME=${QS_NAME:-quickstart}
QS_STARTED=$SECONDS
STEP_NO=0
STEP_TOTAL=${STEP_TOTAL:-0}
STEP_STARTED=$SECONDS

log() { printf '[%s] %s\n' "$QS_NAME" "$*"; }
die() {
  printf '[%s] error: %s\n' "$QS_NAME" "$*" >&2
  exit 1
}

# Prints a command as a copy-pasteable shell line, prefixed with "+ ".
print_cmd() {
  local quoted
  printf -v quoted ' %q' "$@"
  printf '+%s\n' "$quoted"
}

# Runs a command (or, with --dry-run, only prints it).
run() {
  print_cmd "$@"
  [[ "$DRY_RUN" == 1 ]] && return 0
  "$@"
}

# Runs a command with $1 on its stdin; --dry-run prints the input as a here-document.
run_with_input() {
  local input=$1
  shift
  if [[ "$DRY_RUN" == 1 ]]; then
    printf '+%s <<EOF\n%s\nEOF\n' "$(printf ' %q' "$@")" "$input"
    return 0
  fi
  print_cmd "$@"
  printf '%s\n' "$input" | "$@"
}

# Step headers: "==> [2/5] what happens" then, at the next header or at the end, how long it took.
step_done() {
  if ((STEP_NO > 0)); then
    log "    done in $((SECONDS - STEP_STARTED)) s"
  fi
}
step() {
  step_done
  STEP_NO=$((STEP_NO + 1))
  STEP_STARTED=$SECONDS
  if ((STEP_TOTAL > 0)); then
    log "==> [$STEP_NO/$STEP_TOTAL] $*"
  else
    log "==> $*"
  fi
}
finish() {
  step_done
  log "finished in $((SECONDS - QS_STARTED)) s${1:+ — $1}"
}

# Fails with a message naming the tool and where to get it. Checked in --dry-run too, so a
# missing tool is found before anything is planned, not half-way through a real run.
require_tool() {
  local tool=$1 hint=$2
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is not on PATH — install it first: $hint"
}

# The images' version and engine rules are make images' own (tools/images/image-rules.sh), so the
# image loading here finds exactly what make images built.
# shellcheck source=../tools/images/image-rules.sh
source "$REPO_ROOT/tools/images/image-rules.sh"
chart_version() { image_version_of "$1"; }

# Which engine built the images; where neither engine is there, say so before anything runs.
container_engine() {
  local engine
  engine=$(image_engine) || exit 1
  if [[ -z "${ANYPOD_ENGINE:-}" && "$engine" == podman ]] && ! command -v podman >/dev/null 2>&1; then
    die "neither 'docker' (with a running engine) nor 'podman' is available — install one: https://docs.docker.com/engine/install/ or https://podman.io/docs/installation"
  fi
  printf '%s\n' "$engine"
}

# -- The controller: Gateway API CRDs and Traefik (kind.sh and minikube.sh) -----------------------
# Traefik's official chart. 41.5.0 ships Traefik Proxy v3.7.13 (chart release of 2026-09-07), the
# newest 41.x; 42.x is a major release whose values were not reviewed for this quickstart.
# The 41.x charts no longer bundle the Gateway API CRDs, so they are installed separately below.
TRAEFIK_CHART_VERSION=41.5.0
TRAEFIK_CHART_REPO=https://traefik.github.io/charts
TRAEFIK_NAMESPACE=traefik

# The Gateway API version is the one the chart's HTTPRoutes are validated against in this repo
# (tools/go/gateway-api/go.mod): one pin for the tests and the clusters. Traefik v3.7.13 is built
# against gateway-api v1.6.1, so the v1.6 standard channel matches what it watches.
gateway_api_version() {
  local mod="$REPO_ROOT/tools/go/gateway-api/go.mod" version
  [[ -f "$mod" ]] || die "$mod is missing: it pins the Gateway API version"
  version=$(sed -n 's|^[[:space:]]*require[[:space:]]*sigs.k8s.io/gateway-api[[:space:]]*\(v[0-9.]*\).*|\1|p; s|^[[:space:]]*sigs.k8s.io/gateway-api[[:space:]]*\(v[0-9.]*\).*|\1|p' "$mod" | head -n1)
  [[ -n "$version" ]] || die "no sigs.k8s.io/gateway-api version in $mod"
  printf '%s\n' "$version"
}

# $@ = the kubectl command (with --context etc.).
install_gateway_api() {
  local version url
  version=$(gateway_api_version)
  url="https://github.com/kubernetes-sigs/gateway-api/releases/download/$version/standard-install.yaml"
  step "installing the Gateway API CRDs $version (standard channel)"
  # Server-side apply: the CRDs are too large for the last-applied annotation of a client-side apply.
  run "$@" apply --server-side --force-conflicts -f "$url"
  run "$@" wait --for condition=Established --timeout 60s \
    crd/gatewayclasses.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io crd/httproutes.gateway.networking.k8s.io
}

# $@ = the helm command (with --kube-context etc.).
install_traefik() {
  step "installing Traefik (chart $TRAEFIK_CHART_VERSION) with its Gateway API provider"
  # --repo instead of `helm repo add`: nothing is left in the user's helm repository list.
  run "$@" upgrade --install traefik traefik --repo "$TRAEFIK_CHART_REPO" --version "$TRAEFIK_CHART_VERSION" \
    --namespace "$TRAEFIK_NAMESPACE" --create-namespace --values "$QS_DIR/traefik-values.yaml" --wait --timeout 5m
}

# The options kind.sh and minikube.sh share (each has its own usage function). Sets DRY_RUN,
# DEPLOY_ARGS (passed on to deploy.sh) and USER_VALUES (values files after the cluster's own).
parse_cluster_options() {
  DEPLOY_ARGS=()
  USER_VALUES=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dry-run) DRY_RUN=1; DEPLOY_ARGS+=(--dry-run); shift ;;
      --skip-build) DEPLOY_ARGS+=(--skip-build); shift ;;
      --values)
        [[ $# -ge 2 && -n "$2" ]] || die "--values needs a file (see --help)"
        USER_VALUES+=(--values "$2")
        shift 2
        ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option '$1' (see --help)" ;;
    esac
  done
}
