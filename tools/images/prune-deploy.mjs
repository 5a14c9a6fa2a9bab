#!/usr/bin/env node
// Trims a `pnpm deploy --prod` folder to what the service's bundle can load, run inside the
// image build (tools/images/assemble.sh). What pnpm keeps that production never loads:
// - Optional peers. The workspace lockfile resolves @prisma/client's optional peers `prisma` and
//   `typescript` (they are the services' devDependencies), and deploy links them even with
//   --prod: 60 MB of CLI and compiler. A link to an optional peer is cut unless the deployed
//   package itself depends on that package; then every .pnpm entry no longer reachable from the
//   package's own dependencies is deleted.
// - @prisma/client's runtime for every database and engine (73 MB): only the files the bundle
//   imports (`@prisma/client/runtime/<name>` in dist/) are kept, each as .js and .mjs.
// - TypeScript declarations and the dependencies' source maps (step 4).
// Usage: node prune-deploy.mjs <deploy folder> [<dist folder>] [--roots a,b,c]
//   dist defaults to <deploy>/dist; --roots keeps only those dependencies of the deployed package
//   (and what they need), e.g. the migrate image's prisma, pg and @prisma/adapter-pg.
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const rootsAt = args.indexOf('--roots');
const roots = rootsAt >= 0 ? args.splice(rootsAt, 2)[1]?.split(',').filter(Boolean) : undefined;
if (rootsAt >= 0 && !roots?.length) {
  console.error('prune-deploy: --roots needs a comma-separated list of package names');
  process.exit(2);
}
const root = resolve(args[0] ?? '');
const dist = resolve(args[1] ?? join(root, 'dist'));
if (!args[0] || !existsSync(join(root, 'node_modules/.pnpm'))) {
  console.error(`prune-deploy: ${root} is not a pnpm deploy folder (no node_modules/.pnpm)`);
  process.exit(2);
}
const store = join(root, 'node_modules/.pnpm');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Names of the packages in a node_modules folder (scoped ones as @scope/name). */
function entries(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    if (name.startsWith('.')) return [];
    if (name.startsWith('@')) return readdirSync(join(dir, name)).map((sub) => `${name}/${sub}`);
    return [name];
  });
}

/** Bytes of the files under dir, not following links (pnpm's tree is full of them). */
function du(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += du(path);
    else if (entry.isFile()) bytes += lstatSync(path).size;
  }
  return bytes;
}
const before = du(join(root, 'node_modules'));

// 1. Cut links to optional peers the package does not depend on itself.
const deployed = readJson(join(root, 'package.json'));
const ownDeps = new Set(Object.keys(deployed.dependencies ?? {}));
for (const name of roots ?? []) {
  if (!ownDeps.has(name)) {
    console.error(`prune-deploy: --roots names ${name}, which ${deployed.name} does not depend on`);
    process.exit(2);
  }
}
if (roots) for (const name of [...ownDeps]) if (!roots.includes(name)) ownDeps.delete(name);
const cut = [];
for (const entry of readdirSync(store)) {
  const modules = join(store, entry, 'node_modules');
  for (const name of entries(modules)) {
    const dir = join(modules, name);
    // (a link cut a moment ago, while looking at a sibling, is gone: skip it)
    if (!existsSync(join(dir, 'package.json')) || lstatSync(dir).isSymbolicLink()) continue;
    const manifest = readJson(join(dir, 'package.json'));
    const needs = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})]);
    for (const [peer, meta] of Object.entries(manifest.peerDependenciesMeta ?? {})) {
      const link = join(modules, peer);
      if (meta?.optional && !needs.has(peer) && !ownDeps.has(peer) && existsSync(link) && lstatSync(link).isSymbolicLink()) {
        rmSync(link);
        cut.push(`${name} → ${peer}`);
      }
    }
  }
}

// 2. Delete every .pnpm entry not reachable from the deployed package's dependencies.
const entryOf = (path) => {
  const rel = realpathSync(path).slice(store.length + 1);
  return rel.split('/')[0];
};
const reached = new Set();
const queue = entries(join(root, 'node_modules')).filter((name) => ownDeps.has(name)).map((name) => entryOf(join(root, 'node_modules', name)));
while (queue.length > 0) {
  const entry = queue.pop();
  if (reached.has(entry)) continue;
  reached.add(entry);
  const modules = join(store, entry, 'node_modules');
  for (const name of entries(modules)) {
    if (existsSync(join(modules, name))) queue.push(entryOf(join(modules, name)));
  }
}
const dropped = readdirSync(store).filter((entry) => entry !== 'node_modules' && !entry.endsWith('.yaml') && !reached.has(entry));
for (const entry of dropped) rmSync(join(store, entry), { recursive: true, force: true });
// pnpm's hidden hoisting folder and the top level may now hold dangling links.
for (const dir of [join(store, 'node_modules'), join(root, 'node_modules')]) {
  for (const name of entries(dir)) {
    const link = join(dir, name);
    if (lstatSync(link).isSymbolicLink() && !existsSync(link)) rmSync(link);
  }
}

// 3. @prisma/client's runtime: only what the bundle imports.
const imported = new Set();
for (const entry of existsSync(dist) ? readdirSync(dist, { withFileTypes: true, recursive: true }) : []) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const code = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  for (const match of code.matchAll(/@prisma\/client\/runtime\/([\w.-]+?)(?:\.m?js)?["']/g)) imported.add(match[1]);
}
const runtimes = readdirSync(store)
  .filter((entry) => entry.startsWith('@prisma+client@'))
  .map((entry) => join(store, entry, 'node_modules/@prisma/client/runtime'));
if (runtimes.length > 0 && imported.size === 0) {
  console.error(`prune-deploy: @prisma/client is installed but ${dist} imports nothing from its runtime (was dist built?)`);
  process.exit(1);
}
for (const runtime of runtimes) {
  for (const file of readdirSync(runtime)) {
    const keep = [...imported].some((stem) => file === `${stem}.js` || file === `${stem}.mjs`);
    if (!keep) rmSync(join(runtime, file), { recursive: true, force: true });
  }
}

// 4. Files no running program loads: TypeScript declarations, and the source maps of the
//    dependencies (node --enable-source-maps reads a module's map when it loads it; a missing one
//    is skipped, and these map to library sources the image does not hold anyway). The bundle's
//    own maps in dist/ are not under node_modules and stay.
const NOT_LOADED = /\.d\.[cm]?ts$|\.d\.[cm]?ts\.map$|\.[cm]?js\.map$/;
let unloaded = 0;
(function removeUnloaded(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) removeUnloaded(path); // (a Dirent of a link is never a directory: links are not followed)
    else if (entry.isFile() && NOT_LOADED.test(entry.name)) {
      unloaded += lstatSync(path).size;
      rmSync(path);
    }
  }
})(store);

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
console.log(`prune-deploy: node_modules ${mb(before)} → ${mb(du(join(root, 'node_modules')))}`);
console.log(`  optional peers cut: ${cut.join(', ') || 'none'}`);
console.log(`  unreachable packages removed: ${dropped.length} (${dropped.slice(0, 8).join(', ')}${dropped.length > 8 ? ', …' : ''})`);
console.log(`  @prisma/client runtime kept: ${[...imported].sort().join(', ') || 'n/a'}`);
console.log(`  type declarations and dependency source maps removed: ${mb(unloaded)}`);
