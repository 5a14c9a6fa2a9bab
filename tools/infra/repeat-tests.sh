#!/usr/bin/env bash
# `make test-repeat`: runs the tests tagged 'timing' (real processes, kills, timeouts) N times in
# a row and prints how many runs passed, N/N being the only good answer: a test that fails once in
# five runs is a failing test. Under with-infra.sh. Each run's output is kept in out/test-repeat/.
# Usage: repeat-tests.sh N [vitest file filters...]
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:?usage: repeat-tests.sh N [file filters...]}
shift
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive integer, got '$runs'" >&2; exit 2; }
logs="$root/out/test-repeat"
rm -rf "$logs" && mkdir -p "$logs"
set -e
bash "$here/migrate.sh" deploy
bash "$here/seed.sh"
set +e
passed=0
for i in $(seq 1 "$runs"); do
  started=$(date +%s)
  (cd "$root" && pnpm exec vitest run --tags-filter timing "$@") >"$logs/run-$i.log" 2>&1
  status=$?
  summary=$(grep -a '^tests: ' "$logs/run-$i.log" | tail -1)
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    printf 'run %d/%d: passed in %d s (%s)\n' "$i" "$runs" $(($(date +%s) - started)) "$summary"
  else
    printf 'run %d/%d: FAILED in %d s (%s) — %s\n' "$i" "$runs" $(($(date +%s) - started)) "${summary:-no summary}" "$logs/run-$i.log"
    grep -a -E '^ *(FAIL|×)' "$logs/run-$i.log" | sed 's/\x1b\[[0-9;]*m//g' | head -5 | sed 's/^/    /'
  fi
done
printf '\ntiming-sensitive tests: %d/%d runs passed\n' "$passed" "$runs"
[ "$passed" -eq "$runs" ]
