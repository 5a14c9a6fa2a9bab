// The public product API (listing with every query parameter, ETag/304) and the admin writes
// (tokens from a real auth process, If-Match), through app.inject on real Postgres and Redis.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData, RUN, uniqueId } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let admin: string;
let user: string;
let categoryId: string;
let ids: string[];

const T0 = new Date('2026-01-01T00:00:00Z').getTime();
// Names, descriptions and prices chosen so every filter and sort has one right answer.
const PRODUCTS = [
  { name: 'Walnut Desk', description: `Solid walnut top, 120 cm. ${RUN}`, priceCents: 25_000 },
  { name: 'Oak Desk', description: `Oiled oak top. ${RUN}`, priceCents: 18_000 },
  { name: 'Walnut Shelf', description: `Wall shelf, 100% walnut_wood. ${RUN}`, priceCents: 6_000 },
  { name: 'Steel Lamp', description: `A desk lamp. ${RUN}`, priceCents: 4_500 },
  { name: 'Linen Cushion', description: `Soft and washable. ${RUN}`, priceCents: 2_500 },
].map((p, i) => ({ ...p, createdAt: new Date(T0 + i * 1000) }));

beforeAll(async () => {
  auth = await startTestAuth();
  app = await buildCatalog(auth.jwksUrl);
  [admin, user] = await Promise.all([auth.user('admin').then((u) => u.accessToken), auth.user().then((u) => u.accessToken)]);
  ({ categoryId, ids } = await createTestData(app, PRODUCTS));
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  await auth?.stop();
});

async function list(query: Record<string, string | number>) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  return app.inject({ method: 'GET', url: `/catalog/products?${qs}` });
}
const names = (res: { json: () => { items: Array<{ name: string }> } }) => res.json().items.map((p) => p.name);

describe('GET /catalog/products', () => {
  it('lists a category, sorted by name by default, with the default page and page size, without a token', async () => {
    const res = await list({ category: categoryId });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ page: 1, pageSize: 20, total: 5 });
    expect(names(res)).toEqual(['Linen Cushion', 'Oak Desk', 'Steel Lamp', 'Walnut Desk', 'Walnut Shelf']);
    expect(res.json().items[0]).toEqual({
      id: ids[4], name: 'Linen Cushion', description: PRODUCTS[4]!.description, categoryId, priceCents: 2500, stock: 100, version: 1,
      createdAt: PRODUCTS[4]!.createdAt.toISOString(), updatedAt: expect.any(String),
    });
    expect(['hit', 'miss']).toContain(res.headers['x-cache']);
  });

  it('sorts by price, -price, name, -name and newest', async () => {
    expect(names(await list({ category: categoryId, sort: 'price' }))).toEqual(['Linen Cushion', 'Steel Lamp', 'Walnut Shelf', 'Oak Desk', 'Walnut Desk']);
    expect(names(await list({ category: categoryId, sort: '-price' }))).toEqual(['Walnut Desk', 'Oak Desk', 'Walnut Shelf', 'Steel Lamp', 'Linen Cushion']);
    expect(names(await list({ category: categoryId, sort: 'name' }))).toEqual(['Linen Cushion', 'Oak Desk', 'Steel Lamp', 'Walnut Desk', 'Walnut Shelf']);
    expect(names(await list({ category: categoryId, sort: '-name' }))).toEqual(['Walnut Shelf', 'Walnut Desk', 'Steel Lamp', 'Oak Desk', 'Linen Cushion']);
    expect(names(await list({ category: categoryId, sort: 'newest' }))).toEqual(['Linen Cushion', 'Steel Lamp', 'Walnut Shelf', 'Oak Desk', 'Walnut Desk']);
  });

  it('filters by an inclusive price range', async () => {
    const res = await list({ category: categoryId, minPrice: 4500, maxPrice: 18000, sort: 'price' });
    expect(names(res)).toEqual(['Steel Lamp', 'Walnut Shelf', 'Oak Desk']);
    expect(res.json().total).toBe(3);
    expect(names(await list({ category: categoryId, minPrice: 20_000 }))).toEqual(['Walnut Desk']);
    expect(names(await list({ category: categoryId, maxPrice: 2500 }))).toEqual(['Linen Cushion']);
  });

  it('searches name and description, case-insensitively, requiring every word', async () => {
    expect(names(await list({ category: categoryId, q: 'desk' }))).toEqual(['Oak Desk', 'Steel Lamp', 'Walnut Desk']); // the lamp's description says "desk"
    expect(names(await list({ category: categoryId, q: 'WALNUT' }))).toEqual(['Walnut Desk', 'Walnut Shelf']);
    expect(names(await list({ category: categoryId, q: 'desk walnut' }))).toEqual(['Walnut Desk']);
    expect(names(await list({ category: categoryId, q: '  Walnut   DESK ' }))).toEqual(['Walnut Desk']);
    expect((await list({ category: categoryId, q: 'nothing-matches-this' })).json()).toMatchObject({ items: [], total: 0 });
    // Across all categories: only this run's products carry the run id.
    expect((await list({ q: RUN })).json().total).toBe(5);
  });

  it('treats LIKE wildcards in the search as literal characters', async () => {
    expect(names(await list({ category: categoryId, q: '%' }))).toEqual(['Walnut Shelf']);
    expect(names(await list({ category: categoryId, q: 'walnut_wood' }))).toEqual(['Walnut Shelf']);
    expect(names(await list({ category: categoryId, q: 'l_mp' }))).toEqual([]);
  });

  it('pages through results with a stable order', async () => {
    const page = (n: number) => list({ category: categoryId, sort: 'price', pageSize: 2, page: n });
    expect((await page(1)).json()).toMatchObject({ page: 1, pageSize: 2, total: 5 });
    expect(names(await page(1))).toEqual(['Linen Cushion', 'Steel Lamp']);
    expect(names(await page(2))).toEqual(['Walnut Shelf', 'Oak Desk']);
    expect(names(await page(3))).toEqual(['Walnut Desk']);
    expect((await page(4)).json()).toMatchObject({ items: [], page: 4, total: 5 });
    expect((await list({ category: categoryId, pageSize: 100 })).json().items).toHaveLength(5);
    expect((await list({ category: categoryId, pageSize: 1 })).json().items).toHaveLength(1);
  });

  it.each([
    ['pageSize', { pageSize: 101 }],
    ['pageSize', { pageSize: 0 }],
    ['page', { page: 0 }],
    ['page', { page: 'two' }],
    ['sort', { sort: 'cheapest' }],
    ['q', { q: 'x'.repeat(101) }],
    ['q', { q: '' }],
    ['minPrice', { minPrice: -1 }],
    ['maxPrice', { maxPrice: 1.5 }],
    ['category', { category: 'Not A Slug!' }],
    ['minPrice', { minPrice: 500, maxPrice: 100 }],
  ])('rejects a bad %s with 400 problem+json naming the field (%o)', async (field, query) => {
    const res = await list(query as Record<string, string | number>);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors[0].field).toBe(field);
    expect(res.json().detail).toContain(field);
  });

  it('rejects an unknown query parameter with 400 naming it (the document allows none)', async () => {
    const res = await list({ category: categoryId, colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'colour' })]);
  });
});

