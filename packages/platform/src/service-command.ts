// How a service process is started, wherever one is (the local cluster, the tests' processes,
// `make dev`), so all of them run what the images run unless they say otherwise:
//   build   node dist/server.js — the production bundle (`make build`, tools/build)
//   source  node --import tsx <entry> — a TypeScript entry file (the proof's mutants)
//   watch   node --watch --import tsx src/server.ts — restarts itself when its code changes
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type ServiceRuntime = { kind: 'build' } | { kind: 'source'; entry: string } | { kind: 'watch' };

export const BUILD_ENTRY = 'dist/server.js';

/** The node arguments for a service run from its folder. */
export function serviceArgs(runtime: ServiceRuntime): string[] {
  switch (runtime.kind) {
    case 'build':
      return ['--enable-source-maps', BUILD_ENTRY];
    case 'source':
      return ['--import', 'tsx', runtime.entry];
    case 'watch':
      return ['--watch', '--import', 'tsx', 'src/server.ts'];
  }
}

/** Throws one clear line when a service folder has no build to run. */
export function assertBuilt(serviceDir: string, name: string): void {
  if (!existsSync(join(serviceDir, BUILD_ENTRY))) {
    throw new Error(`${name} has no production build (${join(serviceDir, BUILD_ENTRY)} is missing): run \`make build\``);
  }
}
