// Retries across replicas apply once. Real processes: two cart replicas sharing Postgres, a real
// catalog (its stock is the witness that a checkout reserved exactly once) and a real auth.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startTestCatalog, type TestCatalog } from '@anypod/catalog/testing';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutTiming } from '../src/lib/checkout-timing.ts';
import { newKey } from './helper.ts';
import { isReservation, startCatalogGate } from './catalog-gate.ts';
import { call, startCart, type Answer } from './replicas.ts';

let authService: TestAuth;
let catalog: TestCatalog;
let a: ServiceProcess;
let b: ServiceProcess;
const started: ServiceProcess[] = [];

// A short lease and catalog budget, so recovery after a crash takes seconds in the test.
const timing = { IDEMPOTENCY_LEASE_SECONDS: '4', CATALOG_TIMEOUT_MS: '800', CATALOG_RETRIES: '1' };
const timingOf = checkoutTiming({ IDEMPOTENCY_LEASE_SECONDS: 4, CATALOG_TIMEOUT_MS: 800, CATALOG_RETRIES: 1 });
/** A 409 answered from one Postgres read, over loopback: a generous bound for one such round trip. */
const REQUEST_OVERHEAD_MS = 250;

beforeAll(async () => {
  authService = await startTestAuth();
  catalog = await startTestCatalog({ jwksUrl: authService.jwksUrl });
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

describe('the same add, three times', { tags: ['timing'] }, () => {
  it('applies once whether the retries are sequential or concurrent, and replays the same bytes', async () => {
    const { accessToken: token } = await authService.user();
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

describe('the same checkout, three times', { tags: ['timing'] }, () => {
  it('orders once, reserves stock once, and every retry gets the same answer', async () => {
    const { accessToken: token } = await authService.user();
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

/**
 * The client side of a checkout after its first replica died: retry with the same key on another
 * replica, waiting what Retry-After says, until the answer is not "in flight".
 */
async function retryUntilAnswered(replica: ServiceProcess, token: string, key: string) {
  const attempts: Array<{ answer: Answer; sentAt: number }> = [];
  let waitedMs = 0;
  for (;;) {
    const sentAt = performance.now();
    const answer = await call(replica, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
    attempts.push({ answer, sentAt });
    if (answer.status !== 409 || answer.headers.get('retry-after') === null || attempts.length > 20) return { attempts, waitedMs, last: answer };
    const wait = Number(answer.headers.get('retry-after')) * 1000;
    waitedMs += wait;
    await sleep(wait);
  }
}

/**
 * A user with `quantity` of a fresh product in the cart (added on replica a), whose checkout on a
 * new replica `name` — reaching catalog through a gate — is held at its reservation call: catalog
 * has not seen it yet. `answer` is that checkout's answer, still to come.
 */
async function checkoutHeldAtReservation(name: string, cart: { stock: number; priceCents: number; quantity: number }) {
  const { accessToken: token } = await authService.user();
  const product = await catalog.product({ stock: cart.stock, priceCents: cart.priceCents });
  await call(a, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: product, quantity: cart.quantity } });
  const gate = await startCatalogGate(catalog.url);
  const replica = await startCart(name, { AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: gate.url, ...timing });
  started.push(replica);
  const key = newKey();
  const held = gate.arm(isReservation);
  const answer = call(replica, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
  return { token, product, key, gate, replica, reservation: await held, answer };
}

describe('a replica killed while its checkout is inside the catalog call', { tags: ['timing'] }, () => {
  it('leaves a checkout that a retry on another replica completes exactly once, within one lease', async () => {
    // Replica "doomed" reaches catalog through a gate that holds its reservation call.
    const { token, product, key, gate, replica: doomed, reservation, answer } = await checkoutHeldAtReservation('cart-doomed', { stock: 10, priceCents: 700, quantity: 3 });
    const inFlight = answer.then(
      (res) => ({ answered: res.status }),
      (error: Error) => ({ failed: error.message }),
    );
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const killedAt = performance.now();
    // Catalog did receive the call: the stock is reserved for an order nobody has written yet.
    expect((await reservation.passAndWithhold()).status).toBe(201);
    expect(await catalog.stockOf(product)).toBe(7);
    expect(await inFlight).toHaveProperty('failed'); // the client never got an answer
    await gate.close();

    // The client retries with the same key on another replica: the dead replica's lease holds the
    // key until it lapses (409 + Retry-After sized to what is left), then the retry takes over.
    const { attempts, waitedMs, last } = await retryUntilAnswered(b, token, key);
    const answeredAt = performance.now();
    expect(attempts[0]?.answer.status).toBe(409);
    expect(last.status, last.body).toBe(201);
    expect(last.headers.get('x-served-by')).toBe('cart-b');
    expect(last.json()).toMatchObject({ lines: [{ productId: product, quantity: 3, unitPriceCents: 700 }], totalCents: 2100 });
    // Within one lease: the client waited no longer than the lease plus Retry-After's rounding to
    // whole seconds, and the attempt that took over needed no more than its own work budget.
    expect(waitedMs).toBeLessThanOrEqual(timingOf.leaseMs + 1000);
    expect(answeredAt - killedAt).toBeLessThanOrEqual(timingOf.leaseMs + 1000 + timingOf.workMs + attempts.length * REQUEST_OVERHEAD_MS);

    expect(await catalog.stockOf(product)).toBe(7); // reserved once, not twice
    expect(await ordersOf(token)).toHaveLength(1);
    expect((await call(a, 'GET', '/cart', { token })).json().lines).toEqual([]);
    const replay = await call(a, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
    expect(replay.body).toBe(last.body);
    expect(replayed(replay)).toBe(true);
  });
});

describe('an owner that hangs in the middle of a checkout', { tags: ['timing'] }, () => {
  it('stops renewing, loses the key to a retry on another replica, and its late completion is refused', async () => {
    const { token, product, key, gate, replica: stalling, reservation, answer: late } = await checkoutHeldAtReservation('cart-stalling', { stock: 10, priceCents: 300, quantity: 2 });
    // Alive but hung (a stalled event loop, a frozen VM): no heartbeat, no progress.
    stalling.child.kill('SIGSTOP');
    try {
      const { attempts, last } = await retryUntilAnswered(b, token, key);
      expect(attempts[0]?.answer.status).toBe(409);
      expect(last.status, last.body).toBe(201);
      expect(await catalog.stockOf(product)).toBe(8);
    } finally {
      stalling.child.kill('SIGCONT');
    }
    // The hung owner wakes up, gets catalog's answer for its old call, and tries to finish.
    await reservation.pass().catch(() => undefined);
    const lateAnswer = await late;
    expect(lateAnswer.status, lateAnswer.body).toBe(409);
    expect(lateAnswer.headers.get('retry-after')).not.toBeNull();
    await gate.close();

    // Exactly one order, stock taken once, and the key answers with that order.
    expect(await ordersOf(token)).toHaveLength(1);
    expect(await catalog.stockOf(product)).toBe(8);
    const replay = await call(a, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replayed(replay)).toBe(true);
  });
});
