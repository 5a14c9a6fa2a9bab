// Catalog's /metrics, read after real requests against real Postgres, Redis and a real auth
// service: the cache's hit, miss and bypass, every reservation event (expiry both ways: touched
// by a confirm, and by the sweep), reservation ids as idempotency keys, token rejections only a
// JWKS verifier can meet, request counts by route template, and the naming rules.
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { changes, namingProblems, sampleValue } from '@anypod/platform/testing/metric-exposition';
import { freePort } from '@anypod/platform/testing/processes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData, uniqueId } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let withoutRedis: FastifyInstance;
let withoutAuth: FastifyInstance;
let token: string;

beforeAll(async () => {
  auth = await startTestAuth();
  // Nothing listens on a free port: Redis commands fail at once, the JWKS cannot be fetched.
  const [redisPort, authPort] = await Promise.all([freePort(), freePort()]);
  // No sweeps during a test: each expiry here is caused by the test.
  const env = { RESERVATION_SWEEP_SECONDS: '300' };
  [app, withoutRedis, withoutAuth, token] = await Promise.all([
    buildCatalog(auth.jwksUrl, { ...env, POD_NAME: 'catalog-metrics' }),
    buildCatalog(auth.jwksUrl, { ...env, POD_NAME: 'catalog-metrics-no-redis', REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
    buildCatalog(`http://127.0.0.1:${authPort}/auth/.well-known/jwks.json`, { ...env, POD_NAME: 'catalog-metrics-no-auth' }),
    auth.user().then((u) => u.accessToken),
  ]);
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await Promise.all([app?.close(), withoutRedis?.close(), withoutAuth?.close()]);
  await auth?.stop();
});

const scrape = async (target: FastifyInstance) => (await target.inject('/metrics')).body;
const get = (target: FastifyInstance, url: string) => target.inject({ method: 'GET', url });

/** What `act` moved in each of these families of `target`'s metrics. */
async function moved(target: FastifyInstance, families: string[], act: () => Promise<unknown>): Promise<Record<string, Record<string, number>>> {
  const before = await scrape(target);
  await act();
  const after = await scrape(target);
  return Object.fromEntries(families.map((family) => [family, changes(before, after, family)]));
}

const CACHE = 'anypod_cache_requests_total';
const LOADS = 'anypod_cache_loads_total';
const RESERVATIONS = 'anypod_reservations_total';
const IDEMPOTENCY = 'anypod_idempotency_requests_total';
const TOKENS = 'anypod_token_verifications_total';
const HTTP = 'http_requests_total';

describe('the cache', () => {
  it('counts a miss (and its load), then a hit, for a product and for a listing page', async () => {
    const { categoryId, ids } = await createTestData(app, [{ priceCents: 100 }]);
    const product = `/catalog/products/${ids[0]}`;
    const listing = `/catalog/products?category=${categoryId}`;
    expect(await moved(app, [CACHE, LOADS], () => get(app, product))).toEqual({ [CACHE]: { 'cache=product,result=miss': 1 }, [LOADS]: { 'cache=product': 1 } });
    expect(await moved(app, [CACHE, LOADS], () => get(app, product))).toEqual({ [CACHE]: { 'cache=product,result=hit': 1 }, [LOADS]: {} });
    expect(await moved(app, [CACHE, LOADS], () => get(app, listing))).toEqual({ [CACHE]: { 'cache=listing,result=miss': 1 }, [LOADS]: { 'cache=listing': 1 } });
    expect(await moved(app, [CACHE, LOADS], () => get(app, listing))).toEqual({ [CACHE]: { 'cache=listing,result=hit': 1 }, [LOADS]: {} });
  });

  it('counts a bypass, and the load behind it, when Redis is unavailable', async () => {
    const { ids } = await createTestData(app, [{ priceCents: 100 }]);
    const read = async () => expect((await get(withoutRedis, `/catalog/products/${ids[0]}`)).headers['x-cache']).toBe('bypass');
    expect(await moved(withoutRedis, [CACHE, LOADS], read)).toEqual({ [CACHE]: { 'cache=product,result=bypass': 1 }, [LOADS]: { 'cache=product': 1 } });
  });
});

describe('reservations', () => {
  const reserve = (reservationId: string, lines: Array<{ productId: string; quantity: number }>) =>
    app.inject({ method: 'POST', url: '/catalog/stock/reservations', payload: { reservationId, lines }, headers: bearer(token) });
  const confirm = (id: string) => app.inject({ method: 'POST', url: `/catalog/stock/reservations/${id}/confirm`, headers: bearer(token) });
  const release = (id: string) => app.inject({ method: 'DELETE', url: `/catalog/stock/reservations/${id}`, headers: bearer(token) });
  /** Moves a held reservation's expiry into the past: the database clock decides, no test waits for it. */
  const expire = (id: string) => app.prisma.$executeRaw`UPDATE stock_reservations SET expires_at = now() - interval '1 second' WHERE id = ${id} AND status = 'held'`;
  const status = (expected: number) => (res: { statusCode: number; body: string }) => expect(res.statusCode, res.body).toBe(expected);

  it('counts each event once: created, committed, released, expired', async () => {
    const { ids } = await createTestData(app, [{ stock: 50 }]);
    const lines = [{ productId: ids[0]!, quantity: 1 }];
    const [sold, given, touched, swept] = [uniqueId('r'), uniqueId('r'), uniqueId('r'), uniqueId('r')];

    expect(await moved(app, [RESERVATIONS], async () => status(201)(await reserve(sold, lines)))).toEqual({ [RESERVATIONS]: { 'event=created': 1 } });
    expect(await moved(app, [RESERVATIONS], async () => status(200)(await confirm(sold)))).toEqual({ [RESERVATIONS]: { 'event=committed': 1 } });
    // Confirming again changes nothing.
    expect(await moved(app, [RESERVATIONS], async () => status(200)(await confirm(sold)))).toEqual({ [RESERVATIONS]: {} });

    status(201)(await reserve(given, lines));
    expect(await moved(app, [RESERVATIONS], async () => status(200)(await release(given)))).toEqual({ [RESERVATIONS]: { 'event=released': 1 } });
    expect(await moved(app, [RESERVATIONS], async () => status(200)(await release(given)))).toEqual({ [RESERVATIONS]: {} });

    // Expired when a late confirm touches it (before any sweep)…
    status(201)(await reserve(touched, lines));
    await expire(touched);
    expect(await moved(app, [RESERVATIONS], async () => status(409)(await confirm(touched)))).toEqual({ [RESERVATIONS]: { 'event=expired': 1 } });

    // …and by the sweep. Due reservations left by other runs are swept first, so exactly this one is counted.
    await app.stock.expireDue();
    status(201)(await reserve(swept, lines));
    await expire(swept);
    expect(await moved(app, [RESERVATIONS], async () => expect(await app.stock.expireDue()).toBe(1))).toEqual({ [RESERVATIONS]: { 'event=expired': 1 } });
  });

  it('counts reservation ids as idempotency keys: first, replay, conflict', async () => {
    const { ids } = await createTestData(app, [{ stock: 50 }, { stock: 50 }]);
    const id = uniqueId('r');
    const lines = [{ productId: ids[0]!, quantity: 2 }];
    expect(await moved(app, [IDEMPOTENCY, RESERVATIONS], async () => status(201)(await reserve(id, lines)))).toEqual({
      [IDEMPOTENCY]: { 'result=first': 1 },
      [RESERVATIONS]: { 'event=created': 1 },
    });
    expect(await moved(app, [IDEMPOTENCY, RESERVATIONS], async () => status(201)(await reserve(id, lines)))).toEqual({ [IDEMPOTENCY]: { 'result=replay': 1 }, [RESERVATIONS]: {} });
    expect(await moved(app, [IDEMPOTENCY, RESERVATIONS], async () => status(422)(await reserve(id, [{ productId: ids[1]!, quantity: 2 }])))).toEqual({
      [IDEMPOTENCY]: { 'result=conflict': 1 },
      [RESERVATIONS]: {},
    });
  });
});

/** An ES256 token auth never issued: signed by another key, under a key id auth does not publish. */
function tokenOfAnotherKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'ES256', typ: 'at+jwt', kid: 'A'.repeat(43) })}.${part({ sub: 'u', role: 'user', jti: 'j', sid: 's', iat: now, exp: now + 60, iss: 'anypod-auth', aud: 'anypod' })}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('token verifications with the JWKS', () => {
  const reservation = (target: FastifyInstance, headers: Record<string, string>) =>
    target.inject({ method: 'POST', url: '/catalog/stock/reservations', payload: { reservationId: uniqueId('r'), lines: [{ productId: 'none', quantity: 1 }] }, headers });

  it.each([
    ['no token', {}, 401, 'result=rejected,reason=missing'],
    ['a token signed by a key auth does not publish', bearer(tokenOfAnotherKey()), 401, 'result=rejected,reason=unknown_key'],
    ['a token without a usable key id', bearer(`${Buffer.from('{"alg":"ES256","typ":"at+jwt","kid":"no such kid!"}').toString('base64url')}.e30.AAAA`), 401, 'result=rejected,reason=unknown_key'],
  ])('counts %s under its reason', async (_what, headers, statusCode, series) => {
    expect(await moved(app, [TOKENS], async () => expect((await reservation(app, headers as Record<string, string>)).statusCode).toBe(statusCode))).toEqual({ [TOKENS]: { [series]: 1 } });
  });

  it('counts a token it could not check because auth’s keys were unreachable as keys_unavailable (503)', async () => {
    const res = moved(withoutAuth, [TOKENS], async () => expect((await reservation(withoutAuth, bearer(token))).statusCode).toBe(503));
    expect(await res).toEqual({ [TOKENS]: { 'result=rejected,reason=keys_unavailable': 1 } });
  });

  it('counts an accepted token', async () => {
    // 422: the token is fine, the product is not.
    expect(await moved(app, [TOKENS], async () => expect((await reservation(app, bearer(token))).statusCode).toBe(422))).toEqual({ [TOKENS]: { 'result=accepted,reason=none': 1 } });
  });
});

