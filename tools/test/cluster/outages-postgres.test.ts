// Postgres stopped (pg_ctl stop -m fast) and restarted under load, through a local cluster whose
// Postgres and Redis are the test's own (never the shared ones), reached through a stable address
// like a Kubernetes Service. While it is down every failed answer is a 503 with Retry-After as
// problem+json — from a replica ("the database is unavailable") or, with live readiness, from the
// Ingress ("no ready replica"); never a 500 or another 5xx. The shoppers retry with their
// Idempotency-Keys; once Postgres is back the cluster serves again without restarting a replica,
// and every acknowledged write is in the final read (the proof's history check).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from '@anypod/platform/testing/redis-server';
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { eventually, newAccount, ownPostgres, seedDatabase, lossesIn, shopDuring, shoppingSummary, type OwnPostgres } from '../../cluster/testing.ts';
import type { Cluster, ClusterEvent } from '../../cluster/types.ts';

/**
 * Longer than the readiness probe's failureThreshold × periodSeconds (2 × 5 s in k8s/), so with
 * live readiness the replicas do leave the rotation; well inside the shoppers' 30 s retry deadline.
 */
const OUTAGE_MS = 12_000;
/** After Postgres is back: one readiness period to rejoin, a reload, and pools reconnecting. */
const RECOVERY_MS = 15_000;

const runDir = mkdtempSync(join(tmpdir(), 'anypod-outages-postgres-'));
let postgres: OwnPostgres;
let service: TcpLink;
let redis: RedisServer;
let cluster: Cluster;
const events: ClusterEvent[] = [];
/** set when the test passed: a failed run keeps its run directory (replica logs, nginx logs, events) */
let passed = false;

beforeAll(async () => {
  const started = Date.now();
  const took = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  postgres = await ownPostgres();
  await postgres.start();
  const pgUp = took();
  service = await tcpLink();
  service.route(postgres.port);
  const databaseUrl = await postgres.url(service.port);
  // Its own Redis too: the catalog's cache must not hold products of another database.
  redis = await startRedisServer();
  cluster = await startCluster({
    replicas: 2,
    ingressPort: 0,
    runDir,
    // migrations into the new database before the replicas start (the chart's migrate step)
    migrate: true,
    env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000', DATABASE_URL: databaseUrl, REDIS_URL: `redis://127.0.0.1:${redis.port}` },
    onEvent: (event) => events.push(event),
  });
  const clusterUp = took();
  await seedDatabase(databaseUrl);
  console.log(`own Postgres up at ${pgUp}, migrated and the cluster up at ${clusterUp}, seeded at ${took()}`);
}, 240_000);
afterAll(async () => {
  await cluster?.stop();
  await redis?.stop();
  await postgres?.remove();
  await service?.close();
  if (passed) rmSync(runDir, { recursive: true, force: true });
  else console.log(`the cluster's logs and events are kept in ${runDir}`);
});

describe('Postgres stopped and restarted under load', { tags: ['timing'] }, () => {
  it('answers 503 + Retry-After (never another 5xx), recovers without restarts and loses nothing', async () => {
    // A user registered before the outage: still there after it.
    const before = await newAccount(cluster.ingressUrl, 'outage-pg');

    const pids = cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort();
    const eventsBefore = events.length;
    const outage = { fromMs: 0, toMs: 0 };
    const result = await shopDuring(cluster, {
      vus: 4,
      // 3 s + the outage + the recovery, with shopping left after it
      durationMs: 28_000,
      runId: `pg${Date.now().toString(36)}`,
      disrupt: async () => {
        await sleep(3_000);
        outage.fromMs = Date.now();
        await postgres.stop();
        // Nothing behind the Service while the pod is gone.
        service.route(undefined);
        await sleep(OUTAGE_MS);
        await postgres.start();
        service.route(postgres.port);
        outage.toMs = Date.now();
        // Serving again: a read of each service through the Ingress answers 200.
        await eventually('the cluster serves again', async () => {
          const [products, me] = await Promise.all([fetch(`${cluster.ingressUrl}/catalog/products?pageSize=1`), fetch(`${cluster.ingressUrl}/auth/me`, { headers: { authorization: `Bearer ${before.accessToken}` } })]);
          return products.status === 200 && me.status === 200 ? true : undefined;
        }, RECOVERY_MS);
      },
    });
    const unready = events.slice(eventsBefore).filter((e) => e.type === 'replica-unready').length;
    const fromIngress = result.answers.filter((a) => a.status === 503 && a.servedBy === undefined).length;
    console.log(
      `Postgres outage under load:\n  ${shoppingSummary(result, outage)}\n  503s from the Ingress (no ready replica): ${fromIngress}; replicas taken out of rotation by readiness: ${unready}`,
    );

    // The outage was felt: answers of 503 while Postgres was down …
    const unavailable = result.answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    // … each with Retry-After as problem+json, from a replica or from the Ingress …
    expect(unavailable.filter((a) => !(a.contentType.startsWith('application/problem+json') && Number(a.retryAfter) >= 1))).toEqual([]);
    // … and no other 5xx, no request left unanswered (the Ingress and the replicas stayed up).
    expect(result.answers.filter((a) => a.status === 0 || (a.status >= 500 && a.status !== 503))).toEqual([]);
    // The 503s came during the outage or just after it (back in rotation, pools reconnecting), never long after.
    expect(unavailable.filter((a) => a.atMs < outage.fromMs || a.atMs > outage.toMs + RECOVERY_MS)).toEqual([]);

    // Nothing lost: every acknowledged write (before, during and after) is in the read-back, none twice.
    expect(lossesIn(result)).toEqual([]);
    const me = await fetch(`${cluster.ingressUrl}/auth/me`, { headers: { authorization: `Bearer ${before.accessToken}` } });
    expect(((await me.json()) as { email: string }).email).toBe(before.email);

    // Recovered without restarts: the same processes, every one back in rotation.
    expect(events.slice(eventsBefore).filter((e) => e.type === 'replica-exited' || e.type === 'replica-started' || e.type === 'replica-replaced')).toEqual([]);
    expect(cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort()).toEqual(pids);
    expect(cluster.replicas().filter((r) => !r.inRotation)).toEqual([]);
    passed = true;
  });
});
