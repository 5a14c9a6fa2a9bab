// The fixture cart's tests use (@anypod/catalog/testing): a real catalog process whose products
// (createProducts, product) can be read and reserved with a token from the real auth fixture,
// and which cleans up after itself.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCatalog, type TestCatalog } from './fixtures.ts';

let auth: TestAuth;
let catalog: TestCatalog | undefined;

beforeAll(async () => {
  auth = await startTestAuth();
});
afterAll(async () => {
  await catalog?.stop();
  await auth?.stop();
});

describe('startTestCatalog', () => {
  it('serves its products, reserves stock for a user token, and removes its data on stop', async () => {
    catalog = await startTestCatalog({ jwksUrl: auth.jwksUrl });
    const [id] = await catalog.createProducts([{ priceCents: 1234, stock: 3, name: 'Fixture Mug' }]);
    const read = await fetch(`${catalog.url}/catalog/products/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, name: 'Fixture Mug', priceCents: 1234, stock: 3 });
    expect(read.headers.get('x-served-by')).toBe('catalog-fixture');

    // product(): one product in a category of its own, 12.50 unless told otherwise.
    const single = await catalog.product({ stock: 7 });
    const answer = await fetch(`${catalog.url}/catalog/products/${single}`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id: single, priceCents: 1250, stock: 7 });

    const { accessToken: token } = await auth.user();
    const reserved = await fetch(`${catalog.url}/catalog/stock/reservations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reservationId: `fixture-${id}`, lines: [{ productId: id, quantity: 2 }] }),
    });
    expect(reserved.status).toBe(201);
    expect(await reserved.json()).toMatchObject({ totalCents: 2468 });
    expect(await catalog.stockOf(id!)).toBe(1);

    const stopping = catalog;
    catalog = undefined;
    await stopping.stop();
    expect(stopping.process.child.exitCode).toBe(0);
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      expect((await db.query('SELECT 1 FROM catalog.products WHERE id = ANY($1)', [[id, single]])).rowCount).toBe(0);
      expect((await db.query('SELECT 1 FROM catalog.stock_reservations WHERE id = $1', [`fixture-${id}`])).rowCount).toBe(0);
    } finally {
      await db.end();
    }
  });
});
