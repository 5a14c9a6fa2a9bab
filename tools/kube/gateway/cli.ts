// The gateway as a long-running process (a test fixture: see README.md).
//   node --import tsx tools/kube/gateway/cli.ts --kubeconfig F --namespace N --port P --dir D [--events-file F]
// stdout, first line: `gateway: http://127.0.0.1:PORT` once nginx serves the routes listed at
// start. stderr: progress, refused or ignored objects, retried API errors. SIGTERM/SIGINT: stop
// watching, let nginx finish in-flight requests, exit 0. nginx never outlives this process (exit
// handler, and a parent-death signal for when this process is SIGKILLed).
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Routing } from '../../cluster/types.ts';
import { KubeGateway } from './gateway.ts';

const USAGE = `usage: node --import tsx tools/kube/gateway/cli.ts --kubeconfig FILE --dir DIR [--namespace anypod] [--port 0] [--events-file FILE] [--routing round-robin|sticky] [--coalesce-ms 100]`;

function fail(message: string): never {
  process.stderr.write(`gateway: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { kubeconfig: string; namespace: string; port: number; dir: string; eventsFile?: string; routing: Routing; coalesceMs: number } {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', default: 'anypod' },
        port: { type: 'string', default: '0' },
        dir: { type: 'string' },
        'events-file': { type: 'string' },
        routing: { type: 'string', default: 'round-robin' },
        'coalesce-ms': { type: 'string', default: '100' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (!values.kubeconfig) fail('--kubeconfig is required (no default kubeconfig is ever used)');
  if (!values.dir) fail('--dir is required (nginx config, logs and temp files go there)');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${values.port}: a port number, or 0 for a free one`);
  const coalesceMs = Number(values['coalesce-ms']);
  if (!Number.isFinite(coalesceMs) || coalesceMs < 0) fail(`--coalesce-ms ${values['coalesce-ms']}: milliseconds >= 0`);
  if (values.routing !== 'round-robin' && values.routing !== 'sticky') fail(`--routing ${values.routing}: round-robin or sticky`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace)) fail(`--namespace ${values.namespace}: not a namespace name`);
  return {
    kubeconfig: resolve(values.kubeconfig),
    namespace: values.namespace,
    port,
    dir: resolve(values.dir),
    eventsFile: values['events-file'] ? resolve(values['events-file']) : undefined,
    routing: values.routing,
    coalesceMs,
  };
}

const args = parse();
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
