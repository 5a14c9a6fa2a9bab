#!/usr/bin/env bash
# The project's own Python virtualenv with Schemathesis, outside the clone (like Node and the Go
# tools) and keyed by the pinned version, so two versions never share one and a fresh clone
# reuses it. Recreated when requirements.txt or constraints.txt change (a stamp of their hash).
#   bash tools/schemathesis/venv.sh          create it if missing or stale (make test-setup)
#   bash tools/schemathesis/venv.sh --path   print where it is (what the test runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(sed -n 's/^schemathesis==\([0-9.]*\)$/\1/p' "$here/requirements.txt")
[ -n "$version" ] || { echo "tools/schemathesis/requirements.txt pins no schemathesis==X.Y.Z" >&2; exit 1; }
dir=${ANYPOD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anypod}/schemathesis-$version
if [ "${1:-}" = --path ]; then
  echo "$dir"
  exit 0
fi

stamp=$(cat "$here/requirements.txt" "$here/constraints.txt" | sha256sum | cut -c1-16)
if [ -x "$dir/bin/schemathesis" ] && [ "$(cat "$dir/.anypod-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

# Schemathesis 4 needs Python 3.10 or newer.
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "Schemathesis $version needs Python >= 3.10 with venv: install python3 and python3-venv (Debian), or set PYTHON" >&2
  exit 1
fi
echo "creating $dir (schemathesis $version)" >&2
# A venv holds absolute paths, so it is built where it stays; the stamp, written last, marks it
# complete: an interrupted install is redone from scratch on the next run.
rm -rf "$dir"
"$python" -m venv "$dir"
"$dir/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" -c "$here/constraints.txt"
"$dir/bin/schemathesis" --version >&2
echo "$stamp" > "$dir/.anypod-stamp"
