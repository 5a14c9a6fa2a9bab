#!/usr/bin/env bash
# Rotates auth's access-token signing key in three phases, with an overlap window in which the
# JWKS serves the old and the new public key (tools/keys/README.md explains why three):
#   publish-next  make a NEXT key; every auth pod publishes its public key, none signs with it
#   promote       NEXT becomes the signing key; the old public key stays published
#   retire        after the access-token lifetime, stop publishing the old public key
# Each phase changes the Secret <release>-auth-keys (kubectl get/patch), then restarts the auth
# Deployment and waits for the rollout, so every pod runs the new phase before the next one may
# start. The NEXT private key waits in the Secret under jwt-next-private-key (auth does not read
# it). Key material stays in shell variables and the cluster; nothing is written to disk.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: tools/keys/rotate-signing-key.sh COMMAND [--namespace NS] [--release NAME] [options]

Commands (run in this order, each after the previous one finished):
  publish-next   generate the next P-256 key; publish its public key in the JWKS (not signing yet)
  promote        sign with the next key; keep publishing the previous public key
  retire         stop publishing the previous public key (refused until the access-token
                 lifetime has passed since promote finished, unless --force)
  status         show the keys in the Secret by kid, and the phase
  kid            print the kid (RFC 7638 thumbprint, as in the JWKS) of a PEM key read on stdin

Options:
  --namespace NS            namespace of the release (default: anypod)
  --release NAME            release name (default: anypod): Secret <release>-auth-keys,
                            Deployment <release>-auth
  --access-token-ttl SECS   access-token lifetime; default: ACCESS_TOKEN_TTL_SECONDS of the
                            Deployment's auth container, else auth's default (300)
  --timeout DURATION        how long to wait for each rollout (default: 10m)
  --force                   retire: skip the waiting-time check
  --dry-run                 print the Secret as this phase would leave it (YAML, stdout; it holds
                            private keys) instead of patching it; no restart
  --secret-file FILE        read the Secret from FILE (YAML or JSON, - for stdin) instead of the
                            cluster; implies --dry-run, so phases can be reviewed offline
  -h, --help                this text

Needs kubectl (its current context selects the cluster) and openssl.
EOF
}

# shellcheck source=tools/keys/cli.sh
source "$(dirname "${BASH_SOURCE[0]}")/cli.sh"

[[ $# -gt 0 ]] || { usage >&2; die "a command is needed"; }
command=$1
shift
case $command in
  publish-next | promote | retire | status | kid) ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; die "unknown command: $command" ;;
esac

namespace=anypod
release=anypod
ttl=""
timeout=10m
force=false
dry_run=false
secret_file=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --namespace) need_value "$@"; namespace=$2; shift 2 ;;
    --release) need_value "$@"; release=$2; shift 2 ;;
    --access-token-ttl) need_value "$@"; ttl=$2; shift 2 ;;
    --timeout) need_value "$@"; timeout=$2; shift 2 ;;
    --force) force=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    --secret-file) need_value "$@"; secret_file=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

check_names "$namespace" "$release"
[[ -z $ttl || $ttl =~ ^[1-9][0-9]{0,5}$ ]] || die "--access-token-ttl must be a number of seconds, got '$ttl'"
command -v openssl >/dev/null || die "openssl not found on PATH"

secret="$release-auth-keys"
deployment="$release-auth"
# auth's verifiers allow 5 s of clock skew (packages/platform/src/token-verifier.ts); a minute
# more covers clocks and the time the last old pod took to stop.
CLOCK_MARGIN_SECONDS=65
RETIRE_AFTER_ANNOTATION=anypod/signing-keys-retire-after

# --- keys (openssl only) -------------------------------------------------------------------------

base64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# kid of a PEM key (private or public, any encoding): the RFC 7638 JWK thumbprint auth puts in
# the JWKS. For P-256 the SPKI DER ends with the uncompressed point 04||x||y (32 bytes each).
kid_of() {
  local der
  der=$(printf '%s\n' "$1" | openssl pkey -pubout -outform DER 2>/dev/null | base64 -w0) ||
    der=$(printf '%s\n' "$1" | openssl pkey -pubin -outform DER 2>/dev/null | base64 -w0) ||
    die "not a readable PEM key"
  [[ -n $der ]] || die "not a readable PEM key"
  # 91 bytes: the SPKI of a P-256 key (algorithm and curve OIDs, then the 65-byte point).
  [[ $(printf '%s' "$der" | base64 -d | wc -c) -eq 91 && $der == MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE* ]] || die "not a P-256 key"
  local x y
  x=$(printf '%s' "$der" | base64 -d | tail -c 64 | head -c 32 | base64url)
  y=$(printf '%s' "$der" | base64 -d | tail -c 32 | base64url)
  printf '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' "$x" "$y" | openssl dgst -sha256 -binary | base64url
  echo
}

public_of() { printf '%s\n' "$1" | openssl pkey -pubout; }

