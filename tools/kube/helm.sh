#!/usr/bin/env bash
# helm of the pinned version, on the one-node cluster: `tools/kube/helm.sh list -A`.
# The kubeconfig is always named (without one helm falls back to localhost:8080).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ -f "$KUBECONFIG_FILE" ]] || die "no cluster ($KUBECONFIG_FILE is missing): make kube-up first"
exec "$(tool helm)" --kubeconfig "$KUBECONFIG_FILE" "$@"
