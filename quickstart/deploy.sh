#!/usr/bin/env bash
# Installs anypod on a cluster that already runs (and has a Gateway API / Ingress controller):
# builds the images, loads them into the cluster with a loader the caller names, prepares the
# namespace for Pod Security "restricted", installs the chart with helm, waits for every
# Deployment, runs `helm test`, and prints the URLs and the k6 command.
#
# This is the part that is the same on every cluster: kind.sh and minikube.sh run it after
# creating their cluster, and the project's own Kubernetes built from source runs exactly this
# script with its own loader — so everything here is exercised on a real cluster even where
# kind and minikube cannot run.
set -euo pipefail
QS_NAME=deploy
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: quickstart/deploy.sh [options]

Installs (or upgrades) the anypod chart on the cluster kubectl points at.

Options:
  --loader CMD        how images reach the cluster: a command that deploy.sh runs once per image
                      with one more argument, the path of a docker-archive tar of that image
                      (tagged docker.io/anypod/<name>:<version>). Split on spaces; wrap anything
                      more complex in a script. Default: $IMAGE_LOADER. Examples:
                        kind load image-archive --name anypod
                        minikube image load --profile anypod
                        ctr --namespace k8s.io images import
  --values FILE       a values file for the chart (repeatable; applied in order)
  --base-url URL      where the cluster's gateway answers (default: $BASE_URL or http://localhost:8080)
  --skip-build        do not run `make images` (the images exist already)
  --extra-image REF   also load this image from the engine's store, by the full name the cluster
                      will ask for (repeatable; e.g. locally made stand-ins for postgres/valkey
                      where nothing can be pulled)
  --skip-load         do not load images (the cluster pulls them from a registry you configured)
  --release NAME      helm release name (default: anypod)
  --namespace NAME    namespace of the release (default: anypod)
  --chart DIR         the chart (default: helm/anypod in this checkout)
  --kubeconfig FILE   passed to every kubectl and helm call
  --context NAME      kube context passed to every kubectl and helm call
  --timeout DURATION  how long helm and each wait may take (default: 10m)
  --dry-run           print every command instead of running it
  -h, --help          this text

Environment: IMAGE_LOADER, BASE_URL, ANYPOD_ENGINE (docker|podman: which engine built the
images; default docker when its engine answers, else podman), KUBECTL_BIN, HELM_BIN (the
binaries to use; default kubectl and helm from PATH).
EOF
}

LOADER=${IMAGE_LOADER:-}
BASE=${BASE_URL:-http://localhost:8080}
VALUES=()
EXTRA_IMAGES=()
SKIP_BUILD=0
SKIP_LOAD=0
RELEASE=anypod
NAMESPACE=anypod
CHART="$REPO_ROOT/helm/anypod"
KUBECONFIG_FILE=""
CONTEXT=""
TIMEOUT=10m

need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --loader) need_value "$@"; LOADER=$2; shift 2 ;;
    --values) need_value "$@"; VALUES+=("$2"); shift 2 ;;
    --base-url) need_value "$@"; BASE=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --extra-image) need_value "$@"; EXTRA_IMAGES+=("$2"); shift 2 ;;
    --skip-load) SKIP_LOAD=1; shift ;;
    --release) need_value "$@"; RELEASE=$2; shift 2 ;;
    --namespace) need_value "$@"; NAMESPACE=$2; shift 2 ;;
    --chart) need_value "$@"; CHART=$2; shift 2 ;;
    --kubeconfig) need_value "$@"; KUBECONFIG_FILE=$2; shift 2 ;;
    --context) need_value "$@"; CONTEXT=$2; shift 2 ;;
    --timeout) need_value "$@"; TIMEOUT=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

# Everything is checked before the first command runs.
KUBECTL_BIN=${KUBECTL_BIN:-kubectl}
HELM_BIN=${HELM_BIN:-helm}
require_tool "$KUBECTL_BIN" "https://kubernetes.io/docs/tasks/tools/ (or set KUBECTL_BIN)"
require_tool "$HELM_BIN" "https://helm.sh/docs/intro/install/ — Helm 3.x (or set HELM_BIN)"
require_tool curl "your distribution's curl package"
[[ -d "$CHART" ]] || die "no chart at $CHART (--chart)"
for file in "${VALUES[@]}"; do
  [[ -f "$file" ]] || die "values file $file does not exist (--values)"
