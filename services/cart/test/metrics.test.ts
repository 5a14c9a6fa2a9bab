// Cart's /metrics, read after real requests against real Postgres, Redis, auth and catalog: cart
// writes by operation and outcome, what each Idempotency-Key decided (with both stores), every
// outcome of a call to catalog — the real one refusing, nothing listening, a gate answering 502
// and one holding the call past its timeout — with retries counted, a session moving between two
// replicas, and the naming rules.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startTestCatalog, type TestCatalog } from '@anypod/catalog/testing';
import { changes, namingProblems, sampleValue, waitForChanges } from '@anypod/platform/testing/metric-exposition';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../src/lib/idempotency.ts';
import { isReservation, startCatalogGate, type CatalogGate } from './catalog-gate.ts';
import { auth, buildCart, newKey } from './helper.ts';

const WRITES = 'anypod_cart_writes_total';
const IDEMPOTENCY = 'anypod_idempotency_requests_total';
const CALLS = 'anypod_catalog_calls_total';
const CALL_COUNT = 'anypod_catalog_call_duration_seconds_count';
const TOKENS = 'anypod_token_verifications_total';
const SESSIONS = 'anypod_session_requests_total';

let authService: TestAuth;
let catalog: TestCatalog;
const gates: CatalogGate[] = [];
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  authService = await startTestAuth();
  catalog = await startTestCatalog({ jwksUrl: authService.jwksUrl });
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await Promise.all(gates.map((gate) => gate.close()));
  await Promise.all([catalog?.stop(), authService?.stop()]);
});

async function cart(env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await buildCart({ AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: catalog.url, ...env });
  apps.push(app);
  return app;
}

const scrape = async (app: FastifyInstance) => (await app.inject('/metrics')).body;

/** What `act` moved in each of these series of `app`'s metrics (only those that moved). */
async function moved(app: FastifyInstance, names: string[], act: () => Promise<unknown>): Promise<Record<string, Record<string, number>>> {
  const before = await scrape(app);
  await act();
  const after = await scrape(app);
  return Object.fromEntries(names.map((name) => [name, changes(before, after, name)]));
}

