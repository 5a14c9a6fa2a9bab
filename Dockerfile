# The anypod images, from one Dockerfile (tools/images/README.md says why each choice):
#   docker build --build-arg SERVICE=auth --target service -t anypod/auth:0.3.0 .   (auth, catalog, cart)
#   docker build --target migrate -t anypod/migrate:0.3.0 .
# `make images` builds all four with the version from helm/anypod/Chart.yaml.

# ---------------------------------------------------------------------------------------------
# build: the whole workspace, the Prisma clients and the production bundles (services/*/dist).
# Shared by every image (it makes all four images' files); only the final stages differ.
FROM node:24-bookworm-slim AS build
WORKDIR /repo
# Nothing here runs as a server; keep npm/pnpm quiet and off the network for anything optional.
ENV CI=true NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# pnpm at the version package.json's packageManager pins (one source for the version).
RUN npm install -g "pnpm@$(node -p 'require("./package.json").packageManager.split("@")[1]')"
# Every package of the lockfile into pnpm's store, from the lockfile alone: this layer (the slow
# download) is reused until pnpm-lock.yaml changes, whatever else changed.
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile
# Prisma clients (WASM query compiler, no native engine: tools/prisma/run.mjs) and the esbuild
# bundles, exactly as `make build` makes them.
RUN bash tools/infra/migrate.sh generate && node --import tsx tools/build/cli.ts
# Every image's files, once for all four (tools/images/assemble.sh): per service `pnpm deploy
# --prod` from the lockfile, trimmed to what its bundle loads (prune-deploy.mjs says what and
# why), plus its dist; and the migrate image's /app.
RUN bash tools/images/assemble.sh /out

# ---------------------------------------------------------------------------------------------
# service: what runs in the pod. Only the production node_modules, the bundle (with its source
# maps, for --enable-source-maps) and package.json ("type": "module" makes dist/*.js ES modules).
FROM node:24-bookworm-slim AS service
# Required: auth, catalog or cart. The default is a message: without --build-arg the COPY below
# fails with "/out/services/give-SERVICE-auth-catalog-or-cart/package.json: no such file".
ARG SERVICE=give-SERVICE-auth-catalog-or-cart
LABEL org.opencontainers.image.title="anypod-${SERVICE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0
WORKDIR /app
# Owned by root and not writable by the app's user: the code cannot be changed at run time, even
# where the root filesystem is not mounted read-only. Nothing is written under /app; the only
# writable place the services need is /tmp (an emptyDir in the chart).
COPY --from=build /out/services/${SERVICE}/package.json ./package.json
COPY --from=build /out/services/${SERVICE}/node_modules ./node_modules
COPY --from=build /out/services/${SERVICE}/dist ./dist
# Numeric, so Kubernetes' runAsNonRoot can check it without reading /etc/passwd (it is the base
# image's `node` user).
USER 1000:1000
EXPOSE 3000
# Signals: the exec form makes node itself PID 1 (no /bin/sh -c in between that would swallow
# SIGTERM). The kernel delivers to PID 1 only signals it has a handler for; every service
# installs its own SIGTERM handler (packages/platform/src/graceful.ts: readiness turns 503, the
# server drains, connections close, exit 0), so `docker stop` / a pod deletion reaches it at
# once. node starts no child processes, so nothing needs reaping and no init (tini,
# --init) is needed.
CMD ["node", "--enable-source-maps", "dist/server.js"]

# ---------------------------------------------------------------------------------------------
# migrate: the Prisma CLI (6.19, WASM schema engine through the pg driver adapter), the project's
# runner scripts and every service's migrations (tools/images/assemble-migrate.sh). The init
# container of each service's pod, `args: ["<service>"]`: applies that service's pending
# migrations under Prisma's migration lock, exits 0 at once when there are none.
FROM node:24-bookworm-slim AS migrate
LABEL org.opencontainers.image.title="anypod-migrate" \
      org.opencontainers.image.licenses="Apache-2.0"
# HOME in /tmp: the Prisma CLI may look for a cache under it; /tmp is the one writable place.
ENV NODE_ENV=production HOME=/tmp
COPY --from=build /out/migrate /app
WORKDIR /app/services
USER 1000:1000
# PID 1 here is node running tools/prisma/deploy.mjs, which runs the Prisma CLI as a child and
# waits for it: a SIGTERM is not handled (the kernel ignores it for PID 1), so a pod deleted
# mid-migration is killed after its grace period. That is safe: each migration is one
# transaction and Prisma's advisory lock is released with the connection.
ENTRYPOINT ["node", "/app/tools/images/migrate-entry.mjs"]
