// The real-Kubernetes half of `make bench` (tools/kube: the one-node cluster built from source,
// the chart's release, the project's gateway in front of it). Brings the cluster up when it is not
// (and takes down only what it brought up), then measures, bounded:
//   1. each route through the real controller (3 pods per service) and on one pod directly;
//   2. cold start to Ready of a replacement pod, per service (kubectl delete pod);
//   3. the release's memory and CPU from the kubelet's stats, idle and under load;
//   4. p99 during pod deletions against p99 outside them, from a short graceful proof run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_NAMES } from '@anypod/tools/cluster/paths.ts';
import type { ClusterEvent, ServiceName } from '@anypod/tools/cluster/types.ts';
import { startKubeCluster, type KubeCluster } from '@anypod/tools/kube/proof/kube-cluster.ts';
import { kubectl, kubeEnv } from '@anypod/tools/kube/proof/kube-env.ts';
import { KUBE_CATALOGUE } from '@anypod/tools/kube/proof/runs.ts';
import { seedReleaseCatalog } from '@anypod/tools/kube/proof/seed.ts';
import { runProof } from '@anypod/tools/proof/run-proof.ts';
import { ensureKube } from '../kube/cluster-up.ts';
import { peakOf, podUsage, totals, workloadOf, type PodUsage, type StatsSummary } from '../kube/kubelet-stats.ts';
import { startPodPinner, type Pod } from '../kube/pod-pinning.ts';
import { apiStartTimes } from '../kube/pod-timing.ts';
import type { BenchContext } from '../lib/context.ts';
import { pinProcess, pinTree } from '../lib/pinning.ts';
import { median } from '@anypod/tools/build/stats.ts';
import { figure, ratio, type Measurement } from '../lib/results.ts';
import { measureRoutes } from '../lib/route-runs.ts';

export const KUBE_CONTROLLER = 'real controller, 3 pods';
export const KUBE_DIRECT = 'one pod, direct';
const REPLICAS = 3;
/** the services' container port (the chart's) */
const POD_PORT = 3000;
const NAMESPACE = 'anypod';
const GRACEFUL = KUBE_CATALOGUE.runs.find((run) => run.name === 'kube-graceful')!;
const COMPONENTS = [...SERVICE_NAMES, 'postgres', 'valkey'];

export async function kubeStage(ctx: BenchContext): Promise<Measurement[]> {
  const session = await ensureKube(ctx.log);
  ctx.log(`kube: started by this run: ${session.started}`);
  try {
    return await measure(ctx, session.broughtUp);
  } finally {
    await session.release();
  }
}

