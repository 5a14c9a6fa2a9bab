// Redis stopped and restarted under load, through a local cluster whose Redis is the test's own
// (never the shared one): Redis only holds what may be lost (cache, counters, denylist mirrors),
// so while it is gone the shoppers notice nothing — no failed request, no lost write (the
// proof's history check), catalog answers from Postgres (X-Cache: bypass), the login limits
// fail open as README.md documents ("both fail open when Redis is down"), no replica exits —
// and when a fresh, empty Redis comes back behind the same address, caching and the limits
// resume without restarting anything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from '@anypod/platform/testing/redis-server';
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { eventually, newAccount, lossesIn, shopDuring, shoppingSummary, TEST_PASSWORD } from '../../cluster/testing.ts';
import type { Cluster, ClusterEvent } from '../../cluster/types.ts';

/**
 * The per-IP limit of login and register, the production default. The shoppers sign in through
 * the Ingress (one address, 127.0.0.1: 4 VUs × 3 sign-in requests) well below it; the probes
 * below go straight to an auth replica with addresses of their own (X-Forwarded-For, trusted
 * like an in-cluster client's), so each probe has a bucket of its own.
 */
const LOGIN_LIMIT = 30;
/** failed logins per account before 429 (auth's default, LOGIN_FAILURES_PER_ACCOUNT) */
const ACCOUNT_FAILURES = 5;
const OUTAGE_MS = 8_000;

const runDir = mkdtempSync(join(tmpdir(), 'anypod-outages-redis-'));
let service: TcpLink;
let redis: RedisServer | undefined;
let cluster: Cluster;
const events: ClusterEvent[] = [];
/** set when the test passed: a failed run keeps its run directory (replica logs, nginx logs, events) */
let passed = false;

beforeAll(async () => {
  service = await tcpLink();
  redis = await startRedisServer();
  service.route(redis.port);
  cluster = await startCluster({
    replicas: 2,
    ingressPort: 0,
    runDir,
    env: { LOG_LEVEL: 'warn', REDIS_URL: `redis://127.0.0.1:${service.port}`, LOGIN_RATE_LIMIT_PER_MINUTE: String(LOGIN_LIMIT), LOGIN_FAILURES_PER_ACCOUNT: String(ACCOUNT_FAILURES) },
    onEvent: (event) => events.push(event),
  });
}, 240_000);
afterAll(async () => {
  await cluster?.stop();
  service?.route(undefined);
  await redis?.stop();
  await service?.close();
  if (passed) rmSync(runDir, { recursive: true, force: true });
  else console.log(`the cluster's logs and events are kept in ${runDir}`);
});

/** Straight to one auth replica, as the client at `ip` (X-Forwarded-For). */
async function asClient(ip: string, path: string, body: unknown): Promise<number> {
  const auth = cluster.replicas('auth')[0];
  if (!auth) throw new Error('no auth replica');
  const res = await fetch(`http://127.0.0.1:${auth.port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/**
 * LOGIN_LIMIT + 1 registrations from `ip` with an empty body: the limit counts a request before
 * its body is validated (a cheap 400, no password hash), so the statuses say whether it held.
 */
async function registrationsFrom(ip: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i <= LOGIN_LIMIT; i++) statuses.push(await asClient(ip, '/auth/register', {}));
  return statuses;
}
const limited = Array<number>(LOGIN_LIMIT).fill(400).concat(429);
const unlimited = Array<number>(LOGIN_LIMIT + 1).fill(400);

/** n reads of one product through the Ingress (both catalog replicas): their X-Cache values (or HTTP status). */
async function cacheOf(productId: string, n: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${cluster.ingressUrl}/catalog/products/${productId}`);
    await res.arrayBuffer();
    seen.push(res.status === 200 ? (res.headers.get('x-cache') ?? 'none') : `HTTP ${res.status}`);
  }
  return seen;
}

/** For `eventually`: true once `n` reads all answer `expected` (after `skip` reads that may warm the cache), else what they answered. */
const readsAre = (productId: string, expected: string, n: number, skip = 0) => async () => {
  const seen = await cacheOf(productId, n + skip);
  if (seen.slice(skip).every((c) => c === expected)) return true;
  throw new Error(`X-Cache: ${seen.join(' ')}`);
};

/** Each replica's own readiness answer (straight to its port, as the kubelet asks): `name status redis-check`. */
async function readiness(): Promise<string[]> {
  return Promise.all(
    cluster.replicas().map(async (r) => {
      const res = await fetch(`http://127.0.0.1:${r.port}/readyz`);
      const body = (await res.json()) as { status?: string; checks?: { redis?: string } };
      return `${r.name} ${res.status} ${body.status} redis:${body.checks?.redis?.startsWith('failing') ? 'failing' : body.checks?.redis}`;
    }),
  );
}