describe('HTTP requests', () => {
  it('count by route template, unmatched paths under "unmatched", and a failed write under 4xx', async () => {
    const { ids } = await createTestData(app, [{}, {}]);
    const counted = await moved(app, [HTTP], async () => {
      await get(app, `/catalog/products/${ids[0]}`);
      await get(app, `/catalog/products/${ids[1]}`);
      await get(app, '/catalog/no-such-thing');
      await app.inject({ method: 'PATCH', url: `/catalog/products/${ids[0]}`, payload: {} });
    });
    expect(counted).toEqual({
      [HTTP]: {
        'method=GET,route=/catalog/products/:id,status_class=2xx': 2,
        'method=GET,route=unmatched,status_class=4xx': 1,
        'method=PATCH,route=/catalog/products/:id,status_class=4xx': 1,
      },
    });
  });
});

describe('catalog /metrics', () => {
  it('follows the naming rules, and has every series of its own families from the start', async () => {
    const fresh = await buildCatalog(auth.jwksUrl, { POD_NAME: 'catalog-metrics-fresh', RESERVATION_SWEEP_SECONDS: '300' });
    const text = await scrape(fresh).finally(() => fresh.close());
    expect(namingProblems(text)).toEqual([]);
    expect(namingProblems(await scrape(app))).toEqual([]); // and after all the requests above
    for (const event of ['created', 'committed', 'released', 'expired']) expect(sampleValue(text, RESERVATIONS, { event })).toBe(0);
    for (const cache of ['product', 'listing']) {
      expect(sampleValue(text, LOADS, { cache })).toBe(0);
      for (const result of ['hit', 'miss', 'bypass']) expect(sampleValue(text, CACHE, { cache, result })).toBe(0);
    }
    for (const result of ['first', 'replay', 'conflict', 'takeover', 'in_progress']) expect(sampleValue(text, IDEMPOTENCY, { result })).toBe(0);
    expect(sampleValue(text, HTTP, { method: 'POST', route: '/catalog/stock/reservations/:reservationId/confirm', status_class: '5xx' })).toBe(0);
    expect(() => sampleValue(text, CACHE, { cache: 'session', result: 'hit' })).toThrow(); // auth's cache, not catalog's
  });
});
