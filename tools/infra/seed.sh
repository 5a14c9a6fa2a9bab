#!/usr/bin/env bash
# Loads seed data into every service that has a prisma/seed.ts (idempotent upserts).
source "$(dirname "$0")/common.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
for dir in "$root"/services/*/; do
  [ -f "$dir/prisma/seed.ts" ] || continue
  log "seed: $(basename "$dir")"
  (cd "$dir" && DATABASE_URL=${DATABASE_URL:-$("$root/tools/infra/postgres.sh" url)} node --import tsx prisma/seed.ts)
done
