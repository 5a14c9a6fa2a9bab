// Redis is a cache, not a dependency: with this test's own Redis stopped, reads keep answering
// from Postgres (X-Cache: bypass) without waiting, writes still work, readiness stays 200; when
// Redis comes back on the same port, caching resumes without restarting the app.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { freePort } from '@anypod/platform/testing/processes';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let admin: string;
let port: number;
let redis: ChildProcess | undefined;

/** A throwaway redis-server (no persistence), answering PING before this resolves. */
async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') return child;
      } catch {
        probe.disconnect();
        await sleep(50);
      }
    }
    throw new Error('redis-server did not answer PING');
  } finally {
    probe.disconnect();
  }
}

async function stopRedis() {
  const child = redis;
  redis = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  redis = await startRedis();
  auth = await startTestAuth();
  app = await buildCatalog(auth.jwksUrl, { REDIS_URL: `redis://127.0.0.1:${port}` });
  admin = (await auth.user('admin')).token;
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  await stopRedis();
  await auth?.stop();
});

const get = (url: string) => app.inject({ method: 'GET', url });

describe('Redis down', () => {
  it('bypasses the cache, keeps serving and stays ready, then resumes caching when Redis returns', async () => {
    const { categoryId, ids } = await createTestData(app, [{ priceCents: 100, name: 'Kettle' }]);
    const url = `/catalog/products/${ids[0]}`;
    const listing = `/catalog/products?category=${categoryId}`;
    expect((await get(url)).headers['x-cache']).toBe('miss');
    expect((await get(url)).headers['x-cache']).toBe('hit');
    expect((await get(listing)).headers['x-cache']).toBe('miss');

    await stopRedis();

    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const read = await get(url);
      expect(read.statusCode).toBe(200);
      expect(read.headers['x-cache']).toBe('bypass');
      expect(read.json()).toMatchObject({ id: ids[0], name: 'Kettle' });
      expect(Date.now() - started).toBeLessThan(750); // fails fast: no waiting for a reconnect or a timeout
      const page = await get(listing);
      expect(page.statusCode).toBe(200);
      expect(page.headers['x-cache']).toBe('bypass');
      expect(page.json().total).toBe(1);
    }
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().status).toBe('degraded');
    expect(ready.json().checks.redis).toMatch(/^failing/);
    expect(ready.json().checks.postgres).toBe('ok');

    // Admin writes still work (the token denylist fails open) and the next read sees them.
    const changed = await app.inject({ method: 'PATCH', url, headers: { ...bearer(admin), 'if-match': `"${ids[0]}.v1"` }, payload: { name: 'Steel Kettle' } });
    expect(changed.statusCode, changed.body).toBe(200);
    const afterWrite = await get(url);
    expect(afterWrite.headers['x-cache']).toBe('bypass');
    expect(afterWrite.json()).toMatchObject({ name: 'Steel Kettle', version: 2 });

    redis = await startRedis();

    // ioredis reconnects on its own (retry at most every 2 s); no restart of the app.
    const deadline = Date.now() + 15_000;
    const seen: string[] = [];
    while (Date.now() < deadline) {
      const read = await get(url);
      expect(read.statusCode).toBe(200);
      seen.push(read.headers['x-cache'] as string);
      if (seen.at(-1) === 'hit') break;
      await sleep(100);
    }
    expect(seen.at(-1)).toBe('hit');
    expect(seen).toContain('miss'); // the fresh Redis was empty: one load refilled it
    expect((await get(url)).json()).toMatchObject({ name: 'Steel Kettle', version: 2 });
    const readyAgain = await get('/readyz');
    expect(readyAgain.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
  });
});
