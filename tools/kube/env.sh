#!/usr/bin/env bash
# Prints the one-node cluster's paths as NAME=value lines, so programs in other languages read
# them from common.sh instead of keeping their own copy (tools/kube/proof/kube-env.ts does).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
printf 'HOST_PATHS=%s\n' "${HARD_CODED_HOST_PATHS[*]}"
printf 'RUN_DIR=%s\nKUBECONFIG=%s\nCONTAINERD_SOCK=%s\nNODE_NAME=%s\nNODE_IP=%s\nBRIDGE=%s\nPOD_SUPERNET=%s\nSERVICE_CIDR=%s\nGUARD_CHAIN=%s\nKUBE_PROXY_METRICS=%s\n' \
  "$RUN_DIR" "$KUBECONFIG_FILE" "$CONTAINERD_SOCK" "$NODE_NAME" "$NODE_IP" "$BRIDGE" "$POD_SUPERNET" "$SERVICE_CIDR" "$GUARD_CHAIN" "$KUBE_PROXY_METRICS"
printf 'PID_DIR=%s\nLOG_DIR=%s\nPROMETHEUS_PORT=%s\nJAEGER_PORT=%s\nOTLP_PORT=%s\nPROMETHEUS_SD_PORT=%s\n' \
  "$PID_DIR" "$LOG_DIR" "$PROMETHEUS_PORT" "$JAEGER_PORT" "$OTLP_PORT" "$PROMETHEUS_SD_PORT"
