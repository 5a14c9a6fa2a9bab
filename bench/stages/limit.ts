// The limit: what a bare Fastify hello-world serves on this Node, machine and pinning. Every
// route's figure is shown as a ratio to it, measured in the same run.
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../lib/context.ts';
import { runLoad } from '../lib/load.ts';
import { loadFigures, type LoadFigures, type Measurement } from '../lib/results.ts';
import { startPinned } from '../lib/spawn-server.ts';

const HELLO = fileURLToPath(new URL('../lib/hello-server.ts', import.meta.url));

export async function measureLimit(ctx: BenchContext): Promise<LoadFigures> {
  const server = await startPinned(ctx.pinning, [process.execPath, HELLO], { ready: (out) => /listening (\d+)/.exec(out)?.[1] });
  try {
    ctx.log(`limit: bare Fastify hello-world, ${ctx.connections} connections, ${ctx.durationS} s`);
    return await runLoad({ baseUrl: `http://127.0.0.1:${server.ready}`, requests: [{ method: 'GET', path: '/' }], connections: ctx.connections, durationS: ctx.durationS, warmupS: ctx.warmupS }, ctx.pinning);
  } finally {
    await server.stop();
  }
}

export async function limitStage(ctx: BenchContext): Promise<Measurement[]> {
  ctx.limit = await measureLimit(ctx);
  return [{ section: 'limit', subject: 'bare Fastify hello-world', via: 'one process, direct', figures: loadFigures(ctx.limit, ctx.limit), note: `Node ${process.versions.node}, no plugins, no logging` }];
}
