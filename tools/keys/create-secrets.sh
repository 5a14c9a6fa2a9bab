#!/usr/bin/env bash
# Creates the Secrets the anypod chart reads when it does not create them itself
# (`create: false`, which is how k8s/ is rendered): for `kubectl apply -f k8s/` users.
# A Secret that already exists is left untouched — keys are never overwritten silently; rotate
# the signing key with rotate-signing-key.sh instead. Key material lives only in shell variables
# and in the cluster: nothing is written to disk. See tools/keys/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: tools/keys/create-secrets.sh [--namespace NS] [--release NAME] [--dry-run]
                                    [--postgres-user USER] [--postgres-database DB]

Creates, in namespace NS, the Secrets the anypod chart expects when it does not create them:
  <release>-auth-keys   jwt-private-key             ES256 (P-256) private key, PKCS#8 PEM
                        refresh-token-secret        64 random base64 characters
                        jwt-additional-public-keys  empty (filled during a key rotation)
  <release>-postgres    password                    48 random hex characters
                        database-url                postgresql://USER:PASSWORD@<release>-postgres:5432/DB
Existing Secrets are left untouched (never overwritten).

Options:
  --namespace NS          namespace of the release (default: anypod)
  --release NAME          release name, the prefix of every object name (default: anypod)
  --postgres-user USER    Postgres role in database-url (default: anypod)
  --postgres-database DB  Postgres database in database-url (default: anypod)
  --dry-run               print the Secrets as YAML on stdout instead of applying them; does not
                          contact the cluster (so it cannot tell which already exist)
  -h, --help              this text

Needs kubectl (its current context selects the cluster) and openssl.
EOF
}

# shellcheck source=tools/keys/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli.sh"

namespace=anypod
release=anypod
pg_user=anypod
pg_database=anypod
dry_run=false

while [[ $# -gt 0 ]]; do
  case $1 in
    --namespace) need_value "$@"; namespace=$2; shift 2 ;;
    --release) need_value "$@"; release=$2; shift 2 ;;
    --postgres-user) need_value "$@"; pg_user=$2; shift 2 ;;
    --postgres-database) need_value "$@"; pg_database=$2; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

check_names "$namespace" "$release"
[[ $pg_user =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "--postgres-user '$pg_user' must be a plain lower-case identifier"
[[ $pg_database =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || die "--postgres-database '$pg_database' must be a plain lower-case identifier"

command -v kubectl >/dev/null || die "kubectl not found on PATH"
command -v openssl >/dev/null || die "openssl not found on PATH"

# The labels every object of the release carries (the shared Kubernetes conventions).
labels() {
  printf '%s\n' \
    app.kubernetes.io/name=anypod \
    "app.kubernetes.io/instance=$release" \
    "app.kubernetes.io/component=$1" \
    app.kubernetes.io/part-of=anypod \
    app.kubernetes.io/managed-by=create-secrets.sh
}

# `kubectl create secret --dry-run=client -o yaml` renders the object without a cluster; values go
# through process substitution (--from-file=key=<(...)) so keys never appear in a process's
# arguments and never touch the disk.
auth_keys_yaml() {
  local private_key refresh_secret
  private_key=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256) || die "openssl could not generate a P-256 key"
  refresh_secret=$(openssl rand -base64 48 | tr -d '\n') || die "openssl rand failed"
  kubectl create secret generic "$release-auth-keys" --namespace "$namespace" \
    --from-file=jwt-private-key=<(printf '%s\n' "$private_key") \
    --from-file=refresh-token-secret=<(printf '%s' "$refresh_secret") \
    --from-literal=jwt-additional-public-keys= \
    --dry-run=client -o yaml |
    add_labels auth
}

postgres_yaml() {
  local password
  # Hex: safe inside a URL without escaping.
  password=$(openssl rand -hex 24) || die "openssl rand failed"
  kubectl create secret generic "$release-postgres" --namespace "$namespace" \
    --from-file=password=<(printf '%s' "$password") \
    --from-file=database-url=<(printf 'postgresql://%s:%s@%s-postgres:5432/%s' "$pg_user" "$password" "$release" "$pg_database") \
    --dry-run=client -o yaml |
    add_labels postgres
}

# Adds the labels offline (`kubectl label --local` needs no cluster either).
add_labels() {
  local component=$1 args
  mapfile -t args < <(labels "$component")
  kubectl label --local -f - -o yaml "${args[@]}"
}

# One Secret: print it (dry run), leave it (exists), or create it.
ensure() {
  local name=$1 render=$2 existing
  if $dry_run; then
    echo "---"
    "$render"
    say "would create Secret $namespace/$name (a real run leaves it untouched if it already exists)"
    return
  fi
  existing=$(kubectl get secret "$name" --namespace "$namespace" --ignore-not-found -o name) ||
    die "could not ask the cluster whether Secret $namespace/$name exists (is kubectl's context right, and does namespace $namespace exist?)"
  if [[ -n $existing ]]; then
    say "Secret $namespace/$name exists: left untouched"
    return
  fi
  "$render" | kubectl apply -f - >/dev/null || die "could not create Secret $namespace/$name (does namespace $namespace exist? kubectl create namespace $namespace)"
  say "created Secret $namespace/$name"
}

ensure "$release-auth-keys" auth_keys_yaml
ensure "$release-postgres" postgres_yaml
if ! $dry_run; then
  say "done: install with the chart's existing-Secret settings (k8s/ uses them), e.g. kubectl apply -f k8s/"
fi
