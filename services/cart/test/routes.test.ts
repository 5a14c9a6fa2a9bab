// Every cart route and error path through app.inject, against real Postgres, Redis, auth and
// catalog — once with the shared store and once with the in-memory demonstration store, which
// must follow the same rules. Each test signs up its own users, so reruns never collide.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startTestCatalog, type TestCatalog } from '@anypod/catalog/testing';
import { documentedPaths } from '@anypod/platform/testing/app-surface';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../src/lib/idempotency.ts';
import { orderIdFor, reservationIdFor } from '../src/lib/order-ids.ts';
import { MAX_CART_LINES, type Order } from '../src/schemas/cart.ts';
import { cartErrors, type CheckoutClaim } from '../src/stores/cart-store.ts';
import { isConfirmation, startCatalogGate } from './catalog-gate.ts';
import { auth, buildCart, newKey } from './helper.ts';

let authService: TestAuth;
let catalog: TestCatalog;

beforeAll(async () => {
  authService = await startTestAuth();
  catalog = await startTestCatalog({ jwksUrl: authService.jwksUrl });
});
afterAll(async () => {
  await Promise.all([catalog?.stop(), authService?.stop()]);
});

describe.each(['shared', 'memory'] as const)('STATE_STORE=%s', (mode) => {
  let app: FastifyInstance;
  let appWithoutCatalog: FastifyInstance;

  beforeAll(async () => {
    // The default timings: every recovery path here is driven by the test, never waited for.
    const env = { AUTH_JWKS_URL: authService.jwksUrl, STATE_STORE: mode };
    app = await buildCart({ ...env, CATALOG_URL: catalog.url });
    // Port 9 (discard) has no listener here: catalog is "unreachable", refused at once.
    appWithoutCatalog = await buildCart({ ...env, CATALOG_URL: 'http://127.0.0.1:9', POD_NAME: 'cart-no-catalog' });
  });
  afterAll(async () => {
    await Promise.all([app?.close(), appWithoutCatalog?.close()]);
  });

  const user = () => authService.user();

  function add(token: string, body: unknown, key: string | null = newKey(), target = app) {
    return target.inject({ method: 'POST', url: '/cart/items', headers: auth(token, key === null ? {} : { 'idempotency-key': key }), payload: body as object });
  }
  const getCart = (token: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/cart', headers: auth(token, headers) });
  const patch = (token: string, productId: string, body: unknown, headers: Record<string, string>) =>
    app.inject({ method: 'PATCH', url: `/cart/items/${productId}`, headers: auth(token, headers), payload: body as object });
  const remove = (token: string, productId: string, headers: Record<string, string>) => app.inject({ method: 'DELETE', url: `/cart/items/${productId}`, headers: auth(token, headers) });
  const checkout = (token: string, key: string | null, target = app) =>
    target.inject({ method: 'POST', url: '/cart/checkout', headers: auth(token, key === null ? {} : { 'idempotency-key': key }) });

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> }, status: number) {
    expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status });
  }

  describe('authentication', () => {
    it('answers 401 problem+json on every route without a bearer token', async () => {
      const routes: Array<[string, string]> = [
        ['GET', '/cart'],
        ['POST', '/cart/items'],
        ['PATCH', '/cart/items/some-product'],
        ['DELETE', '/cart/items/some-product'],
        ['POST', '/cart/checkout'],
        ['GET', '/cart/orders'],
        ['GET', `/cart/orders/${orderIdFor('u', 'k')}`],
      ];
      for (const [method, url] of routes) {
        const res = await app.inject({ method: method as 'GET', url, headers: { 'idempotency-key': newKey() } });
        expectProblem(res, 401);
        expect(res.headers['www-authenticate']).toContain('Bearer');
      }
      expectProblem(await getCart('not-a-token'), 401);
    });
  });

  describe('GET /cart', () => {
    it('gives a user with no cart an empty cart, version 0, with a strong ETag and 304 on a match', async () => {
      const { accessToken: token } = await user();
      const res = await getCart(token);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ lines: [], version: 0, updatedAt: null });
      expect(res.headers.etag).toBe('"v0"');
      expect(res.headers['x-served-by']).toBe('cart-test');
      const again = await getCart(token, { 'if-none-match': '"v0"' });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
    });
  });

  describe('POST /cart/items', () => {
    it('requires an Idempotency-Key and names it in the 400', async () => {
      const { accessToken: token } = await user();
      const missing = await add(token, { productId: 'a-product', quantity: 1 }, null);
      expectProblem(missing, 400);
      expect(missing.json().errors[0].field).toBe('idempotency-key');
      expect(missing.json().detail).toContain('idempotency-key');
      for (const bad of ['short', 'x'.repeat(129), 'has space!', 'semi;colon-key', '"unterminated-key']) {
        const res = await add(token, { productId: 'a-product', quantity: 1 }, bad);
        expectProblem(res, 400);
        expect(res.json().errors[0].field).toBe('idempotency-key');
      }
    });

    it('validates the product id and the quantity', async () => {
      const { accessToken: token } = await user();
      for (const body of [{ productId: 'UPPER', quantity: 1 }, { productId: 'a'.repeat(65), quantity: 1 }, { productId: 'ok', quantity: 0 }, { productId: 'ok', quantity: 101 }, { productId: 'ok' }]) {
        expectProblem(await add(token, body), 400);
      }
    });

    it('adds, bumps the version and ETag, and adds up repeated products (adds commute)', async () => {
      const { accessToken: token } = await user();
      const first = await add(token, { productId: 'apple', quantity: 2 });
      expect(first.statusCode).toBe(200);
      expect(first.headers.etag).toBe('"v1"');
      expect(first.json()).toMatchObject({ lines: [{ productId: 'apple', quantity: 2 }], version: 1 });
      await add(token, { productId: 'pear', quantity: 1 });
      const third = await add(token, { productId: 'apple', quantity: 3 });
      expect(third.json().lines).toEqual([{ productId: 'apple', quantity: 5 }, { productId: 'pear', quantity: 1 }]);
      expect(third.json().version).toBe(3);
      const read = await getCart(token);
      expect(read.json()).toEqual(third.json());
      expect(read.headers.etag).toBe('"v3"');
    });

    it('replays the same key and body byte for byte, marked Idempotent-Replayed, without adding again', async () => {
      const { accessToken: token } = await user();
      const key = newKey();
      const first = await add(token, { productId: 'plum', quantity: 4 }, key);
      await add(token, { productId: 'kiwi', quantity: 1 }); // the cart moves on in between
      // Same request, keys in another order, the key in its structured-field (quoted) form.
      const replay = await add(token, { quantity: 4, productId: 'plum' }, `"${key}"`);
      expect(replay.statusCode).toBe(200);
      expect(replay.body).toBe(first.body);
      expect(replay.headers.etag).toBe(first.headers.etag);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect((await getCart(token)).json().lines).toEqual([{ productId: 'plum', quantity: 4 }, { productId: 'kiwi', quantity: 1 }]);
    });

    it('answers 422 when a key is reused with another body, and scopes keys per user', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const key = newKey();
      expect((await add(alice.accessToken, { productId: 'fig', quantity: 1 }, key)).statusCode).toBe(200);
      expectProblem(await add(alice.accessToken, { productId: 'fig', quantity: 2 }, key), 422);
      // Another user's identical key is another key.
      const bobs = await add(bob.accessToken, { productId: 'fig', quantity: 2 }, key);
      expect(bobs.statusCode).toBe(200);
      expect(bobs.json().lines).toEqual([{ productId: 'fig', quantity: 2 }]);
      expect((await getCart(alice.accessToken)).json().lines).toEqual([{ productId: 'fig', quantity: 1 }]);
    });

    it('answers 409 when a line would exceed its bound, changing nothing', async () => {
      const { accessToken: token } = await user();
      for (let i = 0; i < 10; i++) expect((await add(token, { productId: 'bulk', quantity: 100 })).statusCode).toBe(200);
      expectProblem(await add(token, { productId: 'bulk', quantity: 1 }), 409);
      expect((await getCart(token)).json()).toMatchObject({ lines: [{ productId: 'bulk', quantity: 1000 }], version: 10 });
    });

    it('answers 409 when a new line would pass the cart’s line limit, changing nothing and keeping the key free', async () => {
      const { accessToken: token } = await user();
      for (let i = 0; i < MAX_CART_LINES; i++) expect((await add(token, { productId: `line-${i}`, quantity: 1 })).statusCode).toBe(200);
      const key = newKey();
      expectProblem(await add(token, { productId: 'one-too-many', quantity: 1 }, key), 409);
      const cart = (await getCart(token)).json();
      expect(cart.lines).toHaveLength(MAX_CART_LINES);
      expect(cart.version).toBe(MAX_CART_LINES);
      // The refused key was not recorded (a recorded one would answer another request with 422),
      // and adding to a line the cart already has is still fine.
      expect((await add(token, { productId: 'line-0', quantity: 1 }, key)).statusCode).toBe(200);
    });
  });

  describe('PATCH and DELETE /cart/items/:productId', () => {
    it('require If-Match (428), refuse a stale one (412 with the current ETag) and apply a current one', async () => {
      const { accessToken: token } = await user();
      await add(token, { productId: 'melon', quantity: 1 });
      await add(token, { productId: 'lime', quantity: 1 });
      expectProblem(await patch(token, 'melon', { quantity: 3 }, {}), 428);
      expectProblem(await patch(token, 'melon', { quantity: 3 }, { 'if-match': '*' }), 428);
      expectProblem(await remove(token, 'melon', {}), 428);

      const stale = await patch(token, 'melon', { quantity: 3 }, { 'if-match': '"v1"' });
      expectProblem(stale, 412);
      expect(stale.headers.etag).toBe('"v2"');
      expectProblem(await remove(token, 'melon', { 'if-match': 'W/"v2"' }), 412); // weak tags never match If-Match

      const changed = await patch(token, 'melon', { quantity: 3 }, { 'if-match': '"v2"' });
      expect(changed.statusCode).toBe(200);
      expect(changed.headers.etag).toBe('"v3"');
      expect(changed.json().lines).toEqual([{ productId: 'melon', quantity: 3 }, { productId: 'lime', quantity: 1 }]);

      const removed = await remove(token, 'lime', { 'if-match': '"v1", "v3"' });
      expect(removed.statusCode).toBe(200);
      expect(removed.json()).toMatchObject({ lines: [{ productId: 'melon', quantity: 3 }], version: 4 });
    });

    it('answer 404 for a line not in the cart without changing the version, and validate the body', async () => {
      const { accessToken: token } = await user();
      expectProblem(await patch(token, 'ghost', { quantity: 1 }, { 'if-match': '"v0"' }), 404);
      await add(token, { productId: 'grape', quantity: 1 });
      expectProblem(await patch(token, 'ghost', { quantity: 1 }, { 'if-match': '"v1"' }), 404);
      expectProblem(await remove(token, 'ghost', { 'if-match': '"v1"' }), 404);
      expect((await getCart(token)).headers.etag).toBe('"v1"');
      expectProblem(await patch(token, 'grape', { quantity: 0 }, { 'if-match': '"v1"' }), 400);
      expectProblem(await patch(token, 'Bad_Id', { quantity: 1 }, { 'if-match': '"v1"' }), 400);
    });

    it('replay an edit sent again with its Idempotency-Key instead of answering 412', async () => {
      const { accessToken: token } = await user();
      await add(token, { productId: 'cherry', quantity: 1 });
      const key = newKey();
      const first = await patch(token, 'cherry', { quantity: 7 }, { 'if-match': '"v1"', 'idempotency-key': key });
      expect(first.statusCode).toBe(200);
      // The version is now 2, so without the key this retry would be stale.
      const retry = await patch(token, 'cherry', { quantity: 7 }, { 'if-match': '"v1"', 'idempotency-key': key });
      expect(retry.statusCode).toBe(200);
      expect(retry.body).toBe(first.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expectProblem(await remove(token, 'cherry', { 'if-match': '"v2"', 'idempotency-key': key }), 422);
      const deleteKey = newKey();
      const deleted = await remove(token, 'cherry', { 'if-match': '"v2"', 'idempotency-key': deleteKey });
      expect(deleted.json()).toMatchObject({ lines: [], version: 3 });
      expect((await remove(token, 'cherry', { 'if-match': '"v2"', 'idempotency-key': deleteKey })).body).toBe(deleted.body);
    });
  });

  describe('POST /cart/checkout', () => {
    it('requires an Idempotency-Key and refuses an empty cart with 409, recording nothing', async () => {
      const { accessToken: token } = await user();
      expectProblem(await checkout(token, null), 400);
      const key = newKey();
      const empty = await checkout(token, key);
      expectProblem(empty, 409);
      expect(empty.json().detail).toContain('empty');
      // Nothing was recorded under the key: once the cart has something, the same key checks out.
      const product = await catalog.product();
      await add(token, { productId: product, quantity: 1 });
      expect((await checkout(token, key)).statusCode).toBe(201);
    });

    it('orders with catalog prices, reserves stock once, empties the cart, and replays byte for byte', async () => {
      const { accessToken: token } = await user();
      const [cheap, dear] = [await catalog.product({ stock: 10, priceCents: 250 }), await catalog.product({ stock: 5, priceCents: 9999 })];
      await add(token, { productId: dear, quantity: 2 });
      await add(token, { productId: cheap, quantity: 3 });
      const key = newKey();
      const res = await checkout(token, key);
      expect(res.statusCode, res.body).toBe(201);
      const order = res.json();
      expect(order.id).toBe(orderIdFor(JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).sub, key));
      expect(res.headers.location).toBe(`/cart/orders/${order.id}`);
      expect(order.lines).toEqual(
        [{ productId: cheap, quantity: 3, unitPriceCents: 250 }, { productId: dear, quantity: 2, unitPriceCents: 9999 }].sort((a, b) => (a.productId < b.productId ? -1 : 1)),
      );
      expect(order.totalCents).toBe(3 * 250 + 2 * 9999);
      expect(await catalog.stockOf(cheap)).toBe(7);
      expect(await catalog.stockOf(dear)).toBe(3);
      expect((await getCart(token)).json()).toMatchObject({ lines: [], version: 3 });

      const replay = await checkout(token, key);
      expect(replay.statusCode).toBe(201);
      expect(replay.body).toBe(res.body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe(res.headers.location);
      expect(await catalog.stockOf(cheap)).toBe(7);

      // A key already used for an add is another request: 422.
      const addKey = newKey();
      await add(token, { productId: cheap, quantity: 1 }, addKey);
      expectProblem(await checkout(token, addKey), 422);
    });

    it('records "not enough stock" as the outcome (409, replayed) and takes no stock', async () => {
      const { accessToken: token } = await user();
      const scarce = await catalog.product({ stock: 2 });
      await add(token, { productId: scarce, quantity: 3 });
      const key = newKey();
      const refused = await checkout(token, key);
      expectProblem(refused, 409);
      expect(refused.json().detail).toContain('Not enough stock');
      const again = await checkout(token, key);
      expect(again.body).toBe(refused.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await catalog.stockOf(scarce)).toBe(2);
      expect((await getCart(token)).json().lines).toEqual([{ productId: scarce, quantity: 3 }]);
    });

    it('answers 503 with Retry-After when catalog is unreachable, recording nothing; the same key then succeeds once', async () => {
      const { accessToken: token } = await user();
      const product = await catalog.product({ stock: 9 });
      const key = newKey();
      const down = async () => {
        const res = await checkout(token, key, appWithoutCatalog);
        expectProblem(res, 503);
        expect(res.headers['retry-after']).toBe('1');
      };
      await add(token, { productId: product, quantity: 4 }, newKey(), appWithoutCatalog);
      await down();
      await down(); // not a replay, not "in flight": the lease was released at once
      expect((await appWithoutCatalog.inject({ method: 'GET', url: '/cart/orders', headers: auth(token) })).json().orders).toEqual([]);
      if (mode === 'shared') {
        // Any replica that reaches catalog finishes the checkout under the same key.
        await add(token, { productId: product, quantity: 1 }); // the cart changes meanwhile…
        const ok = await checkout(token, key);
        expect(ok.statusCode).toBe(201);
        expect(ok.json().lines).toEqual([{ productId: product, quantity: 4, unitPriceCents: 1250 }]); // …the order is what was claimed
        expect(await catalog.stockOf(product)).toBe(5);
        expect((await getCart(token)).json().lines).toEqual([{ productId: product, quantity: 1 }]);
      }
    });

    it('answers 409 with Retry-After sized to the lease left while another attempt holds the key, and takes over once it lapses', async () => {
      const { id, accessToken: token } = await user();
      const product = await catalog.product({ stock: 6 });
      await add(token, { productId: product, quantity: 2 });
      const key = newKey();
      // Another replica claimed this checkout (its lease has 59.5 s left) and died before finishing.
      const fingerprint = requestFingerprint('POST', '/cart/checkout', {}, undefined);
      const claimedAt = Date.now();
      const claim = await app.cartStore.claimCheckout(id, { key, fingerprint }, 59_500);
      if (claim.kind !== 'owned') throw new Error('expected to own the checkout');
      const busy = await checkout(token, key);
      const leftAtMost = 59_500;
      const leftAtLeast = 59_500 - (Date.now() - claimedAt);
      expectProblem(busy, 409);
      // Whole seconds, rounded up: never earlier than the lease lapses, never later than a second after.
      const retryAfterMs = Number(busy.headers['retry-after']) * 1000;
      expect(retryAfterMs).toBeGreaterThanOrEqual(leftAtLeast);
      expect(retryAfterMs).toBeLessThan(leftAtMost + 1000);
      // Its last heartbeat is long past: the lease lapses (renewing for 0 ms is exactly that).
      expect(await app.cartStore.renewLease(id, key, claim.leaseToken, 0)).toBe(true);
      const done = await checkout(token, key);
      expect(done.statusCode, done.body).toBe(201);
      expect(await catalog.stockOf(product)).toBe(4);
      // The dead owner can no longer renew: its token is not the one on the key.
      expect(await app.cartStore.renewLease(id, key, claim.leaseToken, 3500)).toBe(false);
    });
  });

  describe('a checkout that resumes after the cart changed under it', () => {
    const checkoutFingerprint = requestFingerprint('POST', '/cart/checkout', {}, undefined);
    const orders = async (token: string) => (await app.inject({ method: 'GET', url: '/cart/orders', headers: auth(token) })).json().orders as Order[];
    /**
     * What an attempt that claimed `key` and then died holds: an owned claim — and, when `got`
     * says so, the stock catalog reserved (or reserved and confirmed) for it before it died.
     * `resume` lets its lease lapse and retries.
     */
    async function claimAndDie(userId: string, key: string, got?: { token: string; stock: 'reserved' | 'confirmed' }): Promise<Extract<CheckoutClaim, { kind: 'owned' }>> {
      const claim = await app.cartStore.claimCheckout(userId, { key, fingerprint: checkoutFingerprint }, 60_000);
      if (claim.kind !== 'owned') throw new Error(`expected to own the checkout, got ${claim.kind}`);
      if (got) {
        const reservationId = reservationIdFor(orderIdFor(userId, key));
        await app.catalog.reserveStock({ reservationId, lines: claim.lines, holdSeconds: 60 }, `Bearer ${got.token}`);
        if (got.stock === 'confirmed') await app.catalog.confirmReservation(reservationId, `Bearer ${got.token}`);
      }
      return claim;
    }
    /** A user whose cart holds `quantity` of a fresh product (`stock` in stock) and whose checkout (`key`) claimed it and died, holding what `stock` says. */
    async function cartOfDeadCheckout(opts: { stock: number; quantity: number; got?: 'reserved' | 'confirmed' }) {
      const { id, accessToken: token } = await user();
      const product = await catalog.product({ stock: opts.stock });
      await add(token, { productId: product, quantity: opts.quantity });
      const key = newKey();
      const claim = await claimAndDie(id, key, opts.got ? { token, stock: opts.got } : undefined);
      return { id, token, product, key, claim };
    }
    /** The client's retry once the dead owner's lease has lapsed: it takes over from the recovery point. */
    async function resume(userId: string, token: string, key: string, claim: Extract<CheckoutClaim, { kind: 'owned' }>) {
      await app.cartStore.renewLease(userId, key, claim.leaseToken, 0);
      return checkout(token, key);
    }

    it('orders nothing when another checkout already ordered its lines, records the 409 and releases its stock', async () => {
      // K1 claims (snapshot: 2 units) and catalog reserves for it; then its replica dies.
      const { id, token, product, key: k1, claim } = await cartOfDeadCheckout({ stock: 10, quantity: 2, got: 'reserved' });
      expect(claim.lines).toEqual([{ productId: product, quantity: 2 }]);
      expect(await catalog.stockOf(product)).toBe(8);
      // The user checks out again with a new key: that order takes the lines.
      const k2 = newKey();
      const second = await checkout(token, k2);
      expect(second.statusCode, second.body).toBe(201);
      expect((await getCart(token)).json().lines).toEqual([]);
      expect(await catalog.stockOf(product)).toBe(6);

      // K1 resumes from its snapshot: the cart no longer holds its lines, so it must not order them again.
      const resumed = await resume(id, token, k1, claim);
      expectProblem(resumed, 409);
      expect(resumed.json().detail).toBe(cartErrors.cartChanged);
      const placed = await orders(token);
      expect(placed.map((o) => o.id)).toEqual([orderIdFor(id, k2)]);
      expect(placed.reduce((sum, o) => sum + o.lines.reduce((n, l) => n + l.quantity, 0), 0)).toBe(2); // added 2, ordered 2
      expect((await getCart(token)).json().lines).toEqual([]);
      // K1's reservation went back on sale: only K2's 2 units are sold.
      expect(await catalog.stockOf(product)).toBe(8);

      // A retry of K1 replays the recorded 409; it never becomes an order.
      const retry = await checkout(token, k1);
      expectProblem(retry, 409);
      expect(retry.body).toBe(resumed.body);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await orders(token)).toHaveLength(1);
      expect(await catalog.stockOf(product)).toBe(8);
    });

    it('orders nothing when the user lowered a quantity while the checkout was in flight (409, recorded, stock released)', async () => {
      const { id, token, product, key, claim } = await cartOfDeadCheckout({ stock: 50, quantity: 3 });
      expect((await patch(token, product, { quantity: 1 }, { 'if-match': '"v1"' })).statusCode).toBe(200);

      const resumed = await resume(id, token, key, claim);
      expectProblem(resumed, 409);
      expect(await orders(token)).toEqual([]);
      expect((await getCart(token)).json()).toMatchObject({ lines: [{ productId: product, quantity: 1 }], version: 2 });
      expect(await catalog.stockOf(product)).toBe(50);
      const retry = await checkout(token, key);
      expectProblem(retry, 409);
      expect(retry.json().detail).toBe(cartErrors.cartChanged);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(await orders(token)).toEqual([]);
    });

    it('still orders the claimed lines when the user only added to the cart meanwhile', async () => {
      const { id, accessToken: token } = await user();
      const [product, other] = [await catalog.product(), await catalog.product()];
      await add(token, { productId: product, quantity: 2 });
      const key = newKey();
      const claim = await claimAndDie(id, key);
      await add(token, { productId: product, quantity: 1 });
      await add(token, { productId: other, quantity: 1 });

      const resumed = await resume(id, token, key, claim);
      expect(resumed.statusCode, resumed.body).toBe(201);
      expect(resumed.json().lines).toEqual([{ productId: product, quantity: 2, unitPriceCents: 1250 }]);
      expect((await getCart(token)).json().lines).toEqual([{ productId: product, quantity: 1 }, { productId: other, quantity: 1 }]);
      expect(await orders(token)).toHaveLength(1);
      expect(await catalog.stockOf(product)).toBe(98);
    });

    it('completes the order when the owner that died had already confirmed its stock', async () => {
      // The dead owner got as far as confirming: the stock is sold, the order not yet written.
      const { id, token, product, key, claim } = await cartOfDeadCheckout({ stock: 10, quantity: 3, got: 'confirmed' });
      const resumed = await resume(id, token, key, claim);
      expect(resumed.statusCode, resumed.body).toBe(201);
      expect(await orders(token)).toHaveLength(1);
      expect(await catalog.stockOf(product)).toBe(7);
    });

    it('releases stock its dead owner had already confirmed when the cart changed meanwhile', async () => {
      const { id, token, product, key, claim } = await cartOfDeadCheckout({ stock: 10, quantity: 3, got: 'confirmed' });
      expect((await remove(token, product, { 'if-match': '"v1"' })).statusCode).toBe(200);
      const resumed = await resume(id, token, key, claim);
      expectProblem(resumed, 409);
      expect(resumed.json().detail).toBe(cartErrors.cartChanged);
      expect(await orders(token)).toEqual([]);
      expect(await catalog.stockOf(product)).toBe(10);
    });

    it('takes the stock anew when the dead owner’s reservation was returned before the retry came', async () => {
      const { id, token, product, key, claim } = await cartOfDeadCheckout({ stock: 10, quantity: 4, got: 'reserved' });
      // Catalog gives the dead owner's stock back — what expiry does to it.
      await app.catalog.releaseReservation(reservationIdFor(orderIdFor(id, key)), `Bearer ${token}`);
      expect(await catalog.stockOf(product)).toBe(10);
      // A retry takes over: its reserve takes the stock anew, so an expiry never strands a retry.
      const resumed = await resume(id, token, key, claim);
      expect(resumed.statusCode, resumed.body).toBe(201);
      expect(await catalog.stockOf(product)).toBe(6);
    });
  });

  describe('a checkout whose stock expires while it runs', () => {
    it('records the confirm catalog refuses as its outcome: 409, nothing ordered, the stock back on sale', async () => {
      const { accessToken: token } = await user();
      const product = await catalog.product({ stock: 10 });
      const gate = await startCatalogGate(catalog.url);
      // Its own replica, whose catalog calls pass the gate (with STATE_STORE=memory, its own carts).
      const gated = await buildCart({ AUTH_JWKS_URL: authService.jwksUrl, STATE_STORE: mode, CATALOG_URL: gate.url, POD_NAME: 'cart-gated' });
      try {
        await add(token, { productId: product, quantity: 4 }, newKey(), gated);
        const confirming = gate.arm(isConfirmation);
        const answer = checkout(token, newKey(), gated);
        // (A checkout that answers without ever confirming fails here at once, not by a timeout.)
        const held = await Promise.race([confirming, answer.then((r) => Promise.reject(new Error(`checkout answered ${r.statusCode} before confirming: ${r.body}`)))]);
        expect(await catalog.stockOf(product)).toBe(6);
        // The owner is slow to confirm, and the reservation goes meanwhile (what expiry does).
        const reservationId = decodeURIComponent(held.path.split('/')[4] as string);
        await gated.catalog.releaseReservation(reservationId, `Bearer ${token}`);
        expect(await catalog.stockOf(product)).toBe(10);
        expect((await held.pass()).status).toBe(409);
        const res = await answer;
        expectProblem(res, 409);
        expect(res.json().detail).toBe(cartErrors.reservationExpired);
        expect((await gated.inject({ method: 'GET', url: '/cart/orders', headers: auth(token) })).json().orders).toEqual([]);
        expect(await catalog.stockOf(product)).toBe(10);
        // The cart is untouched: the user checks out again with a new key.
        expect((await gated.inject({ method: 'GET', url: '/cart', headers: auth(token) })).json().lines).toEqual([{ productId: product, quantity: 4 }]);
        const again = await checkout(token, newKey(), gated);
        expect(again.statusCode, again.body).toBe(201);
        expect(await catalog.stockOf(product)).toBe(6);
      } finally {
        await gated.close();
        await gate.close();
      }
    });
  });

  describe('orders', () => {
    it('lists the user’s orders newest first and hides other users’ orders (404)', async () => {
      const [alice, bob] = await Promise.all([user(), user()]);
      const product = await catalog.product();
      const ids: string[] = [];
      for (const quantity of [1, 2]) {
        await add(alice.accessToken, { productId: product, quantity });
        const res = await checkout(alice.accessToken, newKey());
        ids.push(res.json().id);
      }
      const list = await app.inject({ method: 'GET', url: '/cart/orders', headers: auth(alice.accessToken) });
      expect(list.statusCode).toBe(200);
      expect(list.json().orders.map((o: { id: string }) => o.id)).toEqual([ids[1], ids[0]]);
      expect(list.json().orders[1]).toMatchObject({ lines: [{ productId: product, quantity: 1, unitPriceCents: 1250 }], totalCents: 1250 });
      const limited = await app.inject({ method: 'GET', url: '/cart/orders?limit=1', headers: auth(alice.accessToken) });
      expect(limited.json().orders).toHaveLength(1);

      const mine = await app.inject({ method: 'GET', url: `/cart/orders/${ids[0]}`, headers: auth(alice.accessToken) });
      expect(mine.statusCode).toBe(200);
      expect(mine.json()).toEqual(list.json().orders[1]);
      expectProblem(await app.inject({ method: 'GET', url: `/cart/orders/${ids[0]}`, headers: auth(bob.accessToken) }), 404);
      expect((await app.inject({ method: 'GET', url: '/cart/orders', headers: auth(bob.accessToken) })).json().orders).toEqual([]);
      expectProblem(await app.inject({ method: 'GET', url: '/cart/orders/not-a-uuid', headers: auth(alice.accessToken) }), 400);
    });
  });

  describe('service surface', () => {
    it('serves its OpenAPI document with every public route', async () => {
      expect(await documentedPaths(app, 'cart')).toEqual(['/cart', '/cart/checkout', '/cart/items', '/cart/items/{productId}', '/cart/orders', '/cart/orders/{id}']);
    });

    it('is ready with Postgres (critical) and Redis checks', async () => {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    });
  });
});

