// The read-through cache: hits after misses, writes visible on the next read on every replica
// (a second app instance and a real second process sharing the same Redis), single-flight on
// cold keys, and no stale refill by a reader that raced a write.
import { fileURLToPath } from 'node:url';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData, uniqueId } from './helper.ts';

let auth: TestAuth;
let a: FastifyInstance;
let b: FastifyInstance;
let replica: ServiceProcess;
let admin: string;

beforeAll(async () => {
  auth = await startTestAuth();
  [a, b, admin] = await Promise.all([
    buildCatalog(auth.jwksUrl, { POD_NAME: 'catalog-a' }),
    buildCatalog(auth.jwksUrl, { POD_NAME: 'catalog-b' }),
    auth.user('admin').then((u) => u.accessToken),
  ]);
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  replica = await startService({ name: 'catalog-c', cwd, env: testEnv({ AUTH_JWKS_URL: auth.jwksUrl }) });
});
afterAll(async () => {
  if (a) await removeTestData(a);
  await Promise.all([a?.close(), b?.close(), replica && stopService(replica)]);
  await auth?.stop();
});

const get = (app: FastifyInstance, url: string) => app.inject({ method: 'GET', url });
async function fetchReplica(path: string) {
  const res = await fetch(`${replica.url}${path}`);
  return { status: res.status, cache: res.headers.get('x-cache'), servedBy: res.headers.get('x-served-by'), json: (await res.json()) as { total?: number; [field: string]: unknown } };
}
async function patch(app: FastifyInstance, id: string, payload: object) {
  const etag = (await app.prisma.product.findUniqueOrThrow({ where: { id } })).version;
  const res = await app.inject({ method: 'PATCH', url: `/catalog/products/${id}`, payload, headers: { ...bearer(admin), 'if-match': `"${id}.v${etag}"` } });
  expect(res.statusCode, res.body).toBe(200);
  return res;
}

describe('X-Cache', () => {
  it('is miss then hit for a product and for a listing page', async () => {
    const { categoryId, ids } = await createTestData(a, [{ priceCents: 100 }, { priceCents: 200 }]);
    const url = `/catalog/products/${ids[0]}`;
    expect((await get(a, url)).headers['x-cache']).toBe('miss');
    const hit = await get(a, url);
    expect(hit.headers['x-cache']).toBe('hit');
    expect(hit.json().id).toBe(ids[0]);
    expect(hit.headers.etag).toBe(`"${ids[0]}.v1"`);

    const listing = `/catalog/products?category=${categoryId}&sort=price`;
    expect((await get(a, listing)).headers['x-cache']).toBe('miss');
    expect((await get(a, listing)).headers['x-cache']).toBe('hit');
    // The key is the normalised query: parameter order and defaults do not matter.
    expect((await get(a, `/catalog/products?sort=price&page=1&pageSize=20&category=${categoryId}`)).headers['x-cache']).toBe('hit');
    // Another instance sharing Redis hits what the first one loaded.
    expect((await get(b, listing)).headers['x-cache']).toBe('hit');
  });
});

describe('a write is visible on the next read', () => {
  it('on the same instance, on a second instance and on a separate process', async () => {
    const { ids } = await createTestData(a, [{ priceCents: 100, name: 'Before' }]);
    const url = `/catalog/products/${ids[0]}`;
    await get(b, url);
    expect((await get(b, url)).headers['x-cache']).toBe('hit');
    await fetchReplica(url);
    expect((await fetchReplica(url)).cache).toBe('hit');

    await patch(a, ids[0]!, { name: 'After', priceCents: 150 });

    for (const read of [await get(a, url), await get(b, url)]) {
      expect(read.json()).toMatchObject({ name: 'After', priceCents: 150, version: 2 });
      expect(read.headers.etag).toBe(`"${ids[0]}.v2"`);
    }
    const fromProcess = await fetchReplica(url);
    expect(fromProcess.servedBy).toBe('catalog-c');
    expect(fromProcess.json).toMatchObject({ name: 'After', version: 2 });
  });

  it('for listings: a created, changed or deleted product shows on every replica at once', async () => {
    const { categoryId, ids } = await createTestData(a, [{ priceCents: 100 }, { priceCents: 200 }]);
    const listing = `/catalog/products?category=${categoryId}&sort=price`;
    const total = async (app: FastifyInstance) => (await get(app, listing)).json().total;
    expect(await total(b)).toBe(2);
    expect((await get(b, listing)).headers['x-cache']).toBe('hit');
    expect((await fetchReplica(listing)).json.total).toBe(2);

    const created = await a.inject({ method: 'POST', url: '/catalog/products', headers: bearer(admin), payload: { id: uniqueId('fresh'), name: 'Fresh', description: '', categoryId, priceCents: 50, stock: 1 } });
    expect(created.statusCode).toBe(201);
    expect(await total(b)).toBe(3);
    expect((await get(b, listing)).json().items[0].name).toBe('Fresh');
    expect((await fetchReplica(listing)).json.total).toBe(3);

    await patch(a, ids[1]!, { priceCents: 10 });
    expect((await get(b, listing)).json().items[0].id).toBe(ids[1]);

    const del = await a.inject({ method: 'DELETE', url: `/catalog/products/${ids[1]}`, headers: { ...bearer(admin), 'if-match': `"${ids[1]}.v2"` } });
    expect(del.statusCode).toBe(204);
    expect(await total(b)).toBe(2);
    expect((await fetchReplica(listing)).json.total).toBe(2);
    expect((await get(b, `/catalog/products/${ids[1]}`)).statusCode).toBe(404);
  });

  it('for a product first read as missing, then created', async () => {
    const id = uniqueId('later');
    const { categoryId } = await createTestData(a, []);
    expect((await get(b, `/catalog/products/${id}`)).statusCode).toBe(404);
    expect((await get(b, `/catalog/products/${id}`)).headers['x-cache']).toBe('hit'); // the 404 is cached too
    const created = await a.inject({ method: 'POST', url: '/catalog/products', headers: bearer(admin), payload: { id, name: 'Late', description: '', categoryId, priceCents: 1, stock: 1 } });
    expect(created.statusCode).toBe(201);
    expect((await get(b, `/catalog/products/${id}`)).statusCode).toBe(200);
  });
});

