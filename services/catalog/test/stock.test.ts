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
  app = await buildCatalog(auth.jwksUrl);
  [token, otherUser] = await Promise.all([auth.user().then((u) => u.token), auth.user().then((u) => u.token)]);
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  await auth?.stop();
});

type Line = { productId: string; quantity: number };
const reserve = (reservationId: string, lines: Line[], as = token) =>
  app.inject({ method: 'POST', url: '/catalog/stock/reservations', payload: { reservationId, lines }, headers: bearer(as) });
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
    expect(retry.json()).toEqual(first.json());
    expect(await stockOf(a!)).toBe(6);
  });

  it('applies concurrent requests with the same id exactly once', async () => {
    const [a, b] = await products({ stock: 50, priceCents: 100 }, { stock: 50, priceCents: 200 });
    const id = uniqueId('res');
    const lines = [{ productId: a!, quantity: 3 }, { productId: b!, quantity: 1 }];
    const answers = await Promise.all(Array.from({ length: 12 }, () => reserve(id, lines)));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
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
    expect(swapped.json()).toEqual(first.json());
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
