#!/usr/bin/env bash
# Exits 0 once kube-proxy has programmed its rules at least once: its sync timestamp metric is
# set. Its /healthz answers before that, and a ClusterIP used before the first sync is not
# translated (the route keeps it on the bridge, where it times out).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# Read whole, then matched: `curl | grep -q` fails under pipefail when grep stops reading early.
metrics=$(curl -fsS --max-time 2 "http://$KUBE_PROXY_METRICS/metrics")
grep -qE '^kubeproxy_sync_proxy_rules_last_timestamp_seconds(\{[^}]*\})? [1-9]' <<<"$metrics"
