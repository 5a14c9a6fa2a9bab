// 04-stateful-vs-stateless.js in the Sobek harness against two real local clusters at once: one
// keeping state in Postgres and Redis, one with STATE_STORE=memory (every replica keeps carts and
// sessions in its own memory). The script passes only when the contrast shows — the stateless
// scenario loses nothing and serves each session from several pods, the stateful one loses
// writes — and fails (k6's exit 99) when both clusters are stateless: a run that shows no
// contrast proves nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/index.ts';
import type { Cluster } from '../../cluster/types.ts';
import { bundleLoadTest, SCRIPTS_DIR } from '../../load-tests/bundle.ts';
import { brokenThresholds, runHarness, type HarnessRun } from '../../load-tests/harness.ts';

let dir: string;
let bundle: string;
let stateless: Cluster;
let stateful: Cluster;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anypod-k6-contrast-'));
  bundle = (await bundleLoadTest(join(SCRIPTS_DIR, '04-stateful-vs-stateless.ts'), join(dir, 'bundles'))).out;
  // Every virtual user signs in from 127.0.0.1: no per-IP login limit here (as in the proof).
  const env = { LOGIN_RATE_LIMIT_PER_MINUTE: '100000' };
  stateless = await startCluster({ replicas: 2, ingressPort: 0, runDir: join(dir, 'stateless'), env });
  stateful = await startCluster({ replicas: 2, ingressPort: 0, runDir: join(dir, 'stateful'), stateStore: 'memory', migrate: false, env });
}, 240_000);

afterAll(async () => {
  await Promise.all([stateless?.stop(), stateful?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

const contrast = (name: string, statefulUrl: string): Promise<HarnessRun> =>
  runHarness({
    bundle,
    outDir: join(dir, name),
    env: { STATELESS_URL: stateless.ingressUrl, STATEFUL_URL: statefulUrl, PROFILE: 'ci', VUS: '3', ITERATIONS: '20' },
    timeoutMs: 180_000,
  });

describe('04-stateful-vs-stateless', { tags: ['timing'] }, () => {
  it('passes when the stateless cluster loses nothing and the stateful one loses writes', async () => {
    const run = await contrast('contrast', stateful.ingressUrl);
    expect(run.exitCode, `${brokenThresholds(run.summary).join(', ')}\n${run.stdout}`).toBe(0);
    expect(run.summary.metrics['anypod_writes_lost{scenario:stateful}']?.values.count).toBeGreaterThan(0);
    expect(run.summary.metrics['anypod_writes_lost{scenario:stateless}']?.values.count).toBe(0);
  }, 240_000);

  it('fails when the "stateful" URL is the stateless cluster too: no contrast, no pass', async () => {
    const run = await contrast('no-contrast', stateless.ingressUrl);
    expect(run.exitCode).toBe(99);
    expect(brokenThresholds(run.summary)).toEqual(['anypod_writes_lost{scenario:stateful}: count>0']);
  }, 240_000);
});
