#!/usr/bin/env bash
# make kube-deploy: the chart on the one-node cluster, by the same script the kind and minikube
# quickstarts run after creating their cluster (quickstart/deploy.sh). What is particular to this
# machine is done here first: the stand-in images (nothing can be pulled), a PersistentVolume for
# Postgres (no provisioner), and the loader that imports images into the cluster's containerd.
# Usage: deploy.sh [more quickstart/deploy.sh options, e.g. --values FILE --release NAME --namespace NAME]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
take_lock
bash "$kube_dir/status.sh" >/dev/null || die "the cluster is not fully up (make kube-status says why; make kube-up starts it)"
KUBECTL=$(tool kubectl)
HELM=$(tool helm)
namespace=anypod
release=anypod
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --namespace) namespace=${args[i + 1]:-} ;;
    --release) release=${args[i + 1]:-} ;;
  esac
done
standins=(localhost/anypod-standin/postgres:15-bookworm localhost/anypod-standin/valkey:7.0-bookworm)

log "stand-in images (tools/images/standin)"
bash "$repo_root/tools/images/standin/build.sh" postgres valkey >&2

# One PersistentVolume per release namespace, on the run folder (kube-down removes it). No
# StorageClass: the chart's claim names none and the cluster has no default, so it binds here.
volume=$RUN_DIR/volumes/$namespace-postgres
if ! kubectl_ get pv "anypod-$namespace-postgres" >/dev/null 2>&1; then
  log "PersistentVolume anypod-$namespace-postgres on $volume"
  mkdir -p "$volume"
  # The Postgres image runs as uid/gid 999; a hostPath volume gets no fsGroup ownership.
  chown 999:999 "$volume"
  chmod 0700 "$volume"
  kubectl_ apply -f - <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: anypod-$namespace-postgres
  labels: { app.kubernetes.io/part-of: anypod }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: { namespace: $namespace, name: data-$release-postgres-0 }
  hostPath: { path: $volume, type: Directory }
YAML
fi

extra=()
for image in "${standins[@]}"; do extra+=(--extra-image "$image"); done
KUBECTL_BIN=$KUBECTL HELM_BIN=$HELM ANYPOD_ENGINE=podman exec bash "$repo_root/quickstart/deploy.sh" \
  --kubeconfig "$KUBECONFIG_FILE" --loader "bash $kube_dir/import-image.sh --archive" \
  --values "$kube_dir/chart-values.yaml" --base-url "$(cat "$RUN_DIR/gateway.url")" "${extra[@]}" "$@"