async function measure(ctx: BenchContext, broughtUp: boolean): Promise<Measurement[]> {
  const runDir = mkdtempSync(join(tmpdir(), 'anypod-bench-kube-'));
  const measurements: Measurement[] = [];
  const failed: string[] = [];
  // Each part measures on its own: one that fails says why in its row, the others still measure.
  const part = async (name: string, body: () => Promise<Measurement[]>): Promise<void> => {
    const started = Date.now();
    try {
      measurements.push(...(await body()));
      ctx.log(`kube: ${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
    } catch (error) {
      const message = (error as Error).message.split('\n')[0]!;
      failed.push(`${name}: ${message}`);
      ctx.log(`kube: ${name} FAILED: ${message}`);
    }
  };
  try {
    const events: ClusterEvent[] = [];
    // One cluster view and one gateway for every part; the proof run gets it too, its events forwarded.
    const forward: { to?: (event: ClusterEvent) => void } = {};
    ctx.log('kube: connecting to the release, starting the gateway (nginx fed by HTTPRoutes and EndpointSlices)');
    const cluster = await startKubeCluster({
      replicas: REPLICAS,
      runDir: join(runDir, 'cluster'),
      log: ctx.log,
      onEvent: (event) => {
        events.push(event);
        forward.to?.(event);
      },
    });
    let pinner: ReturnType<typeof startPodPinner> | undefined;
    try {
      await cluster.waitForFullStrength(180_000);
      for (const pid of cluster.ingress.pids) pinTree(ctx.pinning, pid, 'servers');
      pinner = startPodPinner(ctx.pinning, () => COMPONENTS.flatMap((c) => cluster.podsOf(c)));
      await pinner.ready;
      ctx.log(`kube: pinned — ${describePinned(pinner.pinned)}; the gateway's nginx (${cluster.ingress.pids.length} masters and their workers) on the servers' side`);
      // Seeded before anything reads the catalog: a listing read while it is empty would be cached
      // empty (idempotent upserts: a seeded catalog stays as it is, its stock reset to the seed's).
      ctx.log("kube: seeding the release's catalog (tools/infra/seed.sh against its Postgres pod)");
      await seedReleaseCatalog(cluster);
      const idle = await statsSample();
      const underLoad: PodUsage[][] = [];
      await part('routes', () => routes(ctx, cluster, underLoad));
      await part('footprint', async () => footprint(idle, underLoad));
      await part('cold start', () => coldStart(ctx, cluster, events));
      await part('deletions', () => deletions(ctx, join(runDir, 'proof'), cluster, forward));
    } finally {
      await pinner?.stop();
      if (!broughtUp) pinner?.unpin();
      await cluster.stop();
    }
  } finally {
    // The gateways' nginx logs and the proof's history stay when something failed: they say why.
    if (failed.length === 0) rmSync(runDir, { recursive: true, force: true });
    else ctx.log(`kube: logs kept in ${runDir}`);
  }
  if (failed.length > 0) {
    // What measured is kept; the stage still fails, so make bench says what was not measured.
    throw Object.assign(new Error(`kube: not measured — ${failed.join('; ')}`), { measurements });
  }
  return measurements;
}

const describePinned = (pinned: Map<string, { pod: string; side: string; pids: number[] }>): string => {
  const bySide = new Map<string, string[]>();
  for (const { pod, side, pids } of pinned.values()) bySide.set(side, [...(bySide.get(side) ?? []), `${pod} (pid ${pids.join(', ')})`]);
  return [...bySide].map(([side, pods]) => `${side}: ${pods.join(', ')}`).join('; ');
};

/** A ready pod of the service (its pod IP on the bridge), to load directly; named with its address for the log. */
function onePod(cluster: KubeCluster, service: ServiceName): { url: string; name: string } {
  const pod = cluster.podsOf(service).find((p) => !p.metadata?.deletionTimestamp && p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (!pod) throw new Error(`no ready ${service} pod`);
  const url = `http://${pod.status!.podIP!}:${POD_PORT}`;
  return { url, name: `${pod.metadata!.name!}, ${url}` };
}

function routes(ctx: BenchContext, cluster: KubeCluster, underLoad: PodUsage[][]): Promise<Measurement[]> {
  return measureRoutes(ctx, {
    stage: 'kube routes',
    direct: { via: KUBE_DIRECT, target: (service) => onePod(cluster, service) },
    front: { via: KUBE_CONTROLLER, url: cluster.ingressUrl },
    // The kubelet's stats while the controller's load runs (the footprint part reads them).
    watch: {
      from: 'front',
      start: () => {
        const sampler = sampleStats(ctx.warmupS * 1000);
        return { stop: async () => underLoad.push(...(await sampler.stop())) };
      },
    },
  });
}

async function statsSample(): Promise<PodUsage[]> {
  const { stdout } = await kubectl(['get', '--raw', `/api/v1/nodes/${kubeEnv().NODE_NAME}/proxy/stats/summary`], { timeoutMs: 30_000 });
  return podUsage(JSON.parse(stdout) as StatsSummary, NAMESPACE);
}

/** The kubelet's summary every 2 s while a load runs (after its warm-up): cAdvisor refreshes every few seconds. */
function sampleStats(delayMs: number): { stop: () => Promise<PodUsage[][]> } {
  const samples: PodUsage[][] = [];
  let stopped = false;
  const loop = (async () => {
    await sleep(delayMs);
    while (!stopped) {
      samples.push(await statsSample().catch(() => []));
      await sleep(2_000);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return samples.filter((s) => s.length > 0);
    },
  };
}

function footprint(idle: PodUsage[], underLoad: PodUsage[][]): Measurement[] {
  if (underLoad.length === 0) throw new Error('no kubelet stats sample during the route runs');
  const peak = peakOf(underLoad);
  const idleTotal = totals(idle);
  const how = "the kubelet's stats/summary (what kubectl top shows): working set and RSS of every pod of the release, CPU in millicores";
  const rows: Measurement[] = [
    { section: 'footprint on Kubernetes', subject: 'release on Kubernetes, idle', via: 'pod', figures: { 'working set': figure(idleTotal.workingSet, 'MiB'), RSS: figure(idleTotal.rss, 'MiB'), CPU: figure(idleTotal.cpuMillicores, 'm'), pods: figure(idleTotal.pods, 'pods') }, note: `${how}; after the release settled, before any load` },
    { section: 'footprint on Kubernetes', subject: 'release on Kubernetes, under load', via: 'pod', figures: { 'working set': figure(peak.total.workingSet, 'MiB'), RSS: figure(peak.total.rss, 'MiB'), CPU: figure(peak.total.cpuMillicores, 'm'), pods: figure(peak.total.pods, 'pods') }, note: `${how}; the largest sum of one sample (every 2 s) during the runs through the controller (${underLoad.length} samples); the gateway's nginx runs on the host, outside the release` },
  ];
  // Per workload, its largest pod: idle and under load.
  for (const workload of [...new Set(idle.map((u) => workloadOf(u.pod)))]) {
    const largest = (usage: PodUsage[], key: keyof Omit<PodUsage, 'pod'>): number => Math.max(...usage.filter((u) => workloadOf(u.pod) === workload).map((u) => u[key]));
    rows.push({
      section: 'footprint on Kubernetes',
      subject: `${workload} pod`,
      via: 'pod',
      figures: { 'working set idle': figure(largest(idle, 'workingSet'), 'MiB'), 'working set under load': figure(largest(peak.perPod, 'workingSet'), 'MiB'), 'RSS under load': figure(largest(peak.perPod, 'rss'), 'MiB'), 'CPU under load': figure(largest(peak.perPod, 'cpuMillicores'), 'm'), pods: figure(idle.filter((u) => workloadOf(u.pod) === workload).length, 'pods') },
      note: 'the largest of its pods',
    });
  }
  return rows;
}

/**
 * Per service, `kubectl delete pod` (graceful) of one pod, several times: the replacement's
 * creation (the informer's first sight of it) to its Ready condition, on this machine's clock.
 */
async function coldStart(ctx: BenchContext, cluster: KubeCluster, events: ClusterEvent[]): Promise<Measurement[]> {
  const rounds = ctx.quick ? 1 : 3;
  const measurements: Measurement[] = [];
  for (const service of SERVICE_NAMES) {
    const toReady: number[] = [];
    const containerToReady: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const victim = onePod(cluster, service).name;
      const before = new Set(cluster.podsOf(service).map((p) => p.metadata?.name ?? ''));
      const seen = events.length;
      await cluster.deletePod(victim);
      const replacement = await waitFor(60_000, `a replacement for ${victim}`, () => cluster.podsOf(service).find((p) => !before.has(p.metadata?.name ?? '')));
      const name = replacement.metadata!.name!;
      const ready = await waitFor(120_000, `${name} Ready`, () => events.slice(seen).find((e) => e.type === 'replica-ready' && e.replica === name));
      const started = events.slice(seen).find((e) => e.type === 'replica-started' && e.replica === name)!;
      toReady.push(ready.atMs - started.atMs);
      const api = apiStartTimes(cluster.podsOf(service).find((p) => p.metadata?.name === name) as Pod, service);
      if (api) containerToReady.push(api.containerToReadyMs);
      ctx.log(`kube cold start: ${service} ${i + 1}/${rounds}: ${name} ready ${toReady.at(-1)} ms after it appeared${api ? ` (container start → Ready ${api.containerToReadyMs} ms by the API's clock)` : ''}`);
      // The next deletion waits for full strength: the old pod gone, the gateway routing to the new one.
      await cluster.waitForFullStrength(180_000);
    }
    measurements.push({
      section: 'cold start',
      subject: service,
      via: 'pod',
      figures: { 'median to ready': figure(median(toReady), 'ms'), 'container start to ready': figure(median(containerToReady), 'ms'), max: figure(Math.max(...toReady), 'ms') },
      note: `median of ${rounds}: kubectl delete pod, the replacement's creation (seen by a watch) to its Ready condition, this machine's clock; the chart's startupProbe (periodSeconds 1) bounds the resolution to ~1 s; the container part from the API's timestamps (1-s resolution); the replacement is not pinned until it runs`,
    });
  }
  return measurements;
}

async function waitFor<T>(timeoutMs: number, what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

/**
 * A short graceful proof run on the pods (the kube catalogue's), on the stage's own cluster view and
 * gateway: p99 during deletions against outside them.
 */
async function deletions(ctx: BenchContext, runDir: string, cluster: KubeCluster, forward: { to?: (event: ClusterEvent) => void }): Promise<Measurement[]> {
  const durationS = ctx.quick ? 15 : 40;
  const killEveryS = ctx.quick ? 5 : 10;
  // The proof's shoppers run in this process: on the load side for the run.
  pinProcess(ctx.pinning, process.pid, 'load');
  try {
    ctx.log(`kube deletions: the proof's ${GRACEFUL.name} run, ${durationS} s, kubectl delete pod every ${killEveryS} s`);
    const report = await runProof({
      runs: [GRACEFUL],
      durationS,
      killEveryS,
      vus: ctx.quick ? 4 : 16,
      replicas: REPLICAS,
      minKills: 1,
      seed: 1,
      runDir,
      log: (line) => ctx.log(`kube deletions: ${line}`),
      startCluster: async (options) => {
        forward.to = options.onEvent;
        // The stage stops its cluster itself, after this run.
        return new Proxy(cluster, {
          get: (target, key) => {
            if (key === 'stop') return async () => undefined;
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        });
      },
      seedCatalog: () => seedReleaseCatalog(cluster),
    });
    const run = report.runs[0]!;
    return [
      {
        section: 'deletions',
        subject: 'p99 during deletions vs outside them',
        via: KUBE_CONTROLLER,
        figures: {
          'p99 outside': figure(run.latencyMs.p99OutsideKills, 'ms'),
          'p99 during': figure(run.latencyMs.p99DuringKills, 'ms'),
          'during / outside': figure(ratio(run.latencyMs.p99DuringKills, run.latencyMs.p99OutsideKills), 'x'),
        },
        note: `the proof's ${GRACEFUL.name} run: ${run.kills} graceful kubectl delete pod in ${Math.round(run.durationMs / 1000)} s, ${run.virtualUsers} shoppers, ${run.attempts.total} requests (${run.attempts.duringKills} during a deletion, ${run.attempts.failed} failed); p99 per request`,
      },
    ];
  } finally {
    forward.to = undefined;
    pinProcess(ctx.pinning, process.pid, 'servers');
  }
}
