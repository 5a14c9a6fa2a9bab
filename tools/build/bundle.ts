// The production build of a service (issue: "a production build the services run from"): its
// own code, the workspace packages it uses and its generated Prisma client, bundled by esbuild
// into ES modules under services/<name>/dist — no TypeScript, no tsx, no dev dependency at run
// time. Every npm package stays an `import`, resolved from node_modules when the service starts:
// OpenTelemetry instruments http, undici, pg and ioredis by hooking how they load, which a
// bundled copy would escape, and Prisma's runtime loads its query compiler from its own package.
// `splitting` keeps server.ts's dynamic imports as separate chunks, so telemetry still starts
// before Fastify, pg, ioredis or undici is imported.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { serviceDir } from '../cluster/paths.ts';
import type { ServiceName } from '../cluster/types.ts';

/** The Node the bundles target: the one .node-version pins. */
const TARGET = 'node24';

/** Bundles `@anypod/*` workspace packages (TypeScript sources); leaves every other bare import to node_modules. */
const npmPackagesStayExternal: Plugin = {
  name: 'npm-packages-stay-external',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@anypod/') ? undefined : { path: args.path, external: true }));
  },
};

/** `@scope/name/sub/path` → `@scope/name`, `name/sub` → `name`. */
const packageOf = (specifier: string): string => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/**
 * Every npm package the bundle imports must be one of the service's own `dependencies`: that is
 * what `pnpm deploy --prod` installs next to it (and all it installs), and what Node resolves
 * from dist/ (pnpm gives a package only its own dependencies). Workspace packages are bundled,
 * so they are devDependencies.
 */
async function checkDeclared(dir: string, service: string, metafile: Metafile): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const imported = new Set(
    Object.values(metafile.outputs)
      .flatMap((output) => output.imports)
      .filter((i) => i.external && !i.path.startsWith('node:'))
      .map((i) => packageOf(i.path)),
  );
  const missing = [...imported].filter((name) => !declared.has(name)).sort();
  if (missing.length > 0) {
    throw new Error(`${service}: the bundle imports ${missing.join(', ')}, which services/${service}/package.json does not list in "dependencies" (a production install would lack them)`);
  }
  const unused = [...declared].filter((name) => !imported.has(name)).sort();
  if (unused.length > 0) {
    throw new Error(`${service}: "dependencies" lists ${unused.join(', ')}, which the bundle never imports: move them to devDependencies (a production install would carry them for nothing)`);
  }
}

export interface BundleResult {
  service: ServiceName;
  outdir: string;
  /** output files and their sizes in bytes */
  files: Array<{ path: string; bytes: number }>;
}

/** Builds one service's dist/ from scratch (its Prisma client must have been generated). */
export async function bundleService(service: ServiceName, opts: { entry?: string; outdir?: string } = {}): Promise<BundleResult> {
  const dir = serviceDir(service);
  const outdir = opts.outdir ?? join(dir, 'dist');
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: dir,
    entryPoints: { server: opts.entry ?? 'src/server.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: TARGET,
    // Chunks are named by content, so a deploy that copies dist/ never mixes two builds' chunks.
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    // Stack traces and logs keep real function and class names.
    keepNames: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [npmPackagesStayExternal],
  });
  await checkDeclared(dir, service, result.metafile);
  const files = Object.entries(result.metafile.outputs)
    .filter(([path]) => !path.endsWith('.map'))
    .map(([path, output]) => ({ path, bytes: output.bytes }));
  return { service, outdir, files };
}