describe('Redis stopped and restarted under load', { tags: ['timing'] }, () => {
  it('loses nothing, bypasses the cache, fails the limits open and restarts nothing; caching and limits resume', async () => {
    const listing = await fetch(`${cluster.ingressUrl}/catalog/products?pageSize=1`);
    const productId = ((await listing.json()) as { items: Array<{ id: string }> }).items[0]?.id;
    if (!productId) throw new Error('the catalog has no products: seed it first (make seed)');

    // Before: the cache answers and both limits hold.
    await eventually('cache hits with Redis up', readsAre(productId, 'hit', 3, 1));
    expect(await registrationsFrom('192.0.2.1')).toEqual(limited);
    const locked = await newAccount(cluster.ingressUrl, 'outage-locked');
    const wrong = { email: locked.email, password: 'not the password at all' };
    const failures: number[] = [];
    for (let i = 0; i <= ACCOUNT_FAILURES; i++) failures.push(await asClient('192.0.2.2', '/auth/login', wrong));
    expect(failures).toEqual(Array<number>(ACCOUNT_FAILURES).fill(401).concat(429));
    expect(await asClient('192.0.2.2', '/auth/login', { email: locked.email, password: TEST_PASSWORD })).toBe(429);

    const pids = cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort();
    const eventsBefore = events.length;
    const outage = { fromMs: 0, toMs: 0 };
    const during: Record<string, unknown> = {};
    const result = await shopDuring(cluster, {
      vus: 4,
      durationMs: 22_000,
      runId: `redis${Date.now().toString(36)}`,
      disrupt: async () => {
        await sleep(3_000);
        outage.fromMs = Date.now();
        service.route(undefined);
        await redis?.stop();
        // Every catalog replica serves from Postgres, each read on its own (nothing waits for Redis).
        await eventually('cache bypass on every read', readsAre(productId, 'bypass', 4), 5_000);
        during.reads = await cacheOf(productId, 10);
        // Every replica knows Redis is gone and stays ready (degraded): none leaves the rotation.
        during.readiness = await eventually('every replica sees Redis gone', async () => {
          const seen = await readiness();
          if (seen.every((r) => r.endsWith(' 200 degraded redis:failing'))) return seen.length;
          throw new Error(seen.join(', '));
        }, 5_000);
        // The limits fail open: a fresh address goes past the per-IP limit, the locked account signs in.
        during.registrations = await registrationsFrom('192.0.2.3');
        during.lockedLogin = await asClient('192.0.2.2', '/auth/login', { email: locked.email, password: TEST_PASSWORD });
        await sleep(Math.max(0, outage.fromMs + OUTAGE_MS - Date.now()));
        // A new, empty Redis behind the same address; the replicas' clients reconnect on their own.
        redis = await startRedisServer();
        service.route(redis.port);
        outage.toMs = Date.now();
        // Every replica's client reconnects on its own (ioredis retries at most every 2 s), then caching resumes.
        await eventually('every replica sees Redis back', async () => {
          const seen = await readiness();
          if (seen.every((r) => r.endsWith(' 200 ready redis:ok'))) return true;
          throw new Error(seen.join(', '));
        }, 15_000);
        await eventually('caching again on every catalog replica', readsAre(productId, 'hit', 4, 1), 15_000);
        during.registrationsAfter = await registrationsFrom('192.0.2.4');
      },
    });
    console.log(`Redis outage under load:\n  ${shoppingSummary(result, outage)}`);

    expect(during.reads).toEqual(Array(10).fill('bypass'));
    expect(during.readiness).toBe(6);
    expect(during.registrations).toEqual(unlimited);
    expect(during.lockedLogin).toBe(200);
    // Back: the fresh Redis counts again.
    expect(during.registrationsAfter).toEqual(limited);

    // The shoppers noticed nothing: every request answered, none with a 5xx …
    expect(result.answers.filter((a) => a.status === 0 || a.status >= 500)).toEqual([]);
    // … they kept writing while Redis was down …
    const writesInOutage = result.answers.filter((a) => a.method !== 'GET' && a.route.startsWith('/cart/') && a.status >= 200 && a.status < 300 && a.atMs >= outage.fromMs && a.atMs <= outage.toMs);
    expect(writesInOutage.length).toBeGreaterThan(0);
    // … and every acknowledged write is in the read-back, none twice, nothing unexpected.
    expect(lossesIn(result)).toEqual([]);

    // No replica exited or was replaced: the same processes throughout.
    expect(events.slice(eventsBefore).filter((e) => e.type !== 'ingress-reloaded')).toEqual([]);
    expect(cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort()).toEqual(pids);
    passed = true;
  });
});
