// The gateway as a long-running process (a test fixture: see README.md).
//   node --import tsx tools/kube/gateway/cli.ts --kubeconfig F --namespace N --port P --dir D [--events-file F]
// stdout, first line: `gateway: http://127.0.0.1:PORT` once nginx serves the routes listed at
// start. stderr: progress, refused or ignored objects, retried API errors. SIGTERM/SIGINT: stop
// watching, let nginx finish in-flight requests, exit 0. nginx never outlives this process (exit
// handler, and a parent-death signal for when this process is SIGKILLed).
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Routing } from '../../cluster/types.ts';
import { parseOrUsage, readInput } from '../../config/cli-input.ts';
import { KubeGateway } from './gateway.ts';

const USAGE = `usage: node --import tsx tools/kube/gateway/cli.ts --kubeconfig FILE --dir DIR [--namespace anypod] [--port 0] [--events-file FILE] [--routing round-robin|sticky] [--coalesce-ms 100]`;

/** The flags, read by the tools' one input reader (bad input: one line naming the flag, the usage, exit 2). */
const GatewayInputSchema = Type.Object({
  kubeconfig: Type.String({ minLength: 1, flag: '--kubeconfig', description: 'a kubeconfig file (no default kubeconfig is ever used)' }),
  namespace: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', default: 'anypod', flag: '--namespace', description: 'a namespace name' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 0, flag: '--port', description: 'a port number, or 0 for a free one' }),
  dir: Type.String({ minLength: 1, flag: '--dir', description: 'a directory (nginx config, logs and temp files go there)' }),
  'events-file': Type.Optional(Type.String({ minLength: 1, flag: '--events-file', description: 'a file' })),
  routing: Type.Union([Type.Literal('round-robin'), Type.Literal('sticky')], { default: 'round-robin', flag: '--routing', description: 'round-robin or sticky' }),
  'coalesce-ms': Type.Number({ minimum: 0, default: 100, flag: '--coalesce-ms', description: 'milliseconds ≥ 0' }),
});

function parse(): { kubeconfig: string; namespace: string; port: number; dir: string; eventsFile?: string; routing: Routing; coalesceMs: number } {
  const input = readInput(GatewayInputSchema, { argv: process.argv.slice(2) });
  return {
    kubeconfig: resolve(input.kubeconfig),
    namespace: input.namespace,
    port: input.port,
    dir: resolve(input.dir),
    eventsFile: input['events-file'] ? resolve(input['events-file']) : undefined,
    routing: input.routing,
    coalesceMs: input['coalesce-ms'],
  };
}

const args = parseOrUsage(parse, USAGE);
if (!args) process.exit(2);
// Times on stderr lines: what happened when, next to the events file's atMs.
const log = (message: string) => process.stderr.write(`gateway: ${new Date().toISOString().slice(11, 23)} ${message}\n`);
if (args.eventsFile) mkdirSync(dirname(args.eventsFile), { recursive: true });

const gateway = new KubeGateway({
  kubeconfig: args.kubeconfig,
  namespace: args.namespace,
  port: args.port,
  dir: args.dir,
  routing: args.routing,
  coalesceMs: args.coalesceMs,
  onLog: log,
  onReload: (event) => {
    const counts = Object.entries(event.endpoints).map(([s, pods]) => `${s} ${pods.length}`);
    log(`generation ${event.generation} live in ${event.tookMs} ms (${counts.join(', ') || 'no routes'})`);
    if (args.eventsFile) appendFileSync(args.eventsFile, `${JSON.stringify(event)}\n`);
  },
  onProblems: (problems) => {
    if (problems.length === 0) log('no refused or ignored objects');
    for (const p of problems) log(`${p.action}: ${p.object}: ${p.message}`);
  },
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping`);
  try {
    await gateway.stop();
    process.exit(0);
  } catch (error) {
    log(`stop failed: ${(error as Error).message}`);
    gateway.killNow();
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('exit', () => gateway.killNow());

try {
  await gateway.start();
} catch (error) {
  log(`could not start: ${(error as Error).message}`);
  gateway.killNow();
  process.exit(1);
}
if (!stopping) process.stdout.write(`gateway: ${gateway.url}\n`);
