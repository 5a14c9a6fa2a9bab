#!/usr/bin/env bash
# Every image's files, made once in the Dockerfile's build stage (in the built workspace, after
# pnpm install, Prisma generate and the bundles); the final stages only copy their folder:
#   <out>/services/<name>/   package.json, node_modules (production, trimmed), dist   (per service)
#   <out>/migrate/           the migrate image's /app (assemble-migrate.sh)
# Why here and not in a stage per service: podman 4.3 (Debian 12) never reuses the cached layers
# of a stage built FROM another stage, so every `make images` redid the deploys.
# Usage: assemble.sh <output folder>    (from the workspace root)
set -euo pipefail
out=${1:?usage: assemble.sh <output folder>}
here=$(dirname "$0")
[ -f pnpm-workspace.yaml ] || { echo "assemble: run it from the workspace root" >&2; exit 2; }
for server in services/*/dist/server.js; do
  name=$(basename "$(dirname "$(dirname "$server")")")
  target="$out/services/$name"
  # pnpm deploy --prod: the service's `dependencies`, from the lockfile, into a folder of its own.
  pnpm --filter "@anypod/$name" deploy --prod --offline "$target" >/dev/null
  node "$here/prune-deploy.mjs" "$target" "services/$name/dist"
  # Keep only what the image runs; the deploy also copied the package's sources and tests.
  find "$target" -mindepth 1 -maxdepth 1 ! -name package.json ! -name node_modules -exec rm -rf {} +
  cp -r "services/$name/dist" "$target/dist"
  echo "assemble: $name $(du -sh "$target" | cut -f1)"
done
bash "$here/assemble-migrate.sh" "$out/migrate"