describe('verifying tokens against auth’s published keys', () => {
  it('answers 503 + Retry-After when the keys cannot be fetched (the token may be valid: no reason to sign out)', async () => {
    const { accessToken: token } = await authService.user();
    // Port 9 (discard) has no listener: auth's JWKS cannot be fetched.
    const cut = await buildCart({ AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json', CATALOG_URL: catalog.url, POD_NAME: 'cart-no-jwks' });
    try {
      const res = await cut.inject({ method: 'GET', url: '/cart', headers: auth(token) });
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await cut.close();
    }
  });

  it('answers 401 for a token signed with a key auth does not publish', async () => {
    const app = await buildCart({ AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: catalog.url, POD_NAME: 'cart-forged' });
    try {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const now = Math.floor(Date.now() / 1000);
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${part({ alg: 'ES256', typ: 'at+jwt', kid: 'k'.repeat(43) })}.${part({ sub: 'someone', role: 'user', jti: randomUUID(), sid: 's', iss: 'anypod-auth', aud: 'anypod', iat: now, exp: now + 60 })}`;
      const signature = sign('sha256', Buffer.from(unsigned), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      const res = await app.inject({ method: 'GET', url: '/cart', headers: auth(`${unsigned}.${signature}`) });
      expect(res.statusCode, res.body).toBe(401);
    } finally {
      await app.close();
    }
  });
});
