#!/usr/bin/env bash
# Lays out the anypod/migrate image's /app (run by assemble.sh inside the image build, in the
# built workspace). The layout mirrors the repository, so the project's own
# tools/prisma scripts and each service's prisma.config.ts run unchanged:
#   node_modules/                 prisma, pg, @prisma/adapter-pg and what they need (from the lockfile)
#   node_modules/@anypod/platform → packages/platform   (prisma.config.ts imports its prisma-config)
#   packages/platform/            package.json + src/prisma-config.ts only
#   tools/prisma/*.mjs, tools/images/migrate-entry.mjs
#   services/<name>/              package.json, prisma.config.ts, prisma/{schema.prisma,migrations}
# Usage: assemble-migrate.sh <output folder>    (from the workspace root, after pnpm install)
set -euo pipefail
out=${1:?usage: assemble-migrate.sh <output folder>}
[ -f pnpm-workspace.yaml ] || { echo "assemble-migrate: run it from the workspace root" >&2; exit 2; }
[ ! -e "$out" ] || { echo "assemble-migrate: $out exists already" >&2; exit 2; }

# platform depends on the Prisma CLI and the adapter (prisma-config.ts); keep only those three.
pnpm --filter @anypod/platform deploy --prod --offline "$out.platform"
node tools/images/prune-deploy.mjs "$out.platform" --roots prisma,pg,@prisma/adapter-pg
mkdir -p "$out/packages/platform/src" "$out/tools/images" "$out/node_modules/@anypod"
# Parts of the Prisma CLI that `migrate deploy` against PostgreSQL never loads (about 40 MB; the
# image test applies every migration to a fresh database with what is left):
#   build/*_bg.<other database>.*  the WASM query engines and compilers of MySQL, SQLite, SQL Server, CockroachDB
#   build/public                   Prisma Studio's web assets (`prisma studio`)
#   prisma-client                  the client runtime `prisma generate` copies (clients are generated at build time)
cli=$(cd "$out.platform/node_modules/prisma" && pwd -P)
[ -f "$cli/build/index.js" ] || { echo "assemble-migrate: the Prisma CLI is not at $cli" >&2; exit 1; }
rm -rf "$cli"/build/*_bg.{mysql,sqlite,sqlserver,cockroachdb}.* "$cli/build/public" "$cli/prisma-client"
mv "$out.platform/node_modules"/* "$out.platform/node_modules"/.pnpm "$out/node_modules/"
rm -rf "$out.platform"
cp packages/platform/package.json "$out/packages/platform/"
cp packages/platform/src/prisma-config.ts "$out/packages/platform/src/"
ln -s ../../packages/platform "$out/node_modules/@anypod/platform"
cp -r tools/prisma "$out/tools/prisma"
cp tools/images/migrate-entry.mjs "$out/tools/images/"

count=0
for schema in services/*/prisma/schema.prisma; do
  dir=$(dirname "$(dirname "$schema")")
  mkdir -p "$out/$dir/prisma"
  cp "$dir/package.json" "$dir/prisma.config.ts" "$out/$dir/"
  cp -r "$dir/prisma/schema.prisma" "$dir/prisma/migrations" "$out/$dir/prisma/"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "assemble-migrate: no services/*/prisma/schema.prisma found" >&2; exit 1; }
echo "assemble-migrate: $count services' migrations, $(du -sh "$out" | cut -f1) in $out"
