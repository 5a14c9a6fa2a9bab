#!/usr/bin/env bash
# The quickstart on kind: a one-node cluster named "anypod" whose Traefik answers on
# http://localhost:8080, then quickstart/deploy.sh (the same script every cluster runs).
# Safe to run again: an existing cluster is reused, helm upgrades what is installed.
set -euo pipefail
QS_NAME=kind
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLUSTER=anypod
CONTEXT="kind-$CLUSTER"
# kind-config.yaml maps Traefik's NodePort 30080 to this host port on 127.0.0.1.
BASE=http://localhost:8080

usage() {
  cat <<EOF
Usage: quickstart/kind.sh [--dry-run] [--skip-build] [--values FILE]... [-h|--help]

Creates the kind cluster '$CLUSTER' (quickstart/kind-config.yaml; reused if it exists), installs
the Gateway API CRDs and Traefik (chart $TRAEFIK_CHART_VERSION), then runs quickstart/deploy.sh
with 'kind load image-archive' as the image loader and quickstart/values-kind.yaml.
The gateway answers on $BASE.

  --dry-run     print every command instead of running it
  --skip-build  do not rebuild the images (passed to deploy.sh)
  --values FILE another values file for the chart, applied after values-kind.yaml (repeatable),
                e.g. one with 'observability: {enabled: true}'

Without a Docker engine, kind is told to use podman (KIND_EXPERIMENTAL_PROVIDER=podman).
Remove everything with: kind delete cluster --name $CLUSTER
EOF
}

parse_cluster_options "$@"

require_tool kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
require_tool kubectl "https://kubernetes.io/docs/tasks/tools/"
require_tool helm "https://helm.sh/docs/intro/install/ — Helm 3.x"
if ! command -v docker >/dev/null 2>&1 && ! command -v podman >/dev/null 2>&1; then
  die "kind runs its node in a container: install 'docker' (https://docs.docker.com/engine/install/) or 'podman' (https://podman.io/docs/installation)"
fi
# kind uses Docker unless told otherwise; on a machine with only podman, say so for it.
if [[ -z "${KIND_EXPERIMENTAL_PROVIDER:-}" ]] && [[ "$(container_engine)" == podman ]]; then
  export KIND_EXPERIMENTAL_PROVIDER=podman
  log "no Docker engine answers: kind will use podman (KIND_EXPERIMENTAL_PROVIDER=podman)"
fi

STEP_TOTAL=3
step "creating the kind cluster '$CLUSTER' (node port 30080 → $BASE)"
if [[ "$DRY_RUN" == 0 ]] && kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  log "    the cluster exists already: reusing it"
else
  run kind create cluster --name "$CLUSTER" --config "$QS_DIR/kind-config.yaml" --wait 120s
fi
install_gateway_api kubectl --context "$CONTEXT"
install_traefik helm --kube-context "$CONTEXT"
finish "cluster ready; handing over to deploy.sh"

exec bash "$QS_DIR/deploy.sh" "${DEPLOY_ARGS[@]}" --context "$CONTEXT" \
  --loader "kind load image-archive --name $CLUSTER" \
  --values "$QS_DIR/values-kind.yaml" "${USER_VALUES[@]}" --base-url "$BASE"
