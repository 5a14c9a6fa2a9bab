// Stock reservations at checkout: all-or-nothing, exactly once per reservationId, never
// overselling — checked against what Postgres holds afterwards, not only against responses.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData, uniqueId } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let token: string;
let otherUser: string;

beforeAll(async () => {
  auth = await startTestAuth();
  // The sweeper of this app never fires during a test (every expiry here is settled by an explicit
  // call); 'returns stock on its own' below runs one that does.
  app = await buildCatalog(auth.jwksUrl, { RESERVATION_SWEEP_SECONDS: '300' });
  [token, otherUser] = await Promise.all([auth.user().then((u) => u.accessToken), auth.user().then((u) => u.accessToken)]);
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  await auth?.stop();
});

type Line = { productId: string; quantity: number };
const reserve = (reservationId: string, lines: Line[], as = token, holdSeconds?: number) =>
  app.inject({ method: 'POST', url: '/catalog/stock/reservations', payload: { reservationId, lines, ...(holdSeconds ? { holdSeconds } : {}) }, headers: bearer(as) });
/** What a replay must repeat exactly: the hold itself moves on (a retry holds the stock again). */
const withoutHold = ({ holdSeconds: _h, expiresAt: _e, ...rest }: Record<string, unknown>) => rest;
const stockOf = async (id: string) => (await app.prisma.product.findUniqueOrThrow({ where: { id } })).stock;
const versionOf = async (id: string) => (await app.prisma.product.findUniqueOrThrow({ where: { id } })).version;

async function products(...specs: Array<{ stock: number; priceCents: number }>) {
  return (await createTestData(app, specs)).ids;
}

