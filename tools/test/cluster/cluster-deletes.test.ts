// Deleting replicas of a real cluster (3 auth processes behind real nginx) under continuous
// keep-alive load, the way Kubernetes deletes pods: gracefully (endpoint removal + pre-stop
// sleep, then SIGTERM) and by SIGKILL. What a user would notice is asserted: failed requests,
// the replacement's new name, the return to full strength, nothing left running after stop().
// Nothing here waits a fixed time: the tests wait for cluster events and for requests the load
// has finished, and the bounds (pre-stop sleep, grace period) come from k8s/, as the cluster's do.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRecorder } from '../../cluster/event-recorder.ts';
import { childProcesses, isAlive } from '../../cluster/process-utils.ts';
import { keepAliveLoad, newAccount, type LoadRequest, type RequestRecord } from '../../cluster/testing.ts';
import { loadManifests } from '../../cluster/manifests.ts';
import type { Cluster } from '../../cluster/types.ts';
import { startTestCluster } from './test-cluster.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-cluster-deletes-'));
const auth = loadManifests().service('auth');
const REPLICAS = 3;
const CLIENTS = 4;
const events = eventRecorder();
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

/**
 * The keep-alive load of these tests, and a way to wait on it: until(done) resolves once
 * done(records) holds, checked whenever a client finishes a request. It gives up once every
 * client has finished REPLICAS requests since the call: the router (one nginx worker) takes
 * turns over the REPLICAS servers of an upstream, so any REPLICAS requests reaching it in a row
 * include each server, and the first REPLICAS to reach it after the call are among those.
 */
function watchedLoad() {
  const finished = Array.from({ length: CLIENTS }, () => 0);
  const checks = new Set<() => void>();
  const load = keepAliveLoad(cluster.ingressUrl, CLIENTS, (client, n) => {
    finished[client] = n;
    for (const check of [...checks]) check();
    return mixedRequests(client, n);
  });
  const until = (what: string, done: (records: RequestRecord[]) => boolean): Promise<void> => {
    const from = [...finished];
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done(load.records)) resolve();
        else if (finished.every((n, c) => n - (from[c] as number) >= REPLICAS)) reject(new Error(`${what}: not within ${REPLICAS} requests per client`));
        else return;
        checks.delete(check);
      };
      checks.add(check);
      check();
    });
  };
  return { stop: load.stop, until };
}

const servedBy = (replica: string) => (records: RequestRecord[]) => records.some((r) => r.servedBy === replica);

function within(records: RequestRecord[], fromMs: number, toMs: number): RequestRecord[] {
  return records.filter((r) => r.endMs >= fromMs && r.startMs <= toMs);
}

function eventAt(type: 'replica-deleting' | 'replica-exited' | 'replica-ready', replica: string): number {
  return events.first(type, (e) => e.replica === replica).atMs;
}

/** Every process in the tree under `pid` (nginx workers under their master). */
function descendants(pid: number): number[] {
  return childProcesses(pid).flatMap((child) => [child, ...descendants(child)]);
}

beforeAll(async () => {
  cluster = await startTestCluster({ services: ['auth'], replicas: REPLICAS, runDir, env: { LOG_LEVEL: 'warn' }, onEvent: events.onEvent });
  token = (await newAccount(cluster.ingressUrl, 'deletes')).accessToken;
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a 3-replica auth cluster behind nginx', { tags: ['timing'] }, () => {
  it('graceful delete under keep-alive load: zero failed requests, and the replacement joins', async () => {
    const victim = (cluster.replicas()[0] as { name: string }).name;
    const load = watchedLoad();
    await load.until(`${victim} serving before its deletion`, servedBy(victim));
    const { replacement } = await cluster.deleteReplica(victim, 'graceful');
    await cluster.waitForFullStrength(60_000);
    await load.until(`the replacement ${replacement} serving`, servedBy(replacement));
    const result = await load.stop();

    const deletingAt = eventAt('replica-deleting', victim);
    const exitedAt = eventAt('replica-exited', victim);
    const windowed = within(result.records, deletingAt, exitedAt);
    const exit = events.first('replica-exited', (e) => e.replica === victim);
    console.log(
      `graceful delete of ${victim}: ${result.failures.length} failed of ${result.records.length} requests ` +
        `(${windowed.length} between deletion and exit, ${exitedAt - deletingAt} ms; exit code ${exit.code}); replacement ${replacement} ready ` +
        `${eventAt('replica-ready', replacement) - deletingAt} ms after the deletion; served: ${JSON.stringify(result.byReplica)}`,
    );
    expect(result.failures.slice(0, 5)).toEqual([]);
    // The load ran through the whole deletion: every client, sending back to back from before the
    // deletion until after the exit, has requests inside that window.
    expect(new Set(windowed.map((r) => r.client)).size).toBe(CLIENTS);
    // The pre-stop sleep ran before SIGTERM; then the process closed by itself: exit code 0, not
    // the 1 of its forced exit (SHUTDOWN_TIMEOUT_MS) nor the SIGKILL at the end of the grace period.
    expect(exit.code).toBe(0);
    expect(exit.signal).toBeNull();
    expect(exitedAt - deletingAt).toBeGreaterThanOrEqual(auth.preStopSeconds * 1000);
    expect(exitedAt - deletingAt).toBeLessThan(auth.terminationGracePeriodSeconds * 1000);
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
    const load = watchedLoad();
    await load.until(`${victim.name} serving before the kill`, servedBy(victim.name));
    const { replacement } = await cluster.deleteReplica(victim.name, 'sigkill');
    await cluster.waitForFullStrength(60_000);
    await load.until(`the replacement ${replacement} serving`, servedBy(replacement));
    const result = await load.stop();

    const exit = events.first('replica-exited', (e) => e.replica === victim.name);
    const killedAt = eventAt('replica-deleting', victim.name);
    const removedAt = events.first('ingress-reloaded', (e) => e.atMs > killedAt && !(e.endpoints.auth ?? []).includes(victim.name)).atMs;
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
    expect(result.failures.length).toBeLessThanOrEqual(2 * CLIENTS);
    expect(removedAt - killedAt).toBeGreaterThanOrEqual(900);
    const names = cluster.replicas().map((r) => r.name);
    expect(names).toHaveLength(3);
    expect(names).toContain(replacement);
    expect(cluster.replicas().every((r) => r.inRotation && r.phase === 'ready')).toBe(true);
  });

  it('a replica that crashes on its own is replaced too', async () => {
    const victim = cluster.replicas()[2] as { name: string; pid: number };
    // Once the cluster has seen the exit, full strength means the replacement is in rotation.
    const exited = events.next('replica-exited', (e) => e.replica === victim.name);
    process.kill(victim.pid, 'SIGKILL');
    await exited;
    await cluster.waitForFullStrength(60_000);
    const replaced = events.first('replica-replaced', (e) => e.replica === victim.name);
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
