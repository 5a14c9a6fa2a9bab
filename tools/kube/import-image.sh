#!/usr/bin/env bash
# Copies images from the project's podman store into the cluster's containerd (namespace k8s.io,
# the one the kubelet uses), under the same names: the cluster has no registry to pull from.
# Usage: import-image.sh IMAGE...        (e.g. localhost/anypod-standin/pause:3.10)
#        import-image.sh --archive TAR   (a docker-archive, as quickstart/deploy.sh's loader)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[[ $# -gt 0 ]] || die "usage: import-image.sh IMAGE... | --archive TAR"
[[ -S "$CONTAINERD_SOCK" ]] || die "containerd is not running ($CONTAINERD_SOCK): make kube-up first"
ctr_import() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images import - >/dev/null; }
if [[ "$1" == --archive ]]; then
  [[ $# -eq 2 && -f "$2" ]] || die "--archive needs an existing docker-archive file"
  ctr_import <"$2"
  exit 0
fi
for image in "$@"; do
  started=$SECONDS
  bash "$repo_root/tools/images/podman.sh" save --format docker-archive "$image" | ctr_import
  log "    imported $image in $((SECONDS - started)) s"
done