describe('GET /catalog/products/:id', () => {
  it('answers with a strong ETag from id and version, and 304 for a matching If-None-Match', async () => {
    const id = ids[0]!;
    const res = await app.inject({ method: 'GET', url: `/catalog/products/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Walnut Desk', version: 1 });
    const etag = res.headers.etag as string;
    expect(etag).toBe(`"${id}.v1"`);
    expect(res.headers['cache-control']).toBe('no-cache');

    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const cached = await app.inject({ method: 'GET', url: `/catalog/products/${id}`, headers: { 'if-none-match': header } });
      expect(cached.statusCode, header).toBe(304);
      expect(cached.body).toBe('');
      expect(cached.headers.etag).toBe(etag);
    }
    const stale = await app.inject({ method: 'GET', url: `/catalog/products/${id}`, headers: { 'if-none-match': `"${id}.v0"` } });
    expect(stale.statusCode).toBe(200);
  });

  it('answers 404 problem+json for an unknown product and 400 for a malformed id', async () => {
    const missing = await app.inject({ method: 'GET', url: `/catalog/products/${uniqueId('missing')}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    const bad = await app.inject({ method: 'GET', url: '/catalog/products/Not_Valid' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('id');
  });
});

describe('GET /catalog/categories', () => {
  it('lists categories including this run’s', async () => {
    const res = await app.inject({ method: 'GET', url: '/catalog/categories' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toContainEqual({ id: categoryId, name: 'Test category' });
  });
});

describe('admin writes', () => {
  const newProduct = () => ({ id: uniqueId('new'), name: 'Brass Hook', description: 'For coats.', categoryId, priceCents: 1299, stock: 7 });
  const create = (body: object, token?: string) => app.inject({ method: 'POST', url: '/catalog/products', payload: body, headers: token ? bearer(token) : {} });

  it('creates a product (201, Location, ETag) and refuses a duplicate id with 409', async () => {
    const body = newProduct();
    const res = await create(body, admin);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers.location).toBe(`/catalog/products/${body.id}`);
    expect(res.headers.etag).toBe(`"${body.id}.v1"`);
    expect(res.json()).toMatchObject({ ...body, version: 1 });
    expect((await app.inject({ method: 'GET', url: `/catalog/products/${body.id}` })).json()).toMatchObject(body);
    const again = await create(body, admin);
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses without a token (401), for a non-admin (403, even with a bad body), and validates the body (400, 422)', async () => {
    const noToken = await create(newProduct());
    expect(noToken.statusCode).toBe(401);
    expect(noToken.headers['www-authenticate']).toContain('Bearer');
    expect(noToken.headers['content-type']).toContain('application/problem+json');
    expect((await create(newProduct(), 'not-a-jwt')).statusCode).toBe(401);
    expect((await create(newProduct(), user)).statusCode).toBe(403);
    expect((await create({ ...newProduct(), priceCents: -1 }, user)).statusCode).toBe(403);

    const badPrice = await create({ ...newProduct(), priceCents: -1 }, admin);
    expect(badPrice.statusCode).toBe(400);
    expect(badPrice.json().errors[0].field).toBe('priceCents');
    const badId = await create({ ...newProduct(), id: 'UPPER_case' }, admin);
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('id');
    const unknownCategory = await create({ ...newProduct(), categoryId: uniqueId('nocat') }, admin);
    expect(unknownCategory.statusCode).toBe(422);
    expect(unknownCategory.json().errors[0].field).toBe('categoryId');
  });

  it('patches with If-Match: 428 without it, 412 when stale, 200 with a new version and ETag', async () => {
    const body = newProduct();
    const created = await create(body, admin);
    const etag1 = created.headers.etag as string;
    const url = `/catalog/products/${body.id}`;
    const patch = (headers: Record<string, string>, payload: object = { priceCents: 1499 }) => app.inject({ method: 'PATCH', url, payload, headers });

    expect((await patch({})).statusCode).toBe(401);
    expect((await patch({ ...bearer(user), 'if-match': etag1 })).statusCode).toBe(403);
    const missing = await patch(bearer(admin));
    expect(missing.statusCode).toBe(428);
    expect(missing.headers['content-type']).toContain('application/problem+json');
    expect((await patch({ ...bearer(admin), 'if-match': `"${body.id}.v7"` })).statusCode).toBe(412);
    expect((await patch({ ...bearer(admin), 'if-match': `W/${etag1}` })).statusCode).toBe(412); // weak tags never match If-Match
    // Version 1 is current, but these tags name other products (one whose id starts with this one's).
    for (const other of [`"${body.id}-x.v1"`, `"x${body.id}.v1"`, `"${body.id}.v1.v1"`]) expect((await patch({ ...bearer(admin), 'if-match': other })).statusCode, other).toBe(412);
    expect((await patch({ ...bearer(admin), 'if-match': etag1 }, {})).statusCode).toBe(400);

    const ok = await patch({ ...bearer(admin), 'if-match': etag1 });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ priceCents: 1499, version: 2, name: body.name });
    expect(ok.headers.etag).toBe(`"${body.id}.v2"`);
    expect(Date.parse(ok.json().updatedAt)).toBeGreaterThan(Date.parse(created.json().updatedAt));
    // The first writer won; a second writer holding the old ETag must not overwrite it.
    const lost = await patch({ ...bearer(admin), 'if-match': etag1 }, { priceCents: 999 });
    expect(lost.statusCode).toBe(412);
    expect(lost.json().detail).toContain('version 2');
    const read = await app.inject({ method: 'GET', url });
    expect(read.json()).toMatchObject({ priceCents: 1499, version: 2 });
    expect(read.headers.etag).toBe(ok.headers.etag);
    // The old ETag no longer gives 304.
    expect((await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag1 } })).statusCode).toBe(200);

    const unknown = await app.inject({ method: 'PATCH', url: `/catalog/products/${uniqueId('nope')}`, payload: { stock: 1 }, headers: { ...bearer(admin), 'if-match': '*' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('deletes with If-Match: 428 without it, 412 when stale, 204, then 404', async () => {
    const body = newProduct();
    const etag = (await create(body, admin)).headers.etag as string;
    const url = `/catalog/products/${body.id}`;
    const del = (headers: Record<string, string>) => app.inject({ method: 'DELETE', url, headers });
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);

    expect((await del({ 'if-match': etag })).statusCode).toBe(401);
    expect((await del({ ...bearer(user), 'if-match': etag })).statusCode).toBe(403);
    expect((await del(bearer(admin))).statusCode).toBe(428);
    expect((await del({ ...bearer(admin), 'if-match': `"${body.id}.v2"` })).statusCode).toBe(412);
    const ok = await del({ ...bearer(admin), 'if-match': etag });
    expect(ok.statusCode).toBe(204);
    expect(ok.body).toBe('');
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
    expect((await del({ ...bearer(admin), 'if-match': etag })).statusCode).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents every catalog route with tags and bearer security on the protected ones', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/catalog/openapi.json' })).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/catalog/categories',
      '/catalog/products',
      '/catalog/products/{id}',
      '/catalog/stock/reservations',
      '/catalog/stock/reservations/{reservationId}',
      '/catalog/stock/reservations/{reservationId}/confirm',
    ]);
    expect(doc.paths['/catalog/products'].get.tags).toEqual(['products']);
    expect(doc.paths['/catalog/products'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/catalog/stock/reservations'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/catalog/stock/reservations/{reservationId}/confirm'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/catalog/stock/reservations/{reservationId}'].delete.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/catalog/products/{id}'].patch.responses).toHaveProperty('428');
  });
});
