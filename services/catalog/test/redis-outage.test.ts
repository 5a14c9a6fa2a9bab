// Redis is a cache, not a dependency: with this test's own Redis stopped, reads keep answering
// from Postgres (X-Cache: bypass) without waiting, writes still work, readiness stays 200; when
// Redis comes back at the address the app was given, caching resumes without restarting the app.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { freePort } from '@anypod/platform/testing/processes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let admin: string;
let redis: ChildProcess | undefined;

/**
 * The address the app is given for Redis, held by this test from start to end, like a Kubernetes
 * Service in front of a Redis pod: it forwards to the current redis-server, and while there is
 * none it resets every connection (nobody behind it). The restarted Redis gets a fresh port
 * behind the same address, so no other process can take the app's Redis port between the two.
 */
function redisService() {
  let backend: number | undefined;
  const open = new Set<Socket>();
  const server = createServer((front) => {
    if (backend === undefined) return void front.resetAndDestroy();
    const back = connect(backend, '127.0.0.1');
    const close = () => {
      for (const socket of [front, back]) {
        socket.destroy();
        open.delete(socket);
      }
    };
    for (const socket of [front, back]) socket.on('error', close).on('close', close);
    open.add(front).add(back);
    front.pipe(back).pipe(front);
  });
  return {
    async listen(): Promise<string> {
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    /** Sends new connections to this redis-server port; undefined: cuts every connection and refuses new ones. */
    route(port: number | undefined) {
      backend = port;
      if (port === undefined) for (const socket of open) socket.destroy();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
const service = redisService();

/** A throwaway redis-server (no persistence) on a fresh port; resolves once it accepts connections. */
async function startRedis(): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`redis-server exited with ${String(code)} before it was ready`);
  });
  try {
    // Redis logs this line once its listening socket is open.
    const ready = (async () => {
      for await (const line of lines) if (line.includes('Ready to accept connections')) return;
      throw new Error('redis-server closed its output before it was ready');
    })();
    await Promise.race([ready, exited]);
  } finally {
    exited.catch(() => undefined);
    lines.close();
    child.stdout?.resume();
  }
  return { child, port };
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
  const url = await service.listen();
  const first = await startRedis();
  redis = first.child;
  service.route(first.port);
  auth = await startTestAuth();
  app = await buildCatalog(auth.jwksUrl, { REDIS_URL: url });
  admin = (await auth.user('admin')).token;
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  service.route(undefined);
  await stopRedis();
  await service.close();
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
    await stopRedis();
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
    const restarted = await startRedis();
    redis = restarted.child;
    const reconnected = next('ready');
    service.route(restarted.port);
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
