#!/usr/bin/env bash
# Generates each service's Prisma client and/or applies its committed migrations with
# `migrate deploy` when one is pending (never `migrate dev` — see environment.md).
# Usage: migrate.sh generate|deploy
source "$(dirname "$0")/common.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
for dir in "$root"/services/*/; do
  [ -f "$dir/prisma/schema.prisma" ] || continue
  name=$(basename "$dir")
  case "${1:-deploy}" in
    generate) log "prisma generate: $name"; (cd "$dir" && node "$root/tools/prisma/run.mjs" generate >/dev/null) ;;
    deploy) DATABASE_URL=${DATABASE_URL:-$("$root/tools/infra/postgres.sh" url)} node "$root/tools/prisma/deploy.mjs" "$dir" ;;
  esac
done
