#!/usr/bin/env bash
# Certificates and kubeconfigs of the one-node cluster, made with openssl (no kubeadm here): a
# cluster CA, kubeadm's subjects for each component, the service-account signing pair, and one
# kubeconfig per client with the certificates embedded. Valid 30 days; kube-down removes them
# and the next kube-up makes new ones, so nothing outlives one cluster.
# Usage: pki.sh          (reads the paths from common.sh; does nothing when the CA exists)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
pki=$RUN_DIR/pki
mkdir -p "$pki"
[[ -f "$pki/ca.crt" ]] && exit 0
KUBECTL=$(tool kubectl)
cd "$pki"

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout ca.key -out ca.crt -days 30 -subj "/CN=anypod-kube-ca" 2>/dev/null

# cert NAME SUBJECT EXTENDED-KEY-USAGE [SUBJECT-ALT-NAMES]
cert() {
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' \
    "$3" "${4:+subjectAltName=$4}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
# 10.96.0.1 is the kubernetes Service's address (the first of the service range).
cert apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
# The API server's client certificate towards kubelets (kubectl logs/exec go through it).
cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
cert controller-manager "/CN=system:kube-controller-manager" clientAuth
cert scheduler "/CN=system:kube-scheduler" clientAuth
cert kube-proxy "/CN=system:kube-proxy" clientAuth
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
cert kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
# kube-router, the NetworkPolicy controller: read-only access by tools/kube/netpol-rbac.yaml.
cert kube-router "/CN=system:anypod-netpol" clientAuth
# The node's Prometheus: pod discovery and the kubelet's cAdvisor metrics, read-only
# (tools/kube/prometheus-rbac.yaml).
cert prometheus "/CN=anypod-prometheus" clientAuth
# Service-account tokens are signed with RSA (the API server's default algorithm for them).
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 ./*.key

for user in admin controller-manager scheduler kube-proxy kubelet kube-router prometheus; do
  config="$RUN_DIR/$user.kubeconfig"
  "$KUBECTL" --kubeconfig="$config" config set-cluster anypod --server="$API_URL" --certificate-authority=ca.crt --embed-certs >/dev/null
  "$KUBECTL" --kubeconfig="$config" config set-credentials "$user" --client-certificate="$user.crt" --client-key="$user.key" --embed-certs >/dev/null
  "$KUBECTL" --kubeconfig="$config" config set-context anypod --cluster=anypod --user="$user" >/dev/null
  "$KUBECTL" --kubeconfig="$config" config use-context anypod >/dev/null
  chmod 600 "$config"
done
log "certificates and kubeconfigs in $RUN_DIR (valid 30 days)"
