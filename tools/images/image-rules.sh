# shellcheck shell=bash
# The two rules every script that builds or loads the images must agree on, written once: sourced
# by tools/images/common.sh (make images) and quickstart/lib.sh (deploy.sh loads what make images
# built). The sourcing script defines `die`.

# image_version_of CHART_DIR: the one version of chart and images, the chart's `version:`.
image_version_of() {
  local chart_yaml="$1/Chart.yaml" version
  [[ -f "$chart_yaml" ]] || die "$chart_yaml is missing: the images take their version from the chart's 'version:'"
  version=$(sed -n "s/^version:[[:space:]]*[\"']\{0,1\}\([^\"'[:space:]]*\).*/\1/p" "$chart_yaml" | head -n1)
  [[ -n "$version" ]] || die "no 'version:' line in $chart_yaml"
  printf '%s\n' "$version"
}

# image_engine: ANYPOD_ENGINE=docker|podman forces a choice; otherwise docker only when its engine
# answers (a docker client alone is not enough), else podman.
image_engine() {
  case "${ANYPOD_ENGINE:-}" in
    docker | podman)
      printf '%s\n' "$ANYPOD_ENGINE"
      return 0
      ;;
    '') ;;
    *) die "ANYPOD_ENGINE must be docker or podman, not '$ANYPOD_ENGINE'" ;;
  esac
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo docker; else echo podman; fi
}
