// Every error path of the catalog API answers with a status and media type its OpenAPI document
// lists for that operation — the mismatches Schemathesis found (problem+json sent but
// application/json documented; the cross-field 400s, 422 and 428 undocumented; unknown query
// parameters accepted; undeclared methods 404) — through app.inject on real Postgres and Redis.
import { methodAnswer } from '@anypod/platform/testing/app-surface';
import { undocumented } from '@anypod/platform/testing/openapi-contract';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, buildCatalog, createTestData, removeTestData, uniqueId } from './helper.ts';

let auth: TestAuth;
let app: FastifyInstance;
let admin: string;
let user: string;
let product: string;
let doc: Parameters<typeof undocumented>[0];

beforeAll(async () => {
  auth = await startTestAuth();
  app = await buildCatalog(auth.jwksUrl);
  [admin, user] = await Promise.all([auth.user('admin').then((u) => u.accessToken), auth.user().then((u) => u.accessToken)]);
  ({ ids: [product = ''] } = await createTestData(app, [{ stock: 10 }]));
  doc = (await app.inject({ method: 'GET', url: '/catalog/openapi.json' })).json();
});
afterAll(async () => {
  if (app) await removeTestData(app);
  await app?.close();
  await auth?.stop();
});

interface Case {
  what: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: () => string;
  path: string;
  token?: () => string;
  headers?: Record<string, string>;
  payload?: () => unknown;
  status: number;
  field?: string;
}

const reservation = (lines: () => Array<{ productId: string; quantity: number }>) => () => ({ reservationId: uniqueId('r'), lines: lines() });

const cases: Case[] = [
  { what: 'minPrice above maxPrice (cross-field)', method: 'GET', url: () => '/catalog/products?minPrice=500&maxPrice=100', path: '/catalog/products', status: 400, field: 'minPrice' },
  // Found by Schemathesis: Postgres text cannot hold NUL, and the search reached it as a 500.
  { what: 'a NUL character in the search text', method: 'GET', url: () => '/catalog/products?q=a%00b&page=1', path: '/catalog/products', status: 400, field: 'q' },
  { what: 'an unknown query parameter', method: 'GET', url: () => '/catalog/products?colour=red', path: '/catalog/products', status: 400, field: 'colour' },
  { what: 'a query parameter on a route that takes none', method: 'GET', url: () => '/catalog/categories?all=1', path: '/catalog/categories', status: 400, field: 'all' },
  { what: 'an unknown product', method: 'GET', url: () => '/catalog/products/no-such-product', path: '/catalog/products/{id}', status: 404 },
  { what: 'a write without a token', method: 'POST', url: () => '/catalog/products', path: '/catalog/products', payload: () => ({}), status: 401 },
  { what: 'a write by a non-admin', method: 'POST', url: () => '/catalog/products', path: '/catalog/products', token: () => user, payload: () => ({}), status: 403 },
  {
    what: 'an unknown body property',
    method: 'PATCH',
    url: () => `/catalog/products/${product}`,
    path: '/catalog/products/{id}',
    token: () => admin,
    headers: { 'if-match': '"x"' },
    payload: () => ({ name: 'n', colour: 'red' }),
    status: 400,
    field: 'colour',
  },
  { what: 'a change without If-Match', method: 'PATCH', url: () => `/catalog/products/${product}`, path: '/catalog/products/{id}', token: () => admin, payload: () => ({ name: 'n' }), status: 428, field: 'if-match' },
  { what: 'a delete without If-Match', method: 'DELETE', url: () => `/catalog/products/${product}`, path: '/catalog/products/{id}', token: () => admin, status: 428, field: 'if-match' },
  { what: 'an If-Match naming no current version', method: 'PATCH', url: () => `/catalog/products/${product}`, path: '/catalog/products/{id}', token: () => admin, headers: { 'if-match': '"stale"' }, payload: () => ({ name: 'n' }), status: 412 },
  { what: 'a product in an unknown category', method: 'POST', url: () => '/catalog/products', path: '/catalog/products', token: () => admin, payload: () => ({ id: uniqueId(), name: 'n', description: '', categoryId: 'no-such-category', priceCents: 1, stock: 1 }), status: 422 },
  {
    what: 'a product twice in one reservation (cross-field)',
    method: 'POST',
    url: () => '/catalog/stock/reservations',
    path: '/catalog/stock/reservations',
    token: () => user,
    payload: reservation(() => [{ productId: product, quantity: 1 }, { productId: product, quantity: 1 }]),
    status: 400,
    field: 'lines.1.productId',
  },
  { what: 'a reservation of an unknown product', method: 'POST', url: () => '/catalog/stock/reservations', path: '/catalog/stock/reservations', token: () => user, payload: reservation(() => [{ productId: 'no-such-product', quantity: 1 }]), status: 422 },
  { what: 'a reservation of more than the stock', method: 'POST', url: () => '/catalog/stock/reservations', path: '/catalog/stock/reservations', token: () => user, payload: reservation(() => [{ productId: product, quantity: 11 }]), status: 409 },
  { what: 'a reservation that is not yours', method: 'DELETE', url: () => '/catalog/stock/reservations/nobodys', path: '/catalog/stock/reservations/{reservationId}', token: () => user, status: 404 },
  { what: 'a body that is not JSON', method: 'POST', url: () => '/catalog/stock/reservations', path: '/catalog/stock/reservations', token: () => user, headers: { 'content-type': 'text/csv' }, payload: () => 'lines', status: 415 },
];

describe('catalog: every error answer is documented for its operation', () => {
  it.each(cases)('$what → $status', async (c) => {
    const res = await app.inject({
      method: c.method,
      url: c.url(),
      headers: { ...(c.token ? bearer(c.token()) : {}), ...c.headers },
      ...(c.payload ? { payload: c.payload() as string } : {}),
    });
    expect(res.statusCode, res.body).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(undocumented(doc, c.method, c.path, res)).toBeNull();
    if (c.field) expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: c.field })]));
  });

  it('declares the If-Match header it requires', () => {
    for (const method of ['patch', 'delete']) {
      expect(doc.paths['/catalog/products/{id}']![method]).toMatchObject({ parameters: expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'if-match', required: true })]) });
    }
  });

  it.each([
    ['TRACE', '/catalog/products', 'GET, HEAD, POST, OPTIONS'],
    ['PUT', `/catalog/products/sku-1`, 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['GET', '/catalog/stock/reservations', 'POST, OPTIONS'],
  ] as const)('%s %s: 405 with Allow: %s', async (method, url, allow) => {
    expect(await methodAnswer(app, method, url)).toEqual({ status: 405, allow, problemJson: true });
  });
});