# Splits concatenated PEM blocks: one block per output line, newlines written as \n.
pem_blocks() {
  printf '%s\n' "$1" | awk '/^-----BEGIN /{ block = "" } { block = block $0 "\\n" } /^-----END /{ print block }'
}

# The public keys of $1 (concatenated PEM) whose kid is not $2.
without_kid() {
  local block pem out=""
  while IFS= read -r block; do
    [[ -n $block ]] || continue
    pem=$(printf '%b' "$block")
    [[ $(kid_of "$pem") == "$2" ]] || out+="$pem"$'\n'
  done < <(pem_blocks "$1")
  printf '%s' "$out"
}

kids_of() {
  local block
  while IFS= read -r block; do
    [[ -n $block ]] && kid_of "$(printf '%b' "$block")"
  done < <(pem_blocks "$1")
}

if [[ $command == kid ]]; then
  kid_of "$(cat)"
  exit 0
fi

# --- the Secret and the Deployment ---------------------------------------------------------------

command -v kubectl >/dev/null || die "kubectl not found on PATH"
k() { kubectl --namespace "$namespace" "$@"; }

# The Secret is read once; every field comes from this copy. With --secret-file it comes from a
# file instead (a Secret as YAML or JSON, e.g. create-secrets.sh --dry-run output or an earlier
# --dry-run of this script), and nothing in the cluster is read or changed.
if [[ -n $secret_file ]]; then
  dry_run=true
  secret_yaml=$(cat -- "$secret_file") || die "could not read --secret-file $secret_file"
else
  existing=$(k get secret "$secret" --ignore-not-found -o name) ||
    die "could not read Secret $namespace/$secret (is kubectl's context right?)"
  [[ -n $existing ]] || die "Secret $namespace/$secret not found: install the chart (it creates it) or run tools/keys/create-secrets.sh first"
  secret_yaml=$(k get secret "$secret" -o yaml)
  # Check before changing anything: a phase is only complete once auth has rolled out with it.
  if [[ $command != status && $dry_run == false ]]; then
    k get "deployment/$deployment" -o name >/dev/null 2>&1 ||
      die "deployment/$deployment not found in namespace $namespace: the Secret must not change without a rollout of auth"
  fi
fi

# kubectl evaluates the expressions on the local copy (`patch --local` with an empty patch: no
# cluster involved), so the script needs no YAML or JSON parser of its own.
read_secret() { kubectl patch --local -f - --type merge -p '{}' -o "$1" <<<"$secret_yaml"; }
field() { read_secret "jsonpath={.data.$1}" | base64 -d; }
annotation() { read_secret "go-template={{with .metadata.annotations}}{{index . \"$1\"}}{{end}}" 2>/dev/null || true; }
b64() { printf '%s' "$1" | base64 -w0; }

# Applies a JSON merge patch (null removes a key) of the Secret's data ($1: members of "data")
# and annotations ($2: members of "metadata.annotations", optional), read from a pipe so no key
# appears in a process's arguments. Against the cluster it carries the resourceVersion read
# above, so a concurrent change of the Secret makes it fail instead of being overwritten. With
# --dry-run it prints the Secret as it would be afterwards (YAML, stdout) and changes nothing.
patch_secret() {
  local metadata="\"annotations\":{${2:-}}"
  if $dry_run; then
    kubectl patch --local -f - --type merge --patch-file <(printf '{"metadata":{%s},"data":{%s}}' "$metadata" "$1") -o yaml <<<"$secret_yaml"
    return
  fi
  metadata+=",\"resourceVersion\":\"$(read_secret 'jsonpath={.metadata.resourceVersion}')\""
  k patch secret "$secret" --type merge --patch-file <(printf '{"metadata":{%s},"data":{%s}}' "$metadata" "$1") >/dev/null ||
    die "could not patch Secret $namespace/$secret (changed meanwhile? run the command again)"
}

restart_auth() {
  if $dry_run; then
    say "dry run: would restart deployment/$deployment and wait for its rollout"
    return
  fi
  say "restarting deployment/$deployment so every pod reads the Secret again"
  k rollout restart "deployment/$deployment" >/dev/null
  k rollout status "deployment/$deployment" --timeout "$timeout" >&2 ||
    die "the rollout of deployment/$deployment did not finish within $timeout: check it (kubectl -n $namespace rollout status deployment/$deployment) before the next phase"
}

rollout_complete() {
  if [[ -n $secret_file ]]; then
    say "dry run from a file: not checking that deployment/$deployment finished its rollout"
    return 0
  fi
  k rollout status "deployment/$deployment" --timeout 5s >/dev/null 2>&1
}

access_token_ttl() {
  if [[ -n $ttl ]]; then
    echo "$ttl"
    return
  fi
  local from_deployment=""
  [[ -n $secret_file ]] ||
    from_deployment=$(k get "deployment/$deployment" -o 'jsonpath={.spec.template.spec.containers[?(@.name=="auth")].env[?(@.name=="ACCESS_TOKEN_TTL_SECONDS")].value}' 2>/dev/null || true)
  if [[ $from_deployment =~ ^[0-9]+$ ]]; then echo "$from_deployment"; else echo 300; fi
}