describe('POST /catalog/stock/reservations', () => {
  it('decrements every line and returns unit prices and the total, for any signed-in user', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 1250 }, { stock: 5, priceCents: 399 });
    const res = await reserve(uniqueId('res'), [{ productId: b!, quantity: 2 }, { productId: a!, quantity: 3 }]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const body = res.json();
    expect(body.lines).toEqual(expect.arrayContaining([
      { productId: a, quantity: 3, unitPriceCents: 1250 },
      { productId: b, quantity: 2, unitPriceCents: 399 },
    ]));
    expect(body.totalCents).toBe(3 * 1250 + 2 * 399);
    expect(new Date(body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([7, 3]);
    // Stock is part of the representation, so the version (and ETag) moves too.
    expect(await versionOf(a!)).toBe(2);
  });

  it('replays the original result for a retry with the same id, taking stock only once', async () => {
    const [a] = await products({ stock: 10, priceCents: 500 });
    const id = uniqueId('res');
    const first = await reserve(id, [{ productId: a!, quantity: 4 }]);
    expect(first.statusCode).toBe(201);
    // A price change between the attempts must not change what the retry reports.
    await app.prisma.product.update({ where: { id: a! }, data: { priceCents: 900 } });
    const retry = await reserve(id, [{ productId: a!, quantity: 4 }]);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(withoutHold(retry.json())).toEqual(withoutHold(first.json()));
    expect(await stockOf(a!)).toBe(6);
  });

  it('applies concurrent requests with the same id exactly once', async () => {
    const [a, b] = await products({ stock: 50, priceCents: 100 }, { stock: 50, priceCents: 200 });
    const id = uniqueId('res');
    const lines = [{ productId: a!, quantity: 3 }, { productId: b!, quantity: 1 }];
    const answers = await Promise.all(Array.from({ length: 12 }, () => reserve(id, lines)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    expect(new Set(answers.map((r) => JSON.stringify(withoutHold(r.json())))).size).toBe(1);
    expect(answers.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([47, 49]);
  });

  it('never oversells under concurrent reservations with different ids', async () => {
    const [a] = await products({ stock: 5, priceCents: 100 });
    const answers = await Promise.all(Array.from({ length: 9 }, () => reserve(uniqueId('res'), [{ productId: a!, quantity: 1 }])));
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 201, 201, 201, 201, 409, 409, 409, 409]);
    expect(await stockOf(a!)).toBe(0);
  });

  it('answers 409 naming the product when stock is short, and leaves every line untouched', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 100 }, { stock: 2, priceCents: 100 });
    const id = uniqueId('res');
    // a sorts before b, so a's decrement has already happened inside the transaction when b fails.
    const res = await reserve(id, [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 3 }]);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain(b);
    expect(res.json().detail).toContain('2 available');
    expect(res.json().errors[0].field).toBe('lines.1.quantity');
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([10, 2]);
    expect(await versionOf(a!)).toBe(1);
    // Only successes are remembered: the same id can go through once the order fits.
    const fits = await reserve(id, [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 2 }]);
    expect(fits.statusCode).toBe(201);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([9, 0]);
  });

  it('answers 422 when the id was used with other lines or by another user, without taking stock', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 100 }, { stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    expect((await reserve(id, [{ productId: a!, quantity: 1 }])).statusCode).toBe(201);
    const otherQuantity = await reserve(id, [{ productId: a!, quantity: 2 }]);
    expect(otherQuantity.statusCode).toBe(422);
    expect(otherQuantity.headers['content-type']).toContain('application/problem+json');
    expect((await reserve(id, [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 1 }])).statusCode).toBe(422);
    expect((await reserve(id, [{ productId: a!, quantity: 1 }], otherUser)).statusCode).toBe(422);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([9, 10]);
  });

  it('treats line order as irrelevant to the replay', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 100 }, { stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    const first = await reserve(id, [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 2 }]);
    const swapped = await reserve(id, [{ productId: b!, quantity: 2 }, { productId: a!, quantity: 1 }]);
    expect(swapped.statusCode).toBe(201);
    expect(withoutHold(swapped.json())).toEqual(withoutHold(first.json()));
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([9, 8]);
  });

  it('answers 422 for an unknown product, 400 for malformed lines, 401 without a token', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const missing = uniqueId('ghost');
    const unknown = await reserve(uniqueId('res'), [{ productId: a!, quantity: 1 }, { productId: missing, quantity: 1 }]);
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail).toContain(missing);
    expect(unknown.json().errors[0].field).toBe('lines.1.productId');
    expect(await stockOf(a!)).toBe(10);

    const duplicate = await reserve(uniqueId('res'), [{ productId: a!, quantity: 1 }, { productId: a!, quantity: 1 }]);
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json().errors[0].field).toBe('lines.1.productId');
    expect((await reserve(uniqueId('res'), [{ productId: a!, quantity: 0 }])).json().errors[0].field).toBe('lines.0.quantity');
    expect((await reserve(uniqueId('res'), [])).statusCode).toBe(400);
    expect((await reserve('has spaces', [{ productId: a!, quantity: 1 }])).json().errors[0].field).toBe('reservationId');

    const anonymous = await app.inject({ method: 'POST', url: '/catalog/stock/reservations', payload: { reservationId: uniqueId('res'), lines: [{ productId: a!, quantity: 1 }] } });
    expect(anonymous.statusCode).toBe(401);
    expect(await stockOf(a!)).toBe(10);
  });

  it('makes the new stock visible on the next product read (cache invalidated)', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const url = `/catalog/products/${a}`;
    const before = await app.inject({ method: 'GET', url });
    expect((await app.inject({ method: 'GET', url })).headers['x-cache']).toBe('hit');
    expect((await reserve(uniqueId('res'), [{ productId: a!, quantity: 4 }])).statusCode).toBe(201);
    const after = await app.inject({ method: 'GET', url });
    expect(after.json().stock).toBe(6);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect((await app.inject({ method: 'GET', url, headers: { 'if-none-match': before.headers.etag as string } })).statusCode).toBe(200);
  });
});

const confirm = (id: string, as = token, on = app) => on.inject({ method: 'POST', url: `/catalog/stock/reservations/${id}/confirm`, headers: bearer(as) });
const release = (id: string, as = token, on = app) => on.inject({ method: 'DELETE', url: `/catalog/stock/reservations/${id}`, headers: bearer(as) });
/**
 * Ten held reservations of `quantity` each of one product (`stock` in stock), and a second replica
 * to race this one on them: its own app, its own connection pool, the same database, no sweeps of
 * its own; closed after `race`.
 */
