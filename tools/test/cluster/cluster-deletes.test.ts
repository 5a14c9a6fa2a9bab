// Deleting replicas of a real cluster (3 auth processes behind real nginx) under continuous
// keep-alive load, the way Kubernetes deletes pods: gracefully (endpoint removal + pre-stop
// sleep, then SIGTERM) and by SIGKILL. What a user would notice is asserted: failed requests,
// the replacement's new name, the return to full strength, nothing left running after stop().
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { isAlive } from '../../cluster/process-utils.ts';
import { keepAliveLoad, newAccount, type LoadRequest, type RequestRecord } from '../../cluster/testing.ts';
import type { Cluster, ClusterEvent } from '../../cluster/types.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-cluster-deletes-'));
const events: ClusterEvent[] = [];
let cluster: Cluster;
let token: string;

/** GET the JWKS, GET /auth/me with a valid token, and a POST that must not be retried by nginx. */
function mixedRequests(client: number, n: number): LoadRequest {
  switch ((client + n) % 3) {
    case 0:
      return { method: 'GET', path: '/auth/.well-known/jwks.json' };
    case 1:
      return { method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${token}` } };
    default:
      // A refresh with an unknown token: a real POST through the whole stack, answered 401.
      return { method: 'POST', path: '/auth/refresh', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: 'not-a-real-refresh-token-0123456789' }), ok: [401] };
  }
}

function within(records: RequestRecord[], fromMs: number, toMs: number): RequestRecord[] {
  return records.filter((r) => r.endMs >= fromMs && r.startMs <= toMs);
}

function eventAt(type: ClusterEvent['type'], replica: string): number {
  const e = events.find((x) => x.type === type && 'replica' in x && x.replica === replica);
  if (!e) throw new Error(`no ${type} event for ${replica}`);
  return e.atMs;
}

/** Every process in the tree under `pid` (nginx workers under their master). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

beforeAll(async () => {
  cluster = await startCluster({
    services: ['auth'],
    replicas: 3,
    ingressPort: 0,
    runDir,
    // Every client here is 127.0.0.1 and shares the per-IP login budget with every other test
    // on this machine (same Redis): lift it so account set-up never meets a 429.
    env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' },
    onEvent: (e) => events.push(e),
  });
  token = (await newAccount(cluster.ingressUrl, 'deletes')).accessToken;
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a 3-replica auth cluster behind nginx', () => {
  it('graceful delete under keep-alive load: zero failed requests, and the replacement joins', async () => {
    const victim = (cluster.replicas()[0] as { name: string }).name;
    const load = keepAliveLoad(cluster.ingressUrl, 4, mixedRequests);
    await sleep(1000);
    const { replacement } = await cluster.deleteReplica(victim, 'graceful');
    await cluster.waitForFullStrength(60_000);
    await sleep(1000);
    const result = await load.stop();

    const deletingAt = eventAt('replica-deleting', victim);
    const exitedAt = eventAt('replica-exited', victim);
    const windowed = within(result.records, deletingAt, exitedAt);
    const exit = events.find((e) => e.type === 'replica-exited' && e.replica === victim) as Extract<ClusterEvent, { type: 'replica-exited' }>;
    console.log(
      `graceful delete of ${victim}: ${result.failures.length} failed of ${result.records.length} requests ` +
        `(${windowed.length} between deletion and exit, ${exitedAt - deletingAt} ms; exit code ${exit.code}); replacement ${replacement} ready ` +
        `${eventAt('replica-ready', replacement) - deletingAt} ms after the deletion; served: ${JSON.stringify(result.byReplica)}`,
    );
    expect(result.failures.slice(0, 5)).toEqual([]);
    expect(windowed.length).toBeGreaterThan(50);
    expect(exit.code).toBe(0);
    // The pre-stop sleep (3 s) ran before SIGTERM, and the process then closed promptly.
    expect(exitedAt - deletingAt).toBeGreaterThanOrEqual(3000);
    expect(exitedAt - deletingAt).toBeLessThan(8000);
    expect(replacement).not.toBe(victim);
    expect(replacement).toMatch(/^auth-[a-z]{5}$/);
    // The victim served before its deletion, the replacement after it joined.
    expect(result.byReplica[victim]).toBeGreaterThan(0);
    expect(result.byReplica[replacement]).toBeGreaterThan(0);
    const names = cluster.replicas().map((r) => r.name);
    expect(names).toHaveLength(3);
    expect(names).not.toContain(victim);
    expect(names).toContain(replacement);
  });

  it('SIGKILL delete: a replacement with a new name, back to full strength; only non-idempotent requests in flight can fail', async () => {
    const victim = cluster.replicas()[1] as { name: string; pid: number };
    const load = keepAliveLoad(cluster.ingressUrl, 4, mixedRequests);
    await sleep(1000);
    const { replacement } = await cluster.deleteReplica(victim.name, 'sigkill');
    await cluster.waitForFullStrength(60_000);
    await sleep(500);
    const result = await load.stop();

    const exit = events.find((e) => e.type === 'replica-exited' && e.replica === victim.name) as Extract<ClusterEvent, { type: 'replica-exited' }>;
    const killedAt = eventAt('replica-deleting', victim.name);
    const removedAt = events.find((e) => e.type === 'ingress-reloaded' && e.atMs > killedAt && !(e.endpoints.auth ?? []).includes(victim.name))?.atMs ?? 0;
    const windowed = within(result.records, killedAt, removedAt);
    console.log(
      `SIGKILL delete of ${victim.name}: ${result.failures.length} failed of ${result.records.length} requests ` +
        `(${windowed.length} between the kill and the endpoint removal ${removedAt - killedAt} ms later); failures: ` +
        `${JSON.stringify(result.failures.map((f) => `${f.method} ${f.path} ${f.status || f.error}`))}; replacement ${replacement}`,
    );
    expect(exit.signal).toBe('SIGKILL');
    expect(isAlive(victim.pid)).toBe(false);
    expect(replacement).not.toBe(victim.name);
    // nginx retries a GET on the next replica; a POST already sent to the dead one (in flight, or
    // written on a pooled connection before nginx noticed it was closed) is answered 502 and never
    // replayed by the proxy: at most one per connection nginx had open to it (≤ 2 per client).
    expect(result.failures.filter((f) => f.method === 'GET')).toEqual([]);
    expect(result.failures.every((f) => f.method === 'POST' && f.status === 502)).toBe(true);
    expect(result.failures.length).toBeLessThanOrEqual(8);
    expect(removedAt - killedAt).toBeGreaterThanOrEqual(900);
    const names = cluster.replicas().map((r) => r.name);
    expect(names).toHaveLength(3);
    expect(names).toContain(replacement);
    expect(cluster.replicas().every((r) => r.inRotation && r.phase === 'ready')).toBe(true);
  });

  it('a replica that crashes on its own is replaced too', async () => {
    const victim = cluster.replicas()[2] as { name: string; pid: number };
    process.kill(victim.pid, 'SIGKILL');
    await sleep(200);
    await cluster.waitForFullStrength(60_000);
    const replaced = events.find((e) => e.type === 'replica-replaced' && e.replica === victim.name) as Extract<ClusterEvent, { type: 'replica-replaced' }>;
    expect(replaced).toBeDefined();
    expect(cluster.replicas().map((r) => r.name)).toContain(replaced.replacement);
    expect(cluster.replicas().map((r) => r.name)).not.toContain(victim.name);
  });

  it('stop() leaves no process behind', async () => {
    const pids = [...cluster.replicas().map((r) => r.pid), ...cluster.ingress.pids];
    const all = [...pids, ...cluster.ingress.pids.flatMap(descendants)];
    expect(all.length).toBeGreaterThanOrEqual(3 + 2 + 2); // replicas, 2 nginx masters, their workers
    // Replicas and masters are alive now; workers are not checked here: after an endpoint
    // change the router's previous workers finish their connections and exit on their own.
    expect(pids.every(isAlive)).toBe(true);
    await cluster.stop();
    expect(all.filter(isAlive)).toEqual([]);
    // Nothing at all still refers to this run directory.
    const strays = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && (() => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(runDir);
      } catch {
        return false;
      }
    })());
    expect(strays.filter((p) => isAlive(Number(p)))).toEqual([]);
  });
});
