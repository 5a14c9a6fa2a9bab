#!/usr/bin/env bash
# Runs a command as one named stage of a longer job and says how long it took, so a slow stage
# shows at a glance in `make test`'s output. Exits with the command's status.
# Usage: timed.sh "stage name" command [args...]
name=$1
shift
started=$(date +%s%3N)
"$@"
status=$?
elapsed=$(($(date +%s%3N) - started))
note=""
[ "$status" -ne 0 ] && note="  — failed (exit $status)"
printf '\033[1m[stage]\033[0m %-34s %4d.%d s%s\n' "$name" $((elapsed / 1000)) $((elapsed % 1000 / 100)) "$note" >&2
exit "$status"