async function onTwoReplicas(opts: { stock: number; quantity: number }, race: (other: FastifyInstance, product: string, ids: string[]) => Promise<void>) {
  const other = await buildCatalog(auth.jwksUrl, { POD_NAME: 'catalog-test-b', RESERVATION_SWEEP_SECONDS: '300' });
  try {
    const [product] = (await products({ stock: opts.stock, priceCents: 100 })) as [string];
    const ids = Array.from({ length: 10 }, () => uniqueId('res'));
    for (const id of ids) await reserve(id, [{ productId: product, quantity: opts.quantity }]);
    await race(other, product, ids);
  } finally {
    await other.close();
  }
}
const statusOf = async (id: string) => (await app.prisma.stockReservation.findUniqueOrThrow({ where: { id } })).status;
/** Moves a held reservation's expiry into the past: the database clock decides, so no test waits for it. */
const expire = (id: string) => app.prisma.$executeRaw`UPDATE stock_reservations SET expires_at = now() - interval '1 second' WHERE id = ${id} AND status = 'held'`;

describe('holding, confirming and releasing a reservation', () => {
  it('holds the stock for the time asked, capped by RESERVATION_MAX_HOLD_SECONDS', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const short = (await reserve(uniqueId('res'), [{ productId: a!, quantity: 1 }], token, 30)).json();
    expect(short).toMatchObject({ status: 'held', holdSeconds: expect.any(Number) });
    expect(short.holdSeconds).toBeGreaterThan(25);
    expect(short.holdSeconds).toBeLessThanOrEqual(30);
    expect(Date.parse(short.expiresAt)).toBeGreaterThan(Date.now());
    // The service's cap (120 s by default) wins over what the caller asks for.
    const long = (await reserve(uniqueId('res'), [{ productId: a!, quantity: 1 }], token, 3600)).json();
    expect(long.holdSeconds).toBeLessThanOrEqual(120);
    expect(long.holdSeconds).toBeGreaterThan(100);
  });

  it('confirms once: the stock stays sold, a second confirm replays, a retried reserve does not take more', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    expect((await reserve(id, [{ productId: a!, quantity: 4 }])).statusCode).toBe(201);
    const first = await confirm(id);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'confirmed', holdSeconds: 0, expiresAt: null });
    const again = await confirm(id);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const retried = await reserve(id, [{ productId: a!, quantity: 4 }]);
    expect(retried.json()).toMatchObject({ status: 'confirmed' });
    expect(await stockOf(a!)).toBe(6);
  });

  it('releases once: the stock comes back, a second release changes nothing, and it can no longer be confirmed', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 100 }, { stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    await reserve(id, [{ productId: a!, quantity: 3 }, { productId: b!, quantity: 2 }]);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([7, 8]);
    const released = await release(id);
    expect(released.statusCode, released.body).toBe(200);
    expect(released.json()).toMatchObject({ status: 'released', expiresAt: null });
    expect((await release(id)).headers['idempotent-replayed']).toBe('true');
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([10, 10]);
    const late = await confirm(id);
    expect(late.statusCode).toBe(409);
    expect(late.headers['content-type']).toContain('application/problem+json');
    expect(late.json().detail).toContain('released');
  });

  it('releases a confirmed reservation too (a checkout that confirmed, then ordered nothing), returning its stock once', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    await reserve(id, [{ productId: a!, quantity: 5 }]);
    expect((await confirm(id)).statusCode).toBe(200);
    await Promise.all([release(id), release(id), release(id)]);
    expect(await stockOf(a!)).toBe(10);
    expect(await statusOf(id)).toBe('released');
  });

  it('holds a reservation again when its owner retries before it expires, without taking stock twice', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    await reserve(id, [{ productId: a!, quantity: 2 }], token, 10);
    // Most of its hold is gone (30 s left of what will be asked for again: 90 s).
    await app.prisma.$executeRaw`UPDATE stock_reservations SET expires_at = now() + interval '30 seconds' WHERE id = ${id}`;
    const retried = await reserve(id, [{ productId: a!, quantity: 2 }], token, 90);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json().holdSeconds).toBeGreaterThan(30);
    expect(await stockOf(a!)).toBe(8);
  });

  it('answers 404 for an unknown reservation and for another user’s', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    await reserve(id, [{ productId: a!, quantity: 1 }]);
    expect((await confirm(uniqueId('nope'))).statusCode).toBe(404);
    expect((await confirm(id, otherUser)).statusCode).toBe(404);
    expect((await release(id, otherUser)).statusCode).toBe(404);
    expect(await statusOf(id)).toBe('held');
    expect(await stockOf(a!)).toBe(9);
  });
});

