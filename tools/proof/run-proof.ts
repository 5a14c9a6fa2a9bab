// The proof's orchestration (architecture.md, "The proof"; issue 4): for each run, start a local
// cluster in the run's mode, drive virtual users through the Ingress while a killer deletes a
// replica every few seconds, read every user's cart and orders back once the cluster has
// settled, stop the cluster, and assemble what was recorded into the report.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as api from '@anypod/scenarios/requests';
import type { ShopperBehaviour } from '@anypod/scenarios/journeys/index';
import { KILL_LABELS, type Cluster, type ClusterEvent, type ClusterOptions, type ObservabilitySettings, type ServiceName } from '../cluster/types.ts';
import { startLocalObservability, type LocalObservability } from '../cluster/observability.ts';
import { runLoad, type LoadProgress } from '../load/driver.ts';
import { finalRead } from '../load/final-read.ts';
import { createHttpClient } from '../load/http-client.ts';
import { startKiller, type Killer, type KillerOptions, type KillRecord } from './killer.ts';
import { assembleReport } from './assemble-report.ts';
import { readRunTraces, traceLink } from './traces.ts';
import { tracesSentence } from './words.ts';
import type { RunData } from './run-data.ts';
import { PROOF_RUNS, type RunSpec } from './runs.ts';
import type { Platform, ProofReport } from './report-types.ts';
import { REPO_ROOT } from '../cluster/paths.ts';


