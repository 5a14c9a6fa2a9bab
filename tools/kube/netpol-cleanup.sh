#!/usr/bin/env bash
# Removes what kube-router's NetworkPolicy controller (v2.1.0, --run-firewall, IPv4) leaves in the
# filter table and in ipset: it cleans nothing when it stops, and its --cleanup-config does not
# remove policy state in v2.1.0 (fixed upstream only in a later release, not served here) and
# flushes all IPVS state besides. Rule by rule, never a whole-table restore, so kube-proxy's rules
# are left as they are. Run by tools/kube/down.sh after kube-router has stopped.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
command -v ipset >/dev/null || { log "no ipset: nothing of kube-router to remove"; exit 0; }
ipt=(iptables -w -t filter)
for builtin in INPUT FORWARD OUTPUT; do
  # Highest rule number first, so the lower numbers stay valid while deleting.
  while read -r number; do
    "${ipt[@]}" -D "$builtin" "$number"
  done < <("${ipt[@]}" -L "$builtin" --line-numbers -n | awk -v target="KUBE-ROUTER-$builtin" '$2 == target { print $1 }' | sort -rn)
done
mapfile -t chains < <(iptables-save -t filter | sed -n 's/^:\(KUBE-ROUTER-INPUT\|KUBE-ROUTER-FORWARD\|KUBE-ROUTER-OUTPUT\|KUBE-NWPLCY-[A-Z0-9]*\|KUBE-POD-FW-[A-Z0-9]*\) .*/\1/p')
# Flush every chain before deleting any: they jump to each other.
for chain in "${chains[@]}"; do "${ipt[@]}" -F "$chain"; done
for chain in "${chains[@]}"; do "${ipt[@]}" -X "$chain"; done
mapfile -t sets < <(ipset list -n | grep -E '^KUBE-(SRC|DST)-' || true)
for set in "${sets[@]}"; do ipset destroy "$set"; done
[[ "${1:-}" == --quiet ]] || log "  kube-router's rules removed: ${#chains[@]} chains, ${#sets[@]} address sets"
