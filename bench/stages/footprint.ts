// The whole local cluster's memory during a proof run (3 replicas per service, nginx, replicas
// deleted gracefully every few seconds while shoppers shop), and the p99 latency during the
// deletions against the p99 outside them, from the same run's report.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@anypod/tools/cluster/index.ts';
import { childProcesses } from '@anypod/tools/cluster/process-utils.ts';
import { runProof } from '@anypod/tools/proof/run-proof.ts';
import { PROOF_RUNS } from '@anypod/tools/proof/runs.ts';
import type { BenchContext } from '../lib/context.ts';
import { pinProcess, pinTree } from '../lib/pinning.ts';
import { figure, ratio, type Measurement } from '../lib/results.ts';
import { sampleRss, type RssPeaks } from '../lib/rss.ts';
import { localStorePids } from '../lib/stores.ts';

const GRACEFUL = PROOF_RUNS.find((run) => run.name === 'stateless-graceful')!;

export async function footprintStage(ctx: BenchContext): Promise<Measurement[]> {
  const runDir = mkdtempSync(join(tmpdir(), 'anypod-bench-proof-'));
  const stores = localStorePids();
  let peaks: RssPeaks | undefined;
  let replicaCount = 0;
  // The proof's shoppers run in this process: it moves to the load side for the run, and every
  // replica (replacements too) is put back on the servers' side the moment it starts.
  pinProcess(ctx.pinning, process.pid, 'load');
  try {
    pinTree(ctx.pinning, stores.postgres, 'load');
    pinTree(ctx.pinning, stores.redis, 'load');
    const durationS = ctx.quick ? 12 : 40;
    ctx.log(`footprint: a graceful proof run, ${durationS} s, 3 replicas per service, one deletion every ${ctx.quick ? 4 : 10} s, RSS sampled every 250 ms`);
    const report = await runProof({
      runs: [GRACEFUL],
      durationS,
      killEveryS: ctx.quick ? 4 : 10,
      vus: ctx.quick ? 4 : 16,
      replicas: 3,
      minKills: 1,
      seed: 1,
      runDir,
      env: { LOGIN_RATE_LIMIT_PER_MINUTE: '100000' },
      log: (line) => ctx.log(`footprint: ${line}`),
      startCluster: async (options) => {
        const cluster = await startCluster({
          ...options,
          handleSignals: true,
          onEvent: (event) => {
            if (event.type === 'replica-started') pinProcess(ctx.pinning, event.pid, 'servers');
            options.onEvent?.(event);
          },
        });
        for (const pid of cluster.ingress.pids) pinTree(ctx.pinning, pid, 'servers');
        for (const replica of cluster.replicas()) pinProcess(ctx.pinning, replica.pid, 'servers');
        const sampler = sampleRss(() => clusterPids(cluster));
        replicaCount = cluster.replicas().length;
        const stop = async (): Promise<void> => {
          peaks = sampler.stop();
          await cluster.stop();
        };
        // The proof's own cluster, except that stopping it ends the sampling first.
        return new Proxy(cluster, {
          get: (target, key) => {
            if (key === 'stop') return stop;
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        });
      },
    });
    const run = report.runs[0]!;
    if (!peaks) throw new Error('the proof run never started its cluster');
    const largest = Math.max(...peaks.perPid.values());
    return [
      {
        section: 'footprint',
        subject: `local cluster during a proof run (${replicaCount} replicas + nginx)`,
        via: 'processes',
        figures: { 'RSS peak, all': figure(peaks.total, 'MiB'), 'largest process': figure(largest, 'MiB') },
        note: `sum of VmRSS of every replica alive and both nginx tiers, largest over ${peaks.samples} samples; ${run.kills} graceful deletions, ${run.attempts.total} requests`,
      },
      {
        section: 'deletions',
        subject: 'p99 during deletions vs outside them',
        via: 'local Ingress, 3 replicas',
        figures: {
          'p99 outside': figure(run.latencyMs.p99OutsideKills, 'ms'),
          'p99 during': figure(run.latencyMs.p99DuringKills, 'ms'),
          'during / outside': figure(ratio(run.latencyMs.p99DuringKills, run.latencyMs.p99OutsideKills), 'x'),
        },
        note: `the proof's graceful run: ${run.attempts.duringKills} of ${run.attempts.total} requests inside deletion windows`,
      },
    ];
  } finally {
    pinProcess(ctx.pinning, process.pid, 'servers');
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Every replica alive now, and both nginx masters with their workers. */
function clusterPids(cluster: Cluster): number[] {
  return [...cluster.replicas().map((r) => r.pid), ...cluster.ingress.pids.flatMap((pid) => [pid, ...childProcesses(pid)])];
}
