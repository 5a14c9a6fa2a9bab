// The k6 scripts (load-tests/, bundled as users run them) executed in the Sobek harness against
// the release on the one-node Kubernetes, through the gateway: smoke, any-pod and pod-deletion
// pass against the stateless release while pods are deleted with kubectl (graceful, then
// forced); after `helm upgrade --set config.stateStore=memory`, any-pod and pod-deletion fail
// their thresholds (k6's exit 99), which shows the thresholds can fail. The pod-deletion run's
// summary and time series are then made into a report page by tools/proof.
// Called from cluster.test.ts after the short proof, on the cluster that file started.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startKiller, type Killer, type KillRecord } from '../../proof/killer.ts';
import { bundleLoadTest, SCRIPTS_DIR } from '../../load-tests/bundle.ts';
import { brokenThresholds, runHarness, type HarnessRun } from '../../load-tests/harness.ts';
import { startKubeCluster, type KubeCluster } from '../../kube/proof/kube-cluster.ts';
import type { KillType, StateStore } from '../../cluster/types.ts';

const REPLICAS = 3;
const SCRIPTS = ['01-smoke', '02-any-pod', '03-pod-deletion'] as const;
type Script = (typeof SCRIPTS)[number];

export function describeK6Scripts(context: { dir: () => string; log: (line: string) => void }): void {
  describe('the k6 scripts in Sobek (k6\'s engine), against the release', { tags: ['timing'] }, () => {
    const bundles = new Map<Script, string>();
    const runs = new Map<string, HarnessRun & { kills: KillRecord[] }>();

    /** One script against the release in the given mode; with `kill`, pods are deleted while it runs. */
    async function run(name: string, script: Script, mode: StateStore, kill?: KillType, env: Record<string, string> = {}): Promise<HarnessRun & { kills: KillRecord[] }> {
      let killer: Killer | undefined;
      const cluster: KubeCluster = await startKubeCluster({ stateStore: mode, replicas: REPLICAS, runDir: join(context.dir(), `k6-${name}`), log: context.log, onEvent: (event) => killer?.onEvent(event) });
      try {
        const started = performance.now();
        const clock = () => performance.now() - started;
        // Deletions from 6 s (the VUs have signed in) every 6 s, while the VUs shop.
        if (kill) killer = startKiller({ cluster, kind: kill, clock, replicasPerService: REPLICAS, firstAtMs: 6_000, everyMs: 6_000, untilMs: 26_000, log: context.log });
        const result = await runHarness({
          bundle: bundles.get(script) as string,
          outDir: join(context.dir(), `k6-${name}`, 'out'),
          env: { BASE_URL: cluster.ingressUrl, PROFILE: 'ci', ...env },
          log: (line) => context.log(`k6 ${name}: ${line}`),
          timeoutMs: 300_000,
        });
        const kills = (await killer?.stop()) ?? [];
        killer = undefined;
        const done = { ...result, kills };
        runs.set(name, done);
        context.log(`k6 ${name}: exit ${result.exitCode}, ${kills.length} deletions\n${result.stdout}`);
        // One line per run in make test's output: what the script measured, for the reader.
        const value = (metric: string, key: string) => result.summary.metrics[metric]?.values[key];
        console.log(
          `k6 ${name} (${mode}${kill ? `, ${kills.length} ${kill} deletions` : ''}): exit ${result.exitCode}; ${value('http_reqs', 'count')} requests, ` +
            `failed rate ${value('http_req_failed', 'rate')}; writes acknowledged ${value('anypod_writes_acknowledged', 'count') ?? '-'}, ` +
            `lost ${value('anypod_writes_lost', 'count') ?? '-'}, duplicated ${value('anypod_writes_duplicated', 'count') ?? '-'}, unexpected ${value('anypod_writes_unexpected', 'count') ?? '-'}; ` +
            `sessions lost ${value('anypod_sessions_lost', 'count') ?? '-'}; fewest pods per session ${value('anypod_pods_per_session', 'min') ?? '-'}; broken: ${brokenThresholds(result.summary).join(', ') || 'none'}`,
        );
        return done;
      } finally {
        // Only when the run failed before the deletions were stopped above.
        await killer?.stop();
        await cluster.stop();
      }
    }

    const failureOf = (r: HarnessRun) => `exit ${r.exitCode}; broken: ${brokenThresholds(r.summary).join(', ')}\n${r.stdout}\n${r.stderr.split('\n').slice(-25).join('\n')}`;
    const count = (r: HarnessRun, metric: string) => r.summary.metrics[metric]?.values.count ?? Number.NaN;

    beforeAll(async () => {
      for (const script of SCRIPTS) bundles.set(script, (await bundleLoadTest(join(SCRIPTS_DIR, `${script}.ts`), join(context.dir(), 'bundles'))).out);
    });

    describe('stateless release', () => {
      it('01-smoke: every route answers for a fresh user, every check and threshold holds', async () => {
        const r = await run('smoke', '01-smoke', 'shared');
        expect(r.exitCode, failureOf(r)).toBe(0);
        expect(r.summary.metrics.checks?.values.rate).toBe(1);
        expect(r.summary.metrics.checks?.values.passes).toBeGreaterThanOrEqual(2 * 25);
      });

      it('02-any-pod: every session served by at least two pods of each service', async () => {
        const r = await run('any-pod', '02-any-pod', 'shared');
        expect(r.exitCode, failureOf(r)).toBe(0);
        expect(r.summary.metrics.anypod_pods_per_session?.values.min).toBeGreaterThanOrEqual(2);
      });

      it.each(['graceful', 'force'] as const)('03-pod-deletion with %s deletions: each VU read back its writes; nothing lost, duplicated or unexpected', { timeout: 400_000 }, async (kill) => {
        const r = await run(`pod-deletion-${kill}`, '03-pod-deletion', 'shared', kill);
        expect(r.kills.filter((k) => !k.error).length, failureOf(r)).toBeGreaterThanOrEqual(2);
        expect(r.exitCode, failureOf(r)).toBe(0);
        expect(count(r, 'anypod_users_checked')).toBe(6);
        expect(count(r, 'anypod_writes_acknowledged')).toBeGreaterThan(50);
        for (const metric of ['anypod_writes_lost', 'anypod_writes_duplicated', 'anypod_writes_unexpected']) expect(count(r, metric), metric).toBe(0);
      });
    });

    describe('stateful release (config.stateStore=memory)', () => {
      it('02-any-pod fails: a session is served correctly by one pod at most', { timeout: 600_000 }, async () => {
        const r = await run('stateful-any-pod', '02-any-pod', 'memory');
        expect(r.exitCode, failureOf(r)).toBe(99);
        expect(brokenThresholds(r.summary)).toEqual(expect.arrayContaining(['anypod_pods_per_session{service:cart}: min>=2', 'anypod_sessions_lost: count==0']));
      });

      it('03-pod-deletion fails: writes acknowledged by one pod are not there when another reads back', { timeout: 400_000 }, async () => {
        const r = await run('stateful-pod-deletion', '03-pod-deletion', 'memory', 'graceful');
        expect(r.exitCode, failureOf(r)).toBe(99);
        expect(count(r, 'anypod_writes_lost')).toBeGreaterThan(0);
        expect(brokenThresholds(r.summary)).toContain('anypod_writes_lost: count==0');
      });
    });
  });
}
