// Redis is a cache, not a dependency: with this test's own Redis stopped, reads keep answering
// from Postgres (X-Cache: bypass) without waiting, writes still work, readiness stays 200; when
// Redis comes back at the address the app was given, caching resumes without restarting the app.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startRedisServer, type RedisServer } from '@anypod/platform/testing/redis-server';
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let admin: string;
let redis: RedisServer | undefined;
/** The address the app is given for Redis (a Service in front of the current redis-server). */
let service: TcpLink;

beforeAll(async () => {
  service = await tcpLink();
  redis = await startRedisServer();
  service.route(redis.port);
  auth = await startTestAuth();
  app = await buildCatalog(auth.jwksUrl, { REDIS_URL: `redis://127.0.0.1:${service.port}` });
  admin = (await auth.user('admin')).accessToken;
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  service?.route(undefined);
  await redis?.stop();
  await service?.close();
  await auth?.stop();
});

const get = (url: string) => app.inject({ method: 'GET', url });
/** The next time the app's Redis client emits `event` (events.once would reject on its 'error's). */
const next = (event: 'close' | 'ready') => new Promise<void>((resolve) => app.redis.once(event, () => resolve()));

describe('Redis down', { tags: ['timing'] }, () => {
  it('bypasses the cache, keeps serving and stays ready, then resumes caching when Redis returns', async () => {
    const { categoryId, ids } = await createTestData(app, [{ priceCents: 100, name: 'Kettle' }]);
    const url = `/catalog/products/${ids[0]}`;
    const listing = `/catalog/products?category=${categoryId}`;
    expect((await get(url)).headers['x-cache']).toBe('miss');
    expect((await get(url)).headers['x-cache']).toBe('hit');
    expect((await get(listing)).headers['x-cache']).toBe('miss');

    // Redis goes away; the reads below start once the app's client has seen its connection close.
    const closed = next('close');
    service.route(undefined);
    await redis?.stop();
    await closed;

    const lookups = vi.spyOn(app.redis, 'mget');
    for (let i = 0; i < 3; i++) {
      const read = await get(url);
      expect(read.statusCode).toBe(200);
      expect(read.headers['x-cache']).toBe('bypass');
      expect(read.json()).toMatchObject({ id: ids[0], name: 'Kettle' });
      const page = await get(listing);
      expect(page.statusCode).toBe(200);
      expect(page.headers['x-cache']).toBe('bypass');
      expect(page.json().total).toBe(1);
    }
    // Fails fast: each read's cache lookup was refused by the client on the spot (no offline
    // queue), not after waiting for a reconnect (a retry limit) or for a command timeout.
    const refusals = await Promise.all(lookups.mock.results.map((r) => (r.value as Promise<unknown>).then(() => 'answered', (error: Error) => error.message)));
    expect(refusals).toEqual(Array(6).fill("Stream isn't writeable and enableOfflineQueue options is false"));
    lookups.mockRestore();
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

    // A new, empty Redis behind the same address. ioredis reconnects on its own (it retries at
    // most every 2 s); no restart of the app.
    redis = await startRedisServer();
    const reconnected = next('ready');
    service.route(redis.port);
    await reconnected;
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const read = await get(url);
      expect(read.statusCode).toBe(200);
      seen.push(read.headers['x-cache'] as string);
    }
    expect(seen).toEqual(['miss', 'hit']); // the fresh Redis was empty: one load refilled it
    expect((await get(url)).json()).toMatchObject({ name: 'Steel Kettle', version: 2 });
    const readyAgain = await get('/readyz');
    expect(readyAgain.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok' } });
  });
});