export interface ProofOptions {
  runs?: readonly RunSpec[];
  /** load per run, seconds */
  durationS: number;
  /** a deletion every this many seconds (the first one after the same delay) */
  killEveryS: number;
  vus: number;
  /** replicas per service */
  replicas: number;
  /** deletions a stateless run must show */
  minKills: number;
  startCluster: (options: ClusterOptions) => Promise<Cluster>;
  /** cluster run directories (logs, nginx config) go under it, one per run */
  runDir: string;
  seed?: number;
  /** extra environment for every replica */
  env?: Record<string, string>;
  behaviour?: Partial<ShopperBehaviour>;
  /**
   * What deletes replicas during a run (default: the replica killer, killer.ts). Kubernetes
   * runs pass their own for the `operations` run (tools/kube/proof/operations.ts).
   */
  startDisruptor?: (spec: RunSpec, cluster: Cluster, options: KillerOptions) => Killer;
  /** Fills an empty catalog (default: tools/infra/seed.sh against the local Postgres). */
  seedCatalog?: () => Promise<void>;
  /** Where the runs ran, for the report (default: the local cluster on this machine). */
  platform?: Platform;
  /** consecutive runs that need the same cluster (mode and routing) share one: faster, for tests */
  shareClusters?: boolean;
  /**
   * Run Jaeger and Prometheus (tools/observability) for the whole proof, every run's cluster
   * reporting to them (`make demo`); each run's data carries the Jaeger URL. Default: none.
   */
  observability?: Omit<ObservabilitySettings, 'stack'>;
  /**
   * The Jaeger (query API) a cluster reports to on its own — the one-node Kubernetes's, on the
   * node — when its Cluster does not name one (a local cluster started with `observability` does).
   * A run with a Jaeger has its traces read once it is over (traces.ts) and checked when stateless.
   */
  jaegerUrl?: string;
  /** per-attempt bound of the load driver, ms (default 5000) */
  requestTimeoutMs?: number;
  /**
   * The per-attempt bound in runs whose replicas hang (default: requestTimeoutMs). A hang lasts
   * a second longer, so clients give up on the stopped replica and retry elsewhere while it is
   * stopped; a short one keeps short runs short.
   */
  hangTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Everything a replica needs beyond what the cluster sets, for the proof's load:
 * all virtual users come from 127.0.0.1, and the per-IP login limit (30/min by default, right for
 * production) would refuse most of them. The per-account failure limit stays as it is.
 */
export const PROOF_ENV: Record<string, string> = {
  LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
  LOG_LEVEL: 'warn',
};

/**
 * The sticky run signs in with bearer tokens only: nginx hashes on Authorization, so a
 * cookie-only request has no key and nginx balances it round-robin — not the sticky story.
 */
const STICKY_BEHAVIOUR: Partial<ShopperBehaviour> = { cookieSession: false };

export async function runProof(options: ProofOptions): Promise<ProofReport> {
  const runs = options.runs ?? PROOF_RUNS;
  const log = options.log ?? ((line: string) => console.log(line));
  const data: RunData[] = [];
  // One stack for every run: a run's traces stay queryable while the next one runs.
  let stack: LocalObservability | undefined;
  if (options.observability) {
    stack = await startLocalObservability(join(options.runDir, 'observability'), options.observability);
    log(`traces: Jaeger ${stack.jaegerUrl}   metrics: Prometheus ${stack.prometheusUrl}   (while the proof runs)`);
  }
  const clusters = new ClusterPool(options, stack);
  try {
    for (const [index, spec] of runs.entries()) {
      log(`▶ ${index + 1}/${runs.length} ${spec.name}: ${describe(spec, options)}`);
      const started = Date.now();
      const runLog = (line: string) => log(`  [${spec.name}] ${line}`);
      data.push(await runOne(spec, options, clusters, runLog));
      // A cluster lives for one run unless the next run can share it (options.shareClusters).
      const next = runs[index + 1];
      if (!next || !options.shareClusters || clusterKey(next) !== clusterKey(spec)) await clusters.release(runLog);
      log(`  [${spec.name}] done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await clusters.release(log);
    await stack?.stop();
  }
  return assembleReport({
    runs: data,
    generatedAt: new Date(),
    machine: { node: process.version, cpus: cpus().length, replicasPerService: options.replicas, platform: options.platform ?? { kind: 'local' } },
  });
}

function describe(spec: RunSpec, o: ProofOptions): string {
  const state = spec.mode === 'shared' ? 'stateless (shared store)' : 'stateful (STATE_STORE=memory)';
  const claimed = spec.clusterStateStore && spec.clusterStateStore !== spec.mode ? ` [cluster really runs STATE_STORE=${spec.clusterStateStore}]` : '';
  const entries = Object.entries(spec.clusterEntries ?? {}).map(([service, entry]) => ` [${service} really runs ${entry}]`).join('');
  const kill = spec.kill === 'hang' ? `hang (${hangMsOf(o) / 1000} s, then graceful delete)` : KILL_LABELS[spec.kill].short;
  return `${state}${claimed}${entries}, ${spec.routing}, ${kill} deletes every ${o.killEveryS} s, ${o.replicas} replicas per service, ${o.vus} VUs for ${spec.durationS ?? o.durationS} s`;
}

const clusterKey = (spec: RunSpec): string => `${spec.clusterStateStore ?? spec.mode}/${spec.routing}/${JSON.stringify(spec.clusterEntries ?? {})}`;

const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const requestTimeoutOf = (spec: RunSpec, o: ProofOptions): number =>
  spec.kill === 'hang' ? (o.hangTimeoutMs ?? o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) : (o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
/** A hung replica stays stopped a second longer than clients wait for it. */
const hangMsOf = (o: ProofOptions): number => (o.hangTimeoutMs ?? o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + 1_000;

/**
 * Starts clusters for runs, and keeps one for the next run when both need the same cluster
 * (shareClusters). Events go to whichever run holds the cluster at the time.
 */
class ClusterPool {
  private current: { key: string; cluster: Cluster } | undefined;
  private migrated = false;
  onEvent: (event: ClusterEvent) => void = () => undefined;

  constructor(
    private readonly options: ProofOptions,
    private readonly stack?: LocalObservability,
  ) {}

  async acquire(spec: RunSpec, log: (line: string) => void): Promise<Cluster> {
    const key = clusterKey(spec);
    if (this.current?.key === key) {
      log(`reusing the cluster of the previous run (${this.current.cluster.ingressUrl})`);
      return this.current.cluster;
    }
    await this.release(log);
    const started = Date.now();
    const cluster = await this.options.startCluster({
      replicas: this.options.replicas,
      stateStore: spec.clusterStateStore ?? spec.mode,
      ...(spec.clusterEntries ? { entries: spec.clusterEntries } : {}),
      hangMs: hangMsOf(this.options),
      routing: spec.routing,
      env: { ...PROOF_ENV, ...this.options.env },
      runDir: join(this.options.runDir, spec.name),
      // A free port: a long-running `make up` cluster may hold the local Ingress's 8080.
      ingressPort: 0,
      // Migrations once, before the first cluster (like the chart's migration Job before a rollout).
      migrate: !this.migrated,
      ...(this.stack ? { observability: { stack: this.stack } } : {}),
      onEvent: (event) => this.onEvent(event),
    });
    this.migrated = true;
    this.current = { key, cluster };
    await cluster.waitForFullStrength(120_000);
    log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s: ingress ${cluster.ingressUrl}, ${cluster.replicas().length} replicas (logs in ${cluster.runDir})`);
    return cluster;
  }

  async release(log: (line: string) => void): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.cluster.stop().catch((error: Error) => log(`cluster stop failed: ${error.message}`));
  }
}

async function runOne(spec: RunSpec, options: ProofOptions, clusters: ClusterPool, log: (line: string) => void): Promise<RunData> {
  const durationS = spec.durationS ?? options.durationS;
  const durationMs = durationS * 1000;
  const base: RunData = {
    spec,
    durationMs,
    virtualUsers: options.vus,
    operations: [],
    observations: [],
    finals: [],
    finalReadFailures: [],
    kills: [],
    replicaService: {},
    truncated: false,
    minKills: spec.minKills ?? (spec.expectation === 'pass' ? options.minKills : 1),
  };
  // Events arrive with epoch times; the run's clock starts when the load does.
  let epochAtStart = Date.now();
  let t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  let killer: Killer | undefined;
  clusters.onEvent = (event: ClusterEvent): void => {
    if ('replica' in event && 'service' in event) base.replicaService[event.replica] = event.service;
    killer?.onEvent(event);
    // Unexpected exits only (a crash, a signal other than the killer's); a pod gone from the API has neither code nor signal.
    if (event.type === 'replica-exited' && event.code !== 0 && event.signal !== 'SIGKILL' && !(event.code === null && event.signal === null)) {
      log(`${fmt(event.atMs - epochAtStart)}  ${event.replica} exited with code ${event.code}${event.signal ? `, signal ${event.signal}` : ''}`);
    }
  };

  try {
    const cluster = await clusters.acquire(spec, log);
    await cluster.waitForFullStrength(120_000);
    for (const r of cluster.replicas()) base.replicaService[r.name] = r.service;
    const jaegerUrl = cluster.observability?.jaegerUrl ?? options.jaegerUrl;
    if (jaegerUrl) base.jaegerUrl = jaegerUrl;
    const client = createHttpClient({ baseUrl: cluster.ingressUrl, timeoutMs: requestTimeoutOf(spec, options), connections: Math.max(8, options.vus * 2) });
    try {
      await ensureCatalog(client, log, options.seedCatalog ?? seedLocalCatalog);
      epochAtStart = Date.now();
      t0 = performance.now();
      const load = await runLoad({
        client,
        vus: options.vus,
        durationMs,
        clock,
        runId: `${spec.name.replace(/[^a-z0-9]/g, '')}${Date.now().toString(36)}`,
        seed: options.seed ?? 1,
        behaviour: { ...(spec.routing === 'sticky' ? STICKY_BEHAVIOUR : {}), ...options.behaviour, ...spec.behaviour },
        onProgress: (p) => log(progressLine(p, base.replicaService)),
        // Deletions start with the shopping, once every VU has signed in.
        onMeasuredStart: (atMs) => {
          log(`${fmt(atMs)}  every VU signed in: shopping for ${durationS} s, a deletion every ${options.killEveryS} s`);
          const startDisruptor = options.startDisruptor ?? ((_spec: RunSpec, _cluster: Cluster, killerOptions: KillerOptions) => startKiller(killerOptions));
          killer = startDisruptor(spec, cluster, {
            cluster,
            kind: spec.kill,
            clock,
            replicasPerService: options.replicas,
            ...(spec.rotation ? { rotation: spec.rotation } : {}),
            firstAtMs: atMs + options.killEveryS * 1000,
            everyMs: options.killEveryS * 1000,
            untilMs: atMs + durationMs - Math.min(1_000, (options.killEveryS * 1000) / 2),
            log,
          });
        },
      });
      const kills = killer ? await (killer as Killer).stop() : [];
      killer = undefined;
      Object.assign(base, { operations: load.operations, observations: load.observations, kills, truncated: load.truncated, durationMs: load.endedAtMs, measuredFromMs: load.measuredFromMs });
      log(`load done: ${load.operations.length} operations, ${load.requests} requests, ${kills.length} deletions`);

      // The read-back happens once the cluster has settled, like Jepsen's final read.
      await cluster.waitForFullStrength(120_000).catch((error: Error) => {
        base.unsettled = error.message.split('\n')[0] ?? 'did not settle';
        log(`cluster did not settle: ${error.message}`);
      });
      const writers = new Set(load.operations.filter((op) => op.kind === 'add' || op.kind === 'set' || op.kind === 'remove' || op.kind === 'checkout').map((op) => op.user));
      const read = await finalRead({ client, sessions: load.sessions.filter((s) => writers.has(s.user)) });
      base.finals = read.finals;
      base.finalReadFailures = read.failures;
      log(`read back ${read.finals.length} users${read.failures.length > 0 ? `, ${read.failures.length} failed (${read.failures[0]?.reason})` : ''}`);
      // The run's sessions as the pods' own spans tell them, while the run's traces are all in
      // Jaeger's memory (it drops the oldest past its limit, and the next run adds more). A pod
      // sends its spans in batches, at most OTEL_BSP_SCHEDULE_DELAY after they end: read only
      // once the read-back's have left, or the newest pods (the replacements) would be missed.
      if (base.jaegerUrl) {
        await sleep(spanExportDelayMs(options) + 1_000);
        base.traces = await readRunTraces({ jaegerUrl: base.jaegerUrl, start: new Date(epochAtStart), end: new Date() });
        const link = base.traces.crossing && traceLink(base.jaegerUrl, base.traces.crossing.traceId);
        log(`traces: ${tracesSentence(base.traces)}${link ? ` A trace crossing cart → catalog: ${link}` : ''}`);
      }
      // The evidence behind the report, like Jepsen's history file: every operation and attempt.
      const historyPath = join(options.runDir, spec.name, 'history.json');
      await mkdir(dirname(historyPath), { recursive: true });
      await writeFile(historyPath, JSON.stringify({ spec, kills, finals: read.finals, finalReadFailures: read.failures, observations: load.observations, operations: load.operations }));
      log(`history: ${historyPath}`);
    } finally {
      await client.close();
    }
  } catch (error) {
    base.error = (error as Error).message.split('\n')[0] ?? 'unknown error';
    log(`run failed: ${(error as Error).message}`);
    if (killer) base.kills = await (killer as Killer).stop().catch(() => [] as KillRecord[]);
    // A cluster in an unknown state is not handed to the next run.
    await clusters.release(log);
  }
  return base;
}

/** How long a replica may hold a finished span before sending it: OTEL_BSP_SCHEDULE_DELAY (the SDK's default, 5 s, unless the run's env sets it). */
function spanExportDelayMs(options: ProofOptions): number {
  const set = options.env?.OTEL_BSP_SCHEDULE_DELAY?.trim();
  return set && Number.isFinite(Number(set)) && Number(set) >= 0 ? Number(set) : 5_000;
}

/** tools/infra/seed.sh: the seed data of every service, into the local Postgres (idempotent upserts). */
function seedLocalCatalog(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'tools/infra/seed.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed.sh exited with ${code}`))));
  });
}

