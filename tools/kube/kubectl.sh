#!/usr/bin/env bash
# kubectl of the pinned version, on the one-node cluster: `tools/kube/kubectl.sh get pods -A`.
# The kubeconfig is always named (without one kubectl falls back to localhost:8080).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ -f "$KUBECONFIG_FILE" ]] || die "no cluster ($KUBECONFIG_FILE is missing): make kube-up first"
exec "$(tool kubectl)" --kubeconfig "$KUBECONFIG_FILE" "$@"
