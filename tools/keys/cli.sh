# shellcheck shell=bash
# What the two key scripts (create-secrets.sh, rotate-signing-key.sh) share, written once: their
# messages, prefixed with the script's name; the check that a flag got its value; and the rules
# Kubernetes puts on the names they are given, checked before anything runs so a typo is named
# first. Sourced, never run.

script_name=$(basename "$0" .sh)

die() {
  echo "$script_name: $*" >&2
  exit 1
}
say() { echo "$script_name: $*" >&2; }

# `need_value "$@"` in a flag loop: the flag in $1 needs a value in $2 (not empty, not a flag).
need_value() { [[ $# -ge 2 && -n $2 && $2 != --* ]] || die "$1 needs a value (see --help)"; }

# The namespace and the release name become object names (RFC 1123 labels); the release is the
# prefix of every name the chart makes (`<release>-auth-keys` …), hence at most 40 characters.
check_names() {
  local namespace=$1 release=$2 dns_label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
  [[ $namespace =~ $dns_label && ${#namespace} -le 63 ]] || die "--namespace '$namespace' is not a valid namespace name (lower-case letters, digits, '-')"
  [[ $release =~ $dns_label && ${#release} -le 40 ]] || die "--release '$release' is not a valid release name (lower-case letters, digits, '-', at most 40 characters)"
}