/** The catalog must have products to browse; seeds it (idempotent upserts) when it has none. */
async function ensureCatalog(client: ReturnType<typeof createHttpClient>, log: (line: string) => void, seed: () => Promise<void>): Promise<void> {
  const total = async (): Promise<number> => {
    const res = await client.send(api.listProducts({ pageSize: 1 }));
    return res.status === 200 ? (api.parseJson<{ total?: number }>(res)?.total ?? 0) : -res.status;
  };
  let n = await total();
  if (n > 0) return;
  log(`catalog has no products (${n < 0 ? `HTTP ${-n}` : 'empty'}): seeding it`);
  await seed();
  // The catalog caches listing pages (CACHE_LISTING_TTL_SECONDS, 10 s by default): the empty page
  // just read may be served until it expires.
  const deadline = Date.now() + 30_000;
  while ((n = await total()) <= 0 && Date.now() < deadline) await sleep(500);
  if (n <= 0) throw new Error('the catalog has no products even 30 s after seeding');
  log(`catalog seeded: ${n} products`);
}

function progressLine(p: LoadProgress, known: Record<string, ServiceName>): string {
  const byService = new Map<string, number>();
  for (const r of p.replicasSeen) {
    const s = known[r] ?? r.split('-')[0] ?? r;
    byService.set(s, (byService.get(s) ?? 0) + 1);
  }
  const replicas = [...byService].map(([s, n]) => `${s} ${n}`).join(', ');
  const vus = p.waitingVus > 0 ? `${p.waitingVus} of ${p.activeVus} VUs signed in and waiting` : `${p.activeVus} VUs`;
  return (
    `${fmt(p.atMs)}  ${p.opsPerSecond.toFixed(0)} ops/s, ${p.operations} ops, ${p.attempts} requests, ` +
    `${p.failedAttempts} failed attempts, ${p.unsuccessfulOperations} ops not ok, replicas answering: ${replicas || 'none'}, ${vus}`
  );
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(5)}s`;
}