describe('a reservation nobody confirms in time', { tags: ['timing'] }, () => {
  it('cannot be confirmed once expired: 409, and its stock is back — even before any sweep ran', async () => {
    const [a] = await products({ stock: 10, priceCents: 100 });
    const id = uniqueId('res');
    await reserve(id, [{ productId: a!, quantity: 6 }]);
    await expire(id);
    const late = await confirm(id);
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toContain('expired');
    expect(await statusOf(id)).toBe('expired');
    expect(await stockOf(a!)).toBe(10);
    // A checkout that tries again with the same id takes the stock anew.
    const again = await reserve(id, [{ productId: a!, quantity: 6 }]);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: 'held' });
    expect(await stockOf(a!)).toBe(4);
  });

  it('is swept: its stock returns once, and a second sweep finds nothing', async () => {
    const [a, b] = await products({ stock: 10, priceCents: 100 }, { stock: 10, priceCents: 100 });
    const [due1, due2, live] = [uniqueId('res'), uniqueId('res'), uniqueId('res')];
    await reserve(due1, [{ productId: a!, quantity: 2 }, { productId: b!, quantity: 1 }]);
    await reserve(due2, [{ productId: a!, quantity: 3 }]);
    await reserve(live, [{ productId: b!, quantity: 4 }]);
    await Promise.all([expire(due1), expire(due2)]);
    expect(await app.stock.expireDue()).toBeGreaterThanOrEqual(2);
    expect([await statusOf(due1), await statusOf(due2), await statusOf(live)]).toEqual(['expired', 'expired', 'held']);
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([10, 6]);
    await app.stock.expireDue();
    expect([await stockOf(a!), await stockOf(b!)]).toEqual([10, 6]);
  });

  it('two replicas racing on the same expired reservations return each one’s stock exactly once', async () => {
    await onTwoReplicas({ stock: 20, quantity: 2 }, async (other, a, ids) => {
      expect(await stockOf(a)).toBe(0);
      await Promise.all(ids.map(expire));
      const [sweptHere, sweptThere, ...answers] = await Promise.all([
        app.stock.expireDue(),
        other.stock.expireDue(),
        ...ids.flatMap((id) => [confirm(id, token, other), confirm(id), release(id), release(id, token, other)]),
      ]);
      expect(await stockOf(a)).toBe(20);
      const confirms = answers.filter((_, i) => i % 4 < 2);
      expect(confirms.map((r) => (r as { statusCode: number }).statusCode)).toEqual(Array(20).fill(409));
      for (const id of ids) expect(['expired', 'released']).toContain(await statusOf(id));
      expect((sweptHere as number) + (sweptThere as number)).toBeLessThanOrEqual(10);
    });
  });

  it('two replicas racing to confirm and release live reservations leave every unit accounted for', async () => {
    await onTwoReplicas({ stock: 10, quantity: 1 }, async (other, a, ids) => {
      const [confirmA, confirmB, releaseA] = await Promise.all([
        Promise.all(ids.map((id) => confirm(id, token, other))),
        Promise.all(ids.map((id) => confirm(id))),
        Promise.all(ids.slice(0, 5).map((id) => release(id))),
      ]);
      expect(releaseA.every((r) => r.statusCode === 200)).toBe(true);
      for (const [i, id] of ids.entries()) {
        const status = await statusOf(id);
        // The last five were never released: both confirms agree on a confirmed reservation.
        if (i >= 5) expect([status, confirmA[i]?.statusCode, confirmB[i]?.statusCode]).toEqual(['confirmed', 200, 200]);
        else expect(status).toBe('released');
      }
      expect(await stockOf(a)).toBe(5);
    });
  });
});

describe('the sweep of every replica', { tags: ['timing'] }, () => {
  it('returns the stock of an expired reservation on its own, within RESERVATION_SWEEP_SECONDS', async () => {
    const sweeping = await buildCatalog(auth.jwksUrl, { POD_NAME: 'catalog-test-sweeper', RESERVATION_SWEEP_SECONDS: '1' });
    try {
      const [a] = await products({ stock: 10, priceCents: 100 });
      const id = uniqueId('res');
      await reserve(id, [{ productId: a!, quantity: 7 }]);
      await expire(id);
      // The condition, not a fixed sleep: the sweep runs every RESERVATION_SWEEP_SECONDS (1 s);
      // four of its ticks is the bound.
      const deadline = Date.now() + 4 * 1_000;
      while ((await statusOf(id)) === 'held' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await statusOf(id)).toBe('expired');
      expect(await stockOf(a!)).toBe(10);
    } finally {
      await sweeping.close();
    }
  });
});