done
[[ "$BASE" =~ ^https?://[^/]+$ ]] || die "--base-url must look like http://host:port without a path, not '$BASE'"
VERSION=$(chart_version "$CHART")
IMAGES=(auth catalog cart migrate)
ENGINE=""
LOADER_WORDS=()
if [[ "$SKIP_BUILD" == 0 ]]; then
  require_tool make "your distribution's make package"
fi
if [[ "$SKIP_LOAD" == 0 ]]; then
  [[ -n "$LOADER" ]] || die "no image loader: pass --loader CMD or set IMAGE_LOADER (see --help), or --skip-load"
  read -r -a LOADER_WORDS <<<"$LOADER"
  require_tool "${LOADER_WORDS[0]}" "the image loader named by --loader/IMAGE_LOADER"
fi
if [[ "$SKIP_BUILD" == 0 || "$SKIP_LOAD" == 0 ]]; then
  ENGINE=$(container_engine)
  require_tool "$ENGINE" "https://docs.docker.com/engine/install/ or https://podman.io/docs/installation"
fi

KUBECTL=("$KUBECTL_BIN")
HELM=("$HELM_BIN")
if [[ -n "$KUBECONFIG_FILE" ]]; then
  KUBECTL+=(--kubeconfig "$KUBECONFIG_FILE")
  HELM+=(--kubeconfig "$KUBECONFIG_FILE")
fi
if [[ -n "$CONTEXT" ]]; then
  KUBECTL+=(--context "$CONTEXT")
  HELM+=(--kube-context "$CONTEXT")
fi
HELM_VALUES=()
for file in "${VALUES[@]}"; do HELM_VALUES+=(--values "$file"); done

STEP_TOTAL=$((7 - SKIP_BUILD - SKIP_LOAD))
log "anypod $VERSION → release '$RELEASE' in namespace '$NAMESPACE'"
[[ "$DRY_RUN" == 1 ]] && log "dry run: every command is printed, none is run"

if [[ "$SKIP_BUILD" == 0 ]]; then
  step "building the images anypod/{${IMAGES[*]}}:$VERSION with $ENGINE (make images)"
  run env ANYPOD_ENGINE="$ENGINE" make -C "$REPO_ROOT" images
fi

if [[ "$SKIP_LOAD" == 0 ]]; then
  step "loading $((${#IMAGES[@]} + ${#EXTRA_IMAGES[@]})) images into the cluster (${LOADER_WORDS[*]})"
  # A docker-archive per image, tagged as the chart asks for it (docker.io/anypod/<name>): the
  # same archive works for kind, minikube and containerd, whichever engine built the image.
  if [[ "$DRY_RUN" == 1 ]]; then
    ARCHIVES="${TMPDIR:-/tmp}/anypod-images.XXXXXX"
  else
    ARCHIVES=$(mktemp -d "${TMPDIR:-/tmp}/anypod-images.XXXXXX")
    trap 'rm -rf "$ARCHIVES"' EXIT
  fi
  # load_image REF ARCHIVE LABEL: REF saved by the engine into ARCHIVE, loaded into the cluster,
  # the archive removed; the same for the project's images and the extra ones.
  load_image() {
    local ref=$1 archive=$2 label=$3
    if [[ "$ENGINE" == podman ]]; then
      # make images uses podman through the project's configuration (its own store), so do we.
      run bash "$REPO_ROOT/tools/images/podman.sh" save --format docker-archive --output "$archive" "$ref"
    else
      run docker save --output "$archive" "$ref"
    fi
    run "${LOADER_WORDS[@]}" "$archive"
    [[ "$DRY_RUN" == 1 ]] || rm -f "$archive"
    log "    $label loaded in $((SECONDS - started)) s"
  }
  for name in "${IMAGES[@]}"; do
    started=$SECONDS
    archive="$ARCHIVES/$name.tar"
    if [[ "$ENGINE" == podman ]]; then
      wanted="docker.io/anypod/$name:$VERSION"
      run bash "$REPO_ROOT/tools/images/podman.sh" tag "localhost/anypod/$name:$VERSION" "$wanted"
      load_image "$wanted" "$archive" "anypod/$name:$VERSION"
    else
      load_image "anypod/$name:$VERSION" "$archive" "anypod/$name:$VERSION"
    fi
  done
  for ref in "${EXTRA_IMAGES[@]}"; do
    started=$SECONDS
    load_image "$ref" "$ARCHIVES/extra-$(printf '%s' "$ref" | tr -c 'A-Za-z0-9._-' '_').tar" "$ref"
  done
fi

step "preparing namespace '$NAMESPACE' (Pod Security 'restricted' enforced)"
# Labelled before the chart installs anything, so the API server refuses any pod that breaks
# "restricted" from the first one on. helm --create-namespace cannot label a namespace, and the
# chart cannot own the namespace it is installed into, hence this step.
run_with_input "apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted" "${KUBECTL[@]}" apply -f -

step "installing the chart ($CHART) with helm, waiting up to $TIMEOUT"
run "${HELM[@]}" upgrade --install "$RELEASE" "$CHART" --namespace "$NAMESPACE" --create-namespace \
  "${HELM_VALUES[@]}" --wait --timeout "$TIMEOUT"

step "waiting for every Deployment of release '$RELEASE' to finish its rollout"
run "${KUBECTL[@]}" rollout status deployment --namespace "$NAMESPACE" \
  --selector "app.kubernetes.io/instance=$RELEASE" --timeout "$TIMEOUT"

step "running helm test (requests through each Service must reach more than one pod)"
run "${HELM[@]}" test "$RELEASE" --namespace "$NAMESPACE" --logs --timeout "$TIMEOUT"

step "checking that the gateway answers at $BASE"
# The controller programs the routes a moment after they exist: wait for a real answer, bounded.
probe="$BASE/catalog/products"
print_cmd curl --fail --silent --show-error --output /dev/null "$probe"
if [[ "$DRY_RUN" == 0 ]]; then
  deadline=$((SECONDS + 60))
  until curl --fail --silent --show-error --output /dev/null --max-time 5 "$probe"; do
    ((SECONDS < deadline)) || die "$probe did not answer within 60 s: is the controller running and the port mapped? (kubectl get gateway,httproute -n $NAMESPACE)"
    sleep 1
  done
fi

finish "anypod is up"
cat <<EOF

  Through the gateway ($BASE):
    auth     $BASE/auth/.well-known/jwks.json     (register/login: POST $BASE/auth/register, /auth/login)
    catalog  $BASE/catalog/products
    cart     $BASE/cart/openapi.json             (the cart itself needs a bearer token from /auth/login)
    OpenAPI  $BASE/<auth|catalog|cart>/openapi.json

  Which pod answered is in every response:
    curl -si $BASE/catalog/products | grep -i x-served-by

  Load tests (k6, https://grafana.com/docs/k6/latest/set-up/install-k6/; bundle them once: make load-tests):
    k6 run -e BASE_URL=$BASE out/load-tests/01-smoke.js          # every route, once
    k6 run -e BASE_URL=$BASE out/load-tests/03-pod-deletion.js   # shop while you delete pods

  Delete pods while it runs (second terminal):
    quickstart/delete-pods.sh --namespace $NAMESPACE
EOF
# Grafana only exists when the release was installed with observability.enabled=true.
if [[ "$DRY_RUN" == 0 ]] && grafana_port=$("${KUBECTL[@]}" get service "$RELEASE-grafana" --namespace "$NAMESPACE" \
  --output 'jsonpath={.spec.ports[0].port}' 2>/dev/null) && [[ -n "$grafana_port" ]]; then
  cat <<EOF

  Grafana (observability is on):
    ${KUBECTL[*]} port-forward --namespace $NAMESPACE service/$RELEASE-grafana 3001:$grafana_port
    then open http://localhost:3001
EOF
fi
