#!/usr/bin/env bash
# The chaos walk-through: deletes one pod of one service per round, the services taking turns,
# while a load test runs in another terminal. Before each deletion every service is back to its
# full number of ready pods, so at most one pod is missing at any time; it stops by itself after
# --rounds rounds.
#
# Graceful deletes (the default) go through the pod's pre-stop sleep and graceful shutdown:
# k6 should report 0 failed requests. --force deletes with grace period 0 (SIGKILL, like Chaos
# Mesh's pod-kill): requests in flight on that pod fail, which is what the retries and
# idempotency keys of the proof are about.
set -euo pipefail
QS_NAME=delete-pods
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'EOF'
Usage: quickstart/delete-pods.sh [options]

Deletes one pod per round, taking the services in turn, waits until that pod is gone and its
replacement is ready, then --interval seconds before the next round. Stops after --rounds rounds.

Options:
  --rounds N          number of deletions (default 5)
  --interval SECONDS  pause after a replacement is ready, before the next deletion (default 15)
  --ready-timeout S   how long a service may take to have all its pods ready again before the
                      script stops with an error (default 180)
  --force             delete with --grace-period=0 --force (SIGKILL) instead of gracefully
  --services LIST     comma-separated services to take turns on (default auth,catalog,cart)
  --release NAME      helm release (default anypod)
  --namespace NAME    namespace of the release (default anypod)
  --kubeconfig FILE   passed to every kubectl call
  --context NAME      kube context passed to every kubectl call
  -h, --help          this text

Run it in a second terminal while `k6 run -e BASE_URL=... out/load-tests/03-pod-deletion.js` runs in the first.
EOF
}

ROUNDS=5
INTERVAL=15
READY_TIMEOUT=180
FORCE=0
SERVICES=auth,catalog,cart
RELEASE=anypod
NAMESPACE=anypod
KUBECONFIG_FILE=""
CONTEXT=""
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) need_value "$@"; ROUNDS=$2; shift 2 ;;
    --interval) need_value "$@"; INTERVAL=$2; shift 2 ;;
    --ready-timeout) need_value "$@"; READY_TIMEOUT=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    --services) need_value "$@"; SERVICES=$2; shift 2 ;;
    --release) need_value "$@"; RELEASE=$2; shift 2 ;;
    --namespace) need_value "$@"; NAMESPACE=$2; shift 2 ;;
    --kubeconfig) need_value "$@"; KUBECONFIG_FILE=$2; shift 2 ;;
    --context) need_value "$@"; CONTEXT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]{0,3}$ ]] || die "--rounds must be a whole number from 1 to 9999, not '$ROUNDS'"
[[ "$INTERVAL" =~ ^[0-9]{1,4}$ ]] || die "--interval must be a whole number of seconds, not '$INTERVAL'"
[[ "$READY_TIMEOUT" =~ ^[1-9][0-9]{0,4}$ ]] || die "--ready-timeout must be a whole number of seconds, not '$READY_TIMEOUT'"
IFS=, read -r -a SERVICE_LIST <<<"$SERVICES"
((${#SERVICE_LIST[@]} > 0)) || die "--services is empty"
for service in "${SERVICE_LIST[@]}"; do
  [[ "$service" =~ ^[a-z0-9-]+$ ]] || die "'$service' is not a service name (--services)"
done

KUBECTL_BIN=${KUBECTL_BIN:-kubectl}
require_tool "$KUBECTL_BIN" "https://kubernetes.io/docs/tasks/tools/ (or set KUBECTL_BIN)"
KUBECTL=("$KUBECTL_BIN")
[[ -n "$KUBECONFIG_FILE" ]] && KUBECTL+=(--kubeconfig "$KUBECONFIG_FILE")
[[ -n "$CONTEXT" ]] && KUBECTL+=(--context "$CONTEXT")
KUBECTL+=(--namespace "$NAMESPACE")

if [[ "$FORCE" == 1 ]]; then
  MODE="forced (grace period 0, SIGKILL)"
  DELETE_FLAGS=(--grace-period=0 --force)
else
  MODE="graceful (the pod's own grace period)"
  DELETE_FLAGS=()
fi
now() { date +%H:%M:%S; }

# The ready pods of a service that are not being deleted, one name per line. Read from the pods
# themselves, not from the Deployment's status: right after a forced deletion that status may
# not yet count the loss, and a wait on it would return at once.
ready_pods() {
  local service=$1
  # one line per pod: name, deletionTimestamp (empty unless terminating), Ready condition
  "${KUBECTL[@]}" get pods \
    --selector "app.kubernetes.io/instance=$RELEASE,app.kubernetes.io/component=$service" \
    --output 'jsonpath={range .items[*]}{.metadata.name}{" "}{.metadata.deletionTimestamp}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    awk 'NF == 2 && $2 == "True" { print $1 }'
}

# Waits (bounded by --ready-timeout) until every service has as many ready pods as its
# Deployment wants.
wait_all_ready() {
  local service desired ready deadline=$((SECONDS + READY_TIMEOUT))
  for service in "${SERVICE_LIST[@]}"; do
    desired=$("${KUBECTL[@]}" get "deployment/$RELEASE-$service" --output 'jsonpath={.spec.replicas}') ||
      die "no deployment/$RELEASE-$service in namespace '$NAMESPACE' — is the release installed?"
    while true; do
      ready=$(ready_pods "$service" | grep -c . || true)
      ((ready >= desired)) && break
      ((SECONDS < deadline)) || die "$service has $ready of $desired pods ready after ${READY_TIMEOUT} s; stopping (kubectl get pods -n $NAMESPACE)"
      sleep 1
    done
  done
}

# Prints the name of one ready pod of a service that is not already being deleted.
pick_pod() {
  local service=$1 pods
  readarray -t pods < <(ready_pods "$service")
  if ((${#pods[@]} == 0)) || [[ -z "${pods[0]}" ]]; then
    die "no ready pod of '$service' in namespace '$NAMESPACE' (release '$RELEASE') — is it installed?"
  fi
  # A random one, so that a pod that happens to be listed first is not always the one to go.
  printf '%s\n' "${pods[RANDOM % ${#pods[@]}]}"
}

log "$ROUNDS rounds, one $MODE deletion each, services in turn: ${SERVICE_LIST[*]}"
started=$SECONDS
for ((round = 1; round <= ROUNDS; round++)); do
  service=${SERVICE_LIST[$(((round - 1) % ${#SERVICE_LIST[@]}))]}
  wait_all_ready
  pod=$(pick_pod "$service")
  # --wait=false: return at once, so the time printed is when the deletion started.
  "${KUBECTL[@]}" delete pod "$pod" "${DELETE_FLAGS[@]}" --wait=false >/dev/null
  deleted_at=$SECONDS
  log "$(now) round $round/$ROUNDS: deleted pod $pod ($service, $MODE)"
  # Gone first (so the Deployment's status already counts the loss), then the replacement ready.
  "${KUBECTL[@]}" wait --for=delete "pod/$pod" --timeout "${READY_TIMEOUT}s" >/dev/null ||
    die "pod $pod still exists ${READY_TIMEOUT} s after its deletion"
  log "$(now)     $pod gone after $((SECONDS - deleted_at)) s"
  wait_all_ready
  log "$(now)     every service has all its pods ready again ($((SECONDS - deleted_at)) s after the deletion)"
  if ((round < ROUNDS)); then
    log "$(now)     next deletion in $INTERVAL s"
    sleep "$INTERVAL"
  fi
done
log "$(now) done: $ROUNDS pods deleted in $((SECONDS - started)) s"
