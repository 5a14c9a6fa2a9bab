#!/usr/bin/env bash
# The quickstart on minikube: a profile named "anypod" with Traefik on NodePort 30080, then
# quickstart/deploy.sh (the same script every cluster runs).
# Safe to run again: `minikube start` on an existing profile starts or keeps it, helm upgrades.
#
# The URL is the node's IP and the fixed NodePort (http://<minikube ip>:30080), not `minikube
# tunnel` or `minikube service --url`: both of those are processes that must keep running in a
# terminal (tunnel also asks for root to add routes), while a NodePort needs nothing running. On
# Linux every driver makes the node IP reachable from the host. With the docker driver on macOS or
# Windows it is not: there, run `minikube service traefik --namespace traefik --url --profile
# anypod` in another terminal and pass the URL it prints as BASE_URL.
set -euo pipefail
QS_NAME=minikube
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROFILE=anypod
NODE_PORT=30080
# Nine service pods (100m, 192Mi requested each), Postgres, Valkey, Traefik and the control
# plane: 2 CPUs leave no room for a rolling update's extra pod, so 4 CPUs and 6 GiB by default.
CPUS=${MINIKUBE_CPUS:-4}
MEMORY=${MINIKUBE_MEMORY:-6g}
# Calico, because the chart's default-deny NetworkPolicies should be enforced as on kind (whose
# kindnet enforces them since v0.24); minikube's default CNI does not enforce them.
CNI=${MINIKUBE_CNI:-calico}

usage() {
  cat <<EOF
Usage: quickstart/minikube.sh [--dry-run] [--skip-build] [--values FILE]... [-h|--help]

Starts the minikube profile '$PROFILE' ($CPUS CPUs, $MEMORY memory, CNI $CNI so that
NetworkPolicies are enforced; MINIKUBE_CPUS, MINIKUBE_MEMORY and MINIKUBE_CNI change those,
MINIKUBE_DRIVER picks a driver), installs the Gateway API CRDs and
Traefik (chart $TRAEFIK_CHART_VERSION), then runs quickstart/deploy.sh with 'minikube image load'
as the image loader and quickstart/values-minikube.yaml. The gateway answers on
http://\$(minikube ip --profile $PROFILE):$NODE_PORT (BASE_URL overrides it).

  --dry-run     print every command instead of running it
  --skip-build  do not rebuild the images (passed to deploy.sh)
  --values FILE another values file for the chart, applied after values-minikube.yaml (repeatable),
                e.g. one with 'observability: {enabled: true}'

Remove everything with: minikube delete --profile $PROFILE
EOF
}

parse_cluster_options "$@"

require_tool minikube "https://minikube.sigs.k8s.io/docs/start/"
require_tool kubectl "https://kubernetes.io/docs/tasks/tools/"
require_tool helm "https://helm.sh/docs/intro/install/ — Helm 3.x"

STEP_TOTAL=4
step "starting the minikube profile '$PROFILE'"
START=(minikube start --profile "$PROFILE" --cpus "$CPUS" --memory "$MEMORY" --cni "$CNI")
[[ -n "${MINIKUBE_DRIVER:-}" ]] && START+=(--driver "$MINIKUBE_DRIVER")
run "${START[@]}"
# minikube names the kube context after the profile.
install_gateway_api kubectl --context "$PROFILE"
install_traefik helm --kube-context "$PROFILE"

step "finding the gateway's URL (node IP and NodePort $NODE_PORT)"
if [[ -n "${BASE_URL:-}" ]]; then
  BASE=$BASE_URL
elif [[ "$DRY_RUN" == 1 ]]; then
  print_cmd minikube ip --profile "$PROFILE"
  BASE="http://MINIKUBE_IP:$NODE_PORT"
else
  print_cmd minikube ip --profile "$PROFILE"
  BASE="http://$(minikube ip --profile "$PROFILE"):$NODE_PORT"
fi
log "    gateway: $BASE"
finish "cluster ready; handing over to deploy.sh"

exec bash "$QS_DIR/deploy.sh" "${DEPLOY_ARGS[@]}" --context "$PROFILE" \
  --loader "minikube image load --profile $PROFILE" \
  --values "$QS_DIR/values-minikube.yaml" "${USER_VALUES[@]}" --base-url "$BASE"
