// The walk-through that opens `make demo`: every step answers as documented, through the
// Ingress, and the steps are spread over more than one replica.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/index.ts';
import type { Cluster } from '../../cluster/types.ts';
import { walkthrough } from '../../demo/walkthrough.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-walkthrough-'));
let cluster: Cluster | undefined;
afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

describe('demo walk-through', { tags: ['timing'] }, () => {
  it('register → login → me → refresh → logout → me, answered by several replicas', async () => {
    // Other test files sign in from 127.0.0.1 at the same time: lift the shared per-IP login limit.
    cluster = await startCluster({ services: ['auth'], replicas: 3, ingressPort: 0, migrate: false, runDir, env: { LOGIN_RATE_LIMIT_PER_MINUTE: '100000' } });
    await cluster.waitForFullStrength(60_000);
    const lines: string[] = [];
    const steps = await walkthrough(cluster.ingressUrl, (line) => lines.push(line));
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual(['register:201', 'login:200', 'me:200', 'refresh:200', 'logout:204', 'me again:401']);
    expect(new Set(steps.map((s) => s.servedBy)).size).toBeGreaterThanOrEqual(2);
    expect(steps.every((s) => s.servedBy.startsWith('auth-'))).toBe(true);
    expect(lines.at(-1)).toMatch(/6 steps answered by \d different replica/);
  });
});