function client(app: FastifyInstance, token: string) {
  return {
    add: (key: string | null, body: object = { productId: 'none', quantity: 1 }) =>
      app.inject({ method: 'POST', url: '/cart/items', headers: auth(token, key ? { 'idempotency-key': key } : {}), payload: body }),
    read: () => app.inject({ method: 'GET', url: '/cart', headers: auth(token) }),
    setQuantity: (productId: string, quantity: number, headers: Record<string, string>) =>
      app.inject({ method: 'PATCH', url: `/cart/items/${productId}`, headers: auth(token, headers), payload: { quantity } }),
    remove: (productId: string, headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/cart/items/${productId}`, headers: auth(token, headers) }),
    checkout: (key: string) => app.inject({ method: 'POST', url: '/cart/checkout', headers: auth(token, { 'idempotency-key': key }) }),
  };
}

const expectStatus = (res: { statusCode: number; body: string }, status: number) => expect(res.statusCode, res.body).toBe(status);

describe('cart writes', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await cart({ POD_NAME: 'cart-metrics' });
  });

  it('are counted by operation and outcome, whatever answered them', async () => {
    const user = await authService.user();
    const product = await catalog.product({ stock: 100 });
    const c = client(app, user.accessToken);
    const write = async (act: () => Promise<{ statusCode: number; body: string }>, status: number) => (await moved(app, [WRITES], async () => expectStatus(await act(), status)))[WRITES];

    expect(await write(() => c.add(newKey(), { productId: product, quantity: 2 }), 200)).toEqual({ 'operation=add_item,outcome=ok': 1 });
    expect(await write(() => c.add(newKey(), { productId: product, quantity: 0 }), 400)).toEqual({ 'operation=add_item,outcome=rejected': 1 });
    expect(await write(() => app.inject({ method: 'POST', url: '/cart/items', headers: { 'idempotency-key': newKey() }, payload: { productId: product, quantity: 1 } }), 401)).toEqual({
      'operation=add_item,outcome=rejected': 1,
    });
    expect(await write(() => c.setQuantity(product, 3, {}), 428)).toEqual({ 'operation=set_quantity,outcome=rejected': 1 });
    let etag = (await c.read()).headers.etag as string;
    expect(await write(() => c.setQuantity(product, 3, { 'if-match': etag }), 200)).toEqual({ 'operation=set_quantity,outcome=ok': 1 });
    expect(await write(() => c.remove(product, { 'if-match': etag }), 412)).toEqual({ 'operation=remove_item,outcome=rejected': 1 });
    etag = (await c.read()).headers.etag as string;
    expect(await write(() => c.remove(product, { 'if-match': etag }), 200)).toEqual({ 'operation=remove_item,outcome=ok': 1 });
    expect(await write(() => c.checkout(newKey()), 409)).toEqual({ 'operation=checkout,outcome=rejected': 1 }); // empty cart
    expectStatus(await c.add(newKey(), { productId: product, quantity: 1 }), 200);
    expect(await write(() => c.checkout(newKey()), 201)).toEqual({ 'operation=checkout,outcome=ok': 1 });
    // A read is not a write.
    expect(await write(() => c.read(), 200)).toEqual({});
  });

  it('count a missing token under its reason', async () => {
    const counted = await moved(app, [TOKENS], () => app.inject({ method: 'GET', url: '/cart' }));
    expect(counted[TOKENS]).toEqual({ 'result=rejected,reason=missing': 1 });
  });
});

describe.each(['shared', 'memory'] as const)('Idempotency-Keys with STATE_STORE=%s', (mode) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await cart({ POD_NAME: `cart-metrics-${mode}`, STATE_STORE: mode });
  });

  const idempotency = async (act: () => Promise<unknown>) => (await moved(app, [IDEMPOTENCY], act))[IDEMPOTENCY];

  it('count first, replay and conflict for adds; none for an edit without a key', async () => {
    const user = await authService.user();
    const product = await catalog.product();
    const c = client(app, user.accessToken);
    const key = newKey();
    expect(await idempotency(async () => expectStatus(await c.add(key, { productId: product, quantity: 1 }), 200))).toEqual({ 'result=first': 1 });
    expect(await idempotency(async () => expectStatus(await c.add(key, { productId: product, quantity: 1 }), 200))).toEqual({ 'result=replay': 1 });
    expect(await idempotency(async () => expectStatus(await c.add(key, { productId: product, quantity: 2 }), 422))).toEqual({ 'result=conflict': 1 });
    const etag = (await c.read()).headers.etag as string;
    expect(await idempotency(async () => expectStatus(await c.setQuantity(product, 5, { 'if-match': etag }), 200))).toEqual({});
  });

  it('count in_progress while another owner holds a checkout, takeover once its lease lapsed, then replay', async () => {
    const user = await authService.user();
    const product = await catalog.product();
    const c = client(app, user.accessToken);
    expectStatus(await c.add(newKey(), { productId: product, quantity: 1 }), 200);
    // Another replica claimed this checkout and died before finishing.
    const key = newKey();
    const claim = await app.cartStore.claimCheckout(user.id, { key, fingerprint: requestFingerprint('POST', '/cart/checkout', {}, undefined) }, 60_000);
    if (claim.kind !== 'owned') throw new Error('expected to own the checkout');

    expect(await idempotency(async () => expectStatus(await c.checkout(key), 409))).toEqual({ 'result=in_progress': 1 });
    await app.cartStore.renewLease(user.id, key, claim.leaseToken, 0); // its last heartbeat is long past
    expect(await idempotency(async () => expectStatus(await c.checkout(key), 201))).toEqual({ 'result=takeover': 1 });
    expect(await idempotency(async () => expectStatus(await c.checkout(key), 201))).toEqual({ 'result=replay': 1 });
  });
});

describe('calls to catalog', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await cart({ POD_NAME: 'cart-metrics-calls' });
  });

  /** A user with one line in the cart of `app`, ready to check out. */
  async function readyToCheckOut(app: FastifyInstance, quantity = 1, stock = 100) {
    const user = await authService.user();
    const c = client(app, user.accessToken);
    expectStatus(await c.add(newKey(), { productId: await catalog.product({ stock }), quantity }), 200);
    return c;
  }
  const checkoutMoves = async (app: FastifyInstance, status: number) => {
    const c = await readyToCheckOut(app);
    return moved(app, [CALLS, CALL_COUNT, WRITES], async () => expectStatus(await c.checkout(newKey()), status));
  };

  it('count ok for a reservation and its confirmation, each timed', async () => {
    expect(await checkoutMoves(app, 201)).toEqual({
      [CALLS]: { 'operation=reserve,outcome=ok': 1, 'operation=confirm,outcome=ok': 1 },
      [CALL_COUNT]: { 'operation=reserve': 1, 'operation=confirm': 1 },
      [WRITES]: { 'operation=checkout,outcome=ok': 1 },
    });
  });

  it('count client_error when catalog refuses (not enough stock): no retry, and the checkout is rejected', async () => {
    const c = await readyToCheckOut(app, 5, 1);
    expect(await moved(app, [CALLS, CALL_COUNT, WRITES], async () => expectStatus(await c.checkout(newKey()), 409))).toEqual({
      [CALLS]: { 'operation=reserve,outcome=client_error': 1 },
      [CALL_COUNT]: { 'operation=reserve': 1 },
      [WRITES]: { 'operation=checkout,outcome=rejected': 1 },
    });
  });

  it('count unavailable for every attempt when nothing listens, and the checkout as an error', async () => {
    // Port 9 (discard) has no listener here: every connection is refused at once; 2 retries.
    const unreachable = await cart({ POD_NAME: 'cart-metrics-unreachable', CATALOG_URL: 'http://127.0.0.1:9', CATALOG_RETRIES: '2' });
    expect(await checkoutMoves(unreachable, 503)).toEqual({
      [CALLS]: { 'operation=reserve,outcome=unavailable': 3 },
      [CALL_COUNT]: { 'operation=reserve': 3 },
      [WRITES]: { 'operation=checkout,outcome=error': 1 },
    });
  });

  it('count server_error for every 5xx answer', async () => {
    // A gate in front of nothing answers 502 to every call, as a proxy with no catalog behind it does.
    const gate = await startCatalogGate('http://127.0.0.1:9');
    gates.push(gate);
    const failing = await cart({ POD_NAME: 'cart-metrics-502', CATALOG_URL: gate.url, CATALOG_RETRIES: '1' });
    expect(await checkoutMoves(failing, 503)).toEqual({
      [CALLS]: { 'operation=reserve,outcome=server_error': 2 },
      [CALL_COUNT]: { 'operation=reserve': 2 },
      [WRITES]: { 'operation=checkout,outcome=error': 1 },
    });
  });

  it('count timeout for a call not answered within CATALOG_TIMEOUT_MS', async () => {
    const gate = await startCatalogGate(catalog.url);
    gates.push(gate);
    const slow = await cart({ POD_NAME: 'cart-metrics-slow', CATALOG_URL: gate.url, CATALOG_TIMEOUT_MS: '200', CATALOG_RETRIES: '0' });
    void gate.arm(isReservation); // held on arrival and never answered
    expect(await checkoutMoves(slow, 503)).toEqual({
      [CALLS]: { 'operation=reserve,outcome=timeout': 1 },
      [CALL_COUNT]: { 'operation=reserve': 1 },
      [WRITES]: { 'operation=checkout,outcome=error': 1 },
    });
  });
});

describe('one session on two replicas', () => {
  it('counts previous_pod=other where the previous request went to the other replica, same where it came back', async () => {
    const [one, two] = await Promise.all([cart({ POD_NAME: 'cart-metrics-one' }), cart({ POD_NAME: 'cart-metrics-two' })]);
    const user = await authService.user();
    const request = async (app: FastifyInstance, previous: string) => {
      const before = await scrape(app);
      expectStatus(await client(app, user.accessToken).read(), 200);
      await waitForChanges(() => scrape(app), before, SESSIONS, { [`previous_pod=${previous}`]: 1 });
    };
    await request(one, 'none');
    await request(two, 'other');
    await request(two, 'same');
    await request(one, 'other');
  });
});

describe('cart /metrics', () => {
  it('follows the naming rules, and has every series of its own families from the start', async () => {
    const fresh = await cart({ POD_NAME: 'cart-metrics-fresh' });
    const text = await scrape(fresh);
    expect(namingProblems(text)).toEqual([]);
    for (const operation of ['add_item', 'set_quantity', 'remove_item', 'checkout']) {
      for (const outcome of ['ok', 'rejected', 'error']) expect(sampleValue(text, WRITES, { operation, outcome })).toBe(0);
    }
    for (const operation of ['reserve', 'confirm', 'release']) {
      expect(sampleValue(text, CALL_COUNT, { operation })).toBe(0);
      for (const outcome of ['ok', 'client_error', 'server_error', 'timeout', 'unavailable']) expect(sampleValue(text, CALLS, { operation, outcome })).toBe(0);
    }
    for (const result of ['first', 'replay', 'conflict', 'takeover', 'in_progress']) expect(sampleValue(text, IDEMPOTENCY, { result })).toBe(0);
    for (const previous of ['same', 'other', 'none']) expect(sampleValue(text, SESSIONS, { previous_pod: previous })).toBe(0);
    expect(sampleValue(text, 'http_requests_total', { method: 'POST', route: '/cart/checkout', status_class: '5xx' })).toBe(0);
    // After all the traffic above, still within the rules (route templates, bounded values).
    for (const app of apps) expect(namingProblems(await scrape(app))).toEqual([]);
  });
});
