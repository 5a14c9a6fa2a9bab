# shellcheck shell=bash
# A Debian 12 minbase root filesystem, slim like debian:bookworm-slim: what the locally made base
# images share (base-image.sh: node:24-bookworm-slim; standin/debian-base.sh: the stand-ins'
# base). Sourced after common.sh; each caller hashes this file into its recipe key as well.

# The apt source files of this machine (its mirror, updates and security).
apt_sources() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -s "$file" ] && printf '%s\n' "$file"
  done
  return 0
}

# The Debian mirror the host uses (not the security one), from its apt sources.
debian_mirror() {
  local sources mirror
  mapfile -t sources < <(apt_sources)
  [ "${#sources[@]}" -gt 0 ] || die "no apt sources on this machine (/etc/apt/sources.list, /etc/apt/sources.list.d)"
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' "${sources[@]}" | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\(http[^[:space:]]*\).*/\2/p' "${sources[@]}" | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || die "no Debian mirror found in ${sources[*]}"
  printf '%s\n' "$mirror"
}

# debootstrap_minbase ROOTFS MIRROR LOG: Debian bookworm minbase into ROOTFS (the log on failure).
debootstrap_minbase() {
  local rootfs=$1 mirror=$2 logfile=$3 started
  started=$(date +%s)
  if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$logfile" 2>&1; then
    tail -n 20 "$logfile" >&2
    die "debootstrap failed (log above)"
  fi
  log "  debootstrap: $(($(date +%s) - started)) s"
}

# new_rootfs NAME MIRROR: a work folder $containers_dir/NAME.XXXXXX, removed when the script exits,
# holding a Debian bookworm minbase in $work/rootfs; sets `work` and `rootfs` for the caller.
new_rootfs() {
  # shellcheck disable=SC2154  # containers_dir: set by common.sh, sourced before this file
  mkdir -p "$containers_dir"
  work=$(mktemp -d "$containers_dir/$1.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  debootstrap_minbase "$rootfs" "$2" "$work/debootstrap.log"
}

# slim_rootfs ROOTFS: what debian:bookworm-slim leaves out — docs (but copyrights), man pages,
# info, translations, lintian overrides — removed now and excluded from every later install.
slim_rootfs() {
  local rootfs=$1
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
CFG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
}