utc() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S UTC'; }

active=$(field jwt-private-key)
additional=$(field jwt-additional-public-keys)
next=$(field jwt-next-private-key)
[[ -n $active ]] || die "Secret $namespace/$secret has no jwt-private-key"
active_kid=$(kid_of "$active")
retire_after=$(annotation "$RETIRE_AFTER_ANNOTATION")

case $command in
  status)
    echo "signing key:      $active_kid"
    if [[ -n $additional ]]; then
      while IFS= read -r kid; do echo "also published:   $kid"; done < <(kids_of "$additional")
    fi
    [[ -z $next ]] || echo "next key:         $(kid_of "$next") (published, not signing: run promote)"
    if [[ $retire_after =~ ^[0-9]+$ ]]; then echo "retire allowed:   after $(utc "$retire_after")"; fi
    if [[ -n $next ]]; then
      echo "phase:            1 (next key published): promote once the auth rollout has finished"
    elif [[ -n $additional ]]; then
      echo "phase:            2 (overlap: the previous key is still published): retire after the time above"
    else
      echo "phase:            no rotation under way"
    fi
    ;;

  publish-next)
    [[ -z $next ]] || die "a rotation is under way: next key $(kid_of "$next") is already published; run promote (or finish the one before)"
    next=$(openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256) || die "openssl could not generate a P-256 key"
    next_kid=$(kid_of "$next")
    published="$(without_kid "$additional" "$next_kid")$(public_of "$next")"$'\n'
    patch_secret "\"jwt-next-private-key\":\"$(b64 "$next")\",\"jwt-additional-public-keys\":\"$(b64 "$published")\""
    say "phase 1: next key $next_kid stored in $namespace/$secret and its public key added to the published ones"
    restart_auth
    say "every auth pod now publishes $next_kid and still signs with $active_kid."
    say "next: $0 promote --namespace $namespace --release $release"
    ;;

  promote)
    [[ -n $next ]] || die "no next key in $namespace/$secret: run publish-next first"
    next_kid=$(kid_of "$next")
    # The invariant of the whole scheme: no pod may sign with a key some pod does not publish yet.
    rollout_complete || die "deployment/$deployment is still rolling out; promote only when every pod publishes $next_kid (kubectl -n $namespace rollout status deployment/$deployment)"
    published="$(without_kid "$(without_kid "$additional" "$next_kid")" "$active_kid")$(public_of "$active")"$'\n'
    seconds=$(access_token_ttl)
    # The waiting time counts from the end of the rollout (the last pod signing with the old key
    # stops then): recorded after it, or estimated from now in a dry run.
    retire_at() { echo $(($(date +%s) + seconds + CLOCK_MARGIN_SECONDS)); }
    change="\"jwt-private-key\":\"$(b64 "$next")\",\"jwt-additional-public-keys\":\"$(b64 "$published")\",\"jwt-next-private-key\":null"
    if $dry_run; then
      patch_secret "$change" "\"$RETIRE_AFTER_ANNOTATION\":\"$(retire_at)\""
    else
      patch_secret "$change"
    fi
    say "phase 2: $next_kid is the signing key; the previous key $active_kid stays published"
    restart_auth
    retire_after=$(retire_at)
    $dry_run || k annotate secret "$secret" --overwrite "$RETIRE_AFTER_ANNOTATION=$retire_after" >/dev/null
    say "the last token signed by $active_kid expires at most ${seconds} s (the access-token lifetime) after the last old pod stopped:"
    say "wait until $(utc "$retire_after") (${seconds} s + ${CLOCK_MARGIN_SECONDS} s margin), then: $0 retire --namespace $namespace --release $release"
    ;;

  retire)
    [[ -n $additional ]] || die "no additional public key is published: nothing to retire"
    now=$(date +%s)
    if ! $force; then
      [[ $retire_after =~ ^[0-9]+$ ]] || die "no record of when promote finished (annotation $RETIRE_AFTER_ANNOTATION): make sure the access-token lifetime has passed since, then rerun with --force"
      ((now >= retire_after)) || die "too early: tokens signed by the previous key may be valid until $(utc "$retire_after") (in $((retire_after - now)) s); retiring now would sign those users out"
    fi
    # Keep a next key of a rotation already started; drop every other additional key.
    kept=""
    [[ -z $next ]] || kept="$(public_of "$next")"$'\n'
    patch_secret "\"jwt-additional-public-keys\":\"$(b64 "$kept")\"" "\"$RETIRE_AFTER_ANNOTATION\":null"
    while IFS= read -r kid; do
      [[ -n $next && $kid == "$(kid_of "$next")" ]] || say "phase 3: $kid is no longer published"
    done < <(kids_of "$additional")
    restart_auth
    say "done: the JWKS serves only $active_kid$([[ -z $next ]] || echo " and the next key $(kid_of "$next")")."
    say "services that fetched the old key keep it in their cache (get-jwks, up to 10 min); no new token can use it"
    ;;
esac
