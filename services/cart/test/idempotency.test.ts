// Retries across replicas apply once. Real processes: two cart replicas sharing Postgres, a real
// catalog (its stock is the witness that a checkout reserved exactly once) and a real auth.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCatalog, type TestCatalog } from './catalog-fixture.ts';
import { newKey } from './helper.ts';
import { startHoldingProxy } from './holding-proxy.ts';
import { call, startCart, type Answer } from './replicas.ts';

let authService: TestAuth;
let catalog: TestCatalog;
let a: ServiceProcess;
let b: ServiceProcess;
const started: ServiceProcess[] = [];

// A lease just longer than the longest catalog call (3 × 800 ms + backoff), so recovery after a
// crash takes seconds in the test instead of the default 30.
const timing = { IDEMPOTENCY_LEASE_SECONDS: '3', CATALOG_TIMEOUT_MS: '800', CATALOG_RETRIES: '2' };

beforeAll(async () => {
  authService = await startTestAuth();
  const admin = await authService.user('admin');
  catalog = await startTestCatalog({ jwksUrl: authService.jwksUrl, adminToken: admin.token });
  const env = { AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: catalog.url, ...timing };
  [a, b] = await Promise.all([startCart('cart-a', env), startCart('cart-b', env)]);
  started.push(a, b);
});
afterAll(async () => {
  await Promise.all(started.map((replica) => stopService(replica)));
  await Promise.all([catalog?.stop(), authService?.stop()]);
});

const replayed = (res: Answer) => res.headers.get('idempotent-replayed') === 'true';

async function ordersOf(token: string) {
  return (await call(a, 'GET', '/cart/orders', { token })).json().orders as Array<{ id: string; totalCents: number }>;
}

describe('the same add, three times', () => {
  it('applies once whether the retries are sequential or concurrent, and replays the same bytes', async () => {
    const { token } = await authService.user();
    const addTo = (replica: ServiceProcess, key: string, productId: string) =>
      call(replica, 'POST', '/cart/items', { token, headers: { 'idempotency-key': key }, body: { productId, quantity: 3 } });

    const sequentialKey = newKey();
    const sequential = [await addTo(a, sequentialKey, 'seq'), await addTo(b, sequentialKey, 'seq'), await addTo(a, sequentialKey, 'seq')];
    expect(sequential.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sequential.map(replayed)).toEqual([false, true, true]);
    expect(new Set(sequential.map((r) => r.body)).size).toBe(1);

    const concurrentKey = newKey();
    const concurrent = await Promise.all([addTo(a, concurrentKey, 'conc'), addTo(b, concurrentKey, 'conc'), addTo(a, concurrentKey, 'conc')]);
    expect(concurrent.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(concurrent.filter((r) => !replayed(r))).toHaveLength(1);
    expect(new Set(concurrent.map((r) => r.body)).size).toBe(1);

    const cart = (await call(b, 'GET', '/cart', { token })).json();
    expect(cart).toMatchObject({ lines: [{ productId: 'seq', quantity: 3 }, { productId: 'conc', quantity: 3 }], version: 2 });
  });
});

describe('the same checkout, three times', () => {
  it('orders once, reserves stock once, and every retry gets the same answer', async () => {
    const { token } = await authService.user();
    const product = await catalog.product({ stock: 20, priceCents: 499 });
    await call(a, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: product, quantity: 4 } });
    const key = newKey();
    const checkoutOn = (replica: ServiceProcess) => call(replica, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });

    const concurrent = await Promise.all([checkoutOn(a), checkoutOn(b), checkoutOn(a)]);
    // One attempt does the work; the others see it in flight (409 + Retry-After) or, if it already
    // finished, get its answer replayed.
    expect(concurrent.filter((r) => r.status === 201 && !replayed(r))).toHaveLength(1);
    for (const res of concurrent.filter((r) => r.status !== 201)) {
      expect(res.status).toBe(409);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    const original = concurrent.find((r) => r.status === 201 && !replayed(r)) as Answer;
    const retries = [await checkoutOn(b), await checkoutOn(a), await checkoutOn(b)];
    for (const retry of [...retries, ...concurrent.filter((r) => r.status === 201)]) {
      expect(retry.status).toBe(201);
      expect(retry.body).toBe(original.body);
      expect(retry.headers.get('location')).toBe(original.headers.get('location'));
    }
    expect(retries.every(replayed)).toBe(true);

    expect(await ordersOf(token)).toEqual([expect.objectContaining({ id: original.json().id, totalCents: 4 * 499 })]);
    expect(await catalog.stockOf(product)).toBe(16);
  });
});

describe('a replica killed in the middle of a checkout', () => {
  it('leaves a checkout that a retry on another replica completes exactly once', async () => {
    const { token } = await authService.user();
    const product = await catalog.product({ stock: 10, priceCents: 700 });
    await call(a, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: product, quantity: 3 } });

    // Replica "doomed" reaches catalog through a proxy that lets the reservation happen and then
    // withholds the answer, so it is killed after reserving stock and before writing the order.
    const proxy = await startHoldingProxy(catalog.url);
    const doomed = await startCart('cart-doomed', { AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: proxy.url, ...timing });
    started.push(doomed);
    const key = newKey();
    const inFlight = call(doomed, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } }).then(
      (res) => ({ answered: res.status }),
      (error: Error) => ({ failed: error.message }),
    );
    expect((await proxy.firstAnswerHeld).status).toBe(201);
    expect(await catalog.stockOf(product)).toBe(7); // reserved…
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect(await inFlight).toHaveProperty('failed'); // …and the client never got an answer
    await proxy.close();

    // The client retries with the same key on another replica: the dead replica's lease holds the
    // key for a moment (409 + Retry-After), then the retry takes over and finishes the same order.
    const attempts: Answer[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const res = await call(b, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
      attempts.push(res);
      if (res.status !== 409) break;
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
    }
    const last = attempts.at(-1) as Answer;
    expect(attempts[0]?.status).toBe(409);
    expect(last.status, last.body).toBe(201);
    expect(last.json()).toMatchObject({ lines: [{ productId: product, quantity: 3, unitPriceCents: 700 }], totalCents: 2100 });

    expect(await catalog.stockOf(product)).toBe(7); // reserved once, not twice
    expect(await ordersOf(token)).toHaveLength(1);
    expect((await call(a, 'GET', '/cart', { token })).json().lines).toEqual([]);
    const replay = await call(a, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
    expect(replay.body).toBe(last.body);
    expect(replayed(replay)).toBe(true);
  });
});