describe('single-flight', () => {
  it('loads a cold product once for many concurrent readers', async () => {
    const { ids } = await createTestData(a, [{ priceCents: 100 }]);
    const before = a.cache.loads;
    const answers = await Promise.all(Array.from({ length: 25 }, () => get(a, `/catalog/products/${ids[0]}`)));
    expect(a.cache.loads - before).toBe(1);
    expect(answers.every((r) => r.statusCode === 200 && r.json().id === ids[0])).toBe(true);
    expect(answers.map((r) => r.headers['x-cache'])).toEqual(Array(25).fill('miss'));
    expect((await get(a, `/catalog/products/${ids[0]}`)).headers['x-cache']).toBe('hit');
    expect(a.cache.loads - before).toBe(1);
  });

  it('loads a cold listing page once for many concurrent readers', async () => {
    const { categoryId } = await createTestData(a, [{ priceCents: 100 }, { priceCents: 200 }]);
    const before = a.cache.loads;
    const answers = await Promise.all(Array.from({ length: 25 }, () => get(a, `/catalog/products?category=${categoryId}&sort=-price`)));
    expect(a.cache.loads - before).toBe(1);
    expect(answers.every((r) => r.statusCode === 200 && r.json().total === 2)).toBe(true);
  });

  it('counts loads in the metrics', async () => {
    const metrics = (await get(a, '/metrics')).body;
    expect(metrics).toMatch(/anypod_cache_loads_total\{cache="product"\} [1-9]/);
    expect(metrics).toMatch(/anypod_cache_requests_total\{cache="product",result="hit"\} [1-9]/);
  });
});

describe('a reader that raced a write', () => {
  /** A load of `id` on replica a that has read { name: 'old' } and waits for release() to fill the cache with it. */
  async function slowReaderOfOld(id: string) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = a.cache.product(id, async () => {
      await gate;
      return { name: 'old' };
    });
    await new Promise((r) => setTimeout(r, 50));
    return { slow, release };
  }

  it('cannot put the value it loaded before the write back into the cache', async () => {
    const id = uniqueId('race');
    // A slow reader: it has read the old value from "Postgres" and is about to fill the cache…
    const { slow, release } = await slowReaderOfOld(id);
    // …when a write commits and invalidates.
    await a.cache.invalidate([id]);
    release();
    expect(await slow).toEqual({ value: { name: 'old' }, cache: 'miss' });
    // The next reader (on any replica) must load again instead of getting the old value.
    const next = await b.cache.product(id, async () => ({ name: 'new' }));
    expect(next).toEqual({ value: { name: 'new' }, cache: 'miss' });
    expect(await b.cache.product(id, async () => ({ name: 'unexpected load' }))).toEqual({ value: { name: 'new' }, cache: 'hit' });
  });

  it('does not join a load that started before its own write (same process)', async () => {
    const id = uniqueId('race');
    const { slow, release } = await slowReaderOfOld(id);
    await a.cache.invalidate([id]);
    const after = a.cache.product(id, async () => ({ name: 'new' }));
    release();
    expect((await slow).value).toEqual({ name: 'old' });
    expect((await after).value).toEqual({ name: 'new' });
  });
});
