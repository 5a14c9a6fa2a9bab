// Cold start to ready per service on processes: the production build (services/<name>/dist/
// server.js, what the images run) spawned with the environment the local cluster gives a replica,
// on the servers' CPUs, timed from spawn to its first GET /readyz 200 (tools/build/cold-start.ts,
// the one implementation measure-startup.ts uses too). Median of 5 runs (quick: 2), the services
// interleaved so a machine that slows down mid-stage slows all alike.
//
// Where the time goes, from marks the process itself takes through Fastify's diagnostics channel
// (a preload of a few lines, below): modules = spawn → Fastify() (Node's start, every import,
// config); plugins = Fastify() → onReady (registration, route schemas compiled, Prisma client and
// Redis client made); first answer = onReady → the first /readyz 200 (listen, then the readiness
// checks' first Postgres query and Redis ping on fresh connections, and the poll's 10-ms step).
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { freePort } from '@anypod/tools/cluster/process-utils.ts';
import { loadManifests } from '@anypod/tools/cluster/manifests.ts';
import { SERVICE_NAMES, serviceDir } from '@anypod/tools/cluster/paths.ts';
import { generateSecrets } from '@anypod/tools/cluster/secrets.ts';
import type { ServiceName } from '@anypod/tools/cluster/types.ts';
import { replicaProcessEnv, startUntilReady } from '@anypod/tools/build/cold-start.ts';
import { median } from '@anypod/tools/build/stats.ts';
import { assertBuilt, BUILD_ENTRY, serviceArgs } from '@anypod/platform/service-command';
import type { BenchContext } from '../lib/context.ts';
import { pinnedArgv } from '../lib/pinning.ts';
import type { Measurement } from '../lib/results.ts';

/** Epoch-ms marks the service process writes to stderr: Fastify() made, plugins ready, listening. */
const MARKS_PRELOAD = `data:text/javascript,${encodeURIComponent(
  [
    "import dc from 'node:diagnostics_channel';",
    'const now = () => performance.timeOrigin + performance.now();',
    "dc.subscribe('fastify.initialization', ({ fastify }) => {",
    '  const marks = { created: now() };',
    "  fastify.addHook('onReady', async () => { marks.registered = now(); });",
    "  fastify.addHook('onListen', async () => { marks.listening = now(); process.stderr.write('coldstart-marks ' + JSON.stringify(marks) + '\\n'); });",
    '});',
  ].join('\n'),
)}`;

export interface StartMarks {
  created: number;
  registered: number;
  listening: number;
}

/** The marks line from a process's output, or undefined when it wrote none. */
export function parseMarks(output: string): StartMarks | undefined {
  const line = /^coldstart-marks (\{.*\})$/m.exec(output)?.[1];
  if (!line) return undefined;
  const marks = JSON.parse(line) as Partial<StartMarks>;
  return typeof marks.created === 'number' && typeof marks.registered === 'number' && typeof marks.listening === 'number' ? (marks as StartMarks) : undefined;
}

export interface ColdStartSample {
  readyMs: number;
  rssMiB: number;
  /** spawn → Fastify(), Fastify() → onReady, onReady → first readiness 200; undefined without marks */
  phases?: { modulesMs: number; pluginsMs: number; firstAnswerMs: number };
}

/** The phases of one start from its epoch-ms spawn time, marks and ready time. */
export function phasesOf(spawnedAt: number, readyAt: number, marks: StartMarks): NonNullable<ColdStartSample['phases']> {
  return { modulesMs: marks.created - spawnedAt, pluginsMs: marks.registered - marks.created, firstAnswerMs: readyAt - marks.registered };
}

/** One row per service from its samples: medians, and how they were taken. */
export function coldStartMeasurement(service: string, samples: readonly ColdStartSample[]): Measurement {
  const figures: Measurement['figures'] = {
    'median to ready': { value: median(samples.map((s) => s.readyMs)), unit: 'ms' },
    'RSS at ready': { value: median(samples.map((s) => s.rssMiB)), unit: 'MiB' },
  };
  const phased = samples.flatMap((s) => (s.phases ? [s.phases] : []));
  if (phased.length > 0) {
    figures.modules = { value: median(phased.map((p) => p.modulesMs)), unit: 'ms' };
    figures.plugins = { value: median(phased.map((p) => p.pluginsMs)), unit: 'ms' };
    figures['first answer'] = { value: median(phased.map((p) => p.firstAnswerMs)), unit: 'ms' };
  }
  return {
    section: 'cold start',
    subject: service,
    via: 'process',
    figures,
    note: `spawn of node ${BUILD_ENTRY} → first /readyz 200, median of ${samples.length}; modules = spawn → Fastify(), plugins = → onReady, first answer = → first 200 (first Postgres/Redis round trips)`,
  };
}

export async function coldStartStage(ctx: BenchContext): Promise<Measurement[]> {
  const runs = ctx.quick ? 2 : 5;
  const manifests = loadManifests();
  const secrets = generateSecrets();
  for (const service of SERVICE_NAMES) assertBuilt(serviceDir(service), service);
  const samples = new Map<ServiceName, ColdStartSample[]>(SERVICE_NAMES.map((s) => [s, []]));
  for (let run = 1; run <= runs; run++) {
    for (const service of SERVICE_NAMES) {
      const port = await freePort();
      // Nothing listens at the Ingress address: readiness depends on Postgres and Redis only, and
      // the JWKS and catalog are fetched when a request needs them, never at start.
      const env = replicaProcessEnv(manifests, service, { port, ingressUrl: 'http://127.0.0.1:9', secrets });
      const argv = pinnedArgv(ctx.pinning, 'servers', [process.execPath, '--import', MARKS_PRELOAD, ...serviceArgs({ kind: 'build' })]);
      const spawnedAt = performance.timeOrigin + performance.now();
      const started = await startUntilReady({ argv, cwd: serviceDir(service), env, url: `http://127.0.0.1:${port}`, readinessPath: manifests.service(service).probes.readiness });
      const readyAt = spawnedAt + started.readyMs;
      await started.stop();
      const marks = parseMarks(started.output());
      const sample: ColdStartSample = { readyMs: started.readyMs, rssMiB: started.readyRssMiB, ...(marks ? { phases: phasesOf(spawnedAt, readyAt, marks) } : {}) };
      samples.get(service)?.push(sample);
      ctx.log(`cold start: ${service} ${run}/${runs} ready in ${started.readyMs.toFixed(0)} ms (${join('services', service, BUILD_ENTRY)})`);
    }
  }
  return SERVICE_NAMES.map((service) => coldStartMeasurement(service, samples.get(service) ?? []));
}
