// Every error path of the cart API answers with a status and media type its OpenAPI document
// lists for that operation (with Retry-After where it documents one) — the mismatches
// Schemathesis found: problem+json sent but application/json documented, 428 for a missing
// If-Match where the document made it optional, unknown query parameters accepted, undeclared
// methods 404. Through app.inject on real Postgres, Redis and auth; catalog is unreachable
// (port 9) for the one checkout that needs it to be.
import { methodAnswer } from '@anypod/platform/testing/app-surface';
import { undocumented } from '@anypod/platform/testing/openapi-contract';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, buildCart, newKey } from './helper.ts';

let authService: TestAuth;
let app: FastifyInstance;
let doc: Parameters<typeof undocumented>[0];

beforeAll(async () => {
  authService = await startTestAuth();
  app = await buildCart({ AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: 'http://127.0.0.1:9' });
  doc = (await app.inject({ method: 'GET', url: '/cart/openapi.json' })).json();
});
afterAll(async () => {
  await app?.close();
  await authService?.stop();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The answer, after checking it is problem+json and documented for `method path`. */
async function problemFrom(method: Method, url: string, path: string, headers: Record<string, string>, payload?: unknown) {
  const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  expect(res.headers['content-type'], res.body).toMatch(/^application\/problem\+json/);
  expect(undocumented(doc, method, path, res)).toBeNull();
  return { status: res.statusCode, fields: ((res.json().errors ?? []) as { field: string }[]).map((e) => e.field), headers: res.headers };
}

describe('cart: every error answer is documented for its operation', () => {
  it('validation: a missing token, a missing Idempotency-Key, unknown body and query properties', async () => {
    const { accessToken: token } = await authService.user();
    expect(await problemFrom('POST', '/cart/items', '/cart/items', { 'idempotency-key': newKey() }, { productId: 'p-1', quantity: 1 })).toMatchObject({ status: 401 });
    expect(await problemFrom('POST', '/cart/items', '/cart/items', auth(token), { productId: 'p-1', quantity: 1 })).toMatchObject({ status: 400, fields: ['idempotency-key'] });
    expect(await problemFrom('POST', '/cart/items', '/cart/items', auth(token, { 'idempotency-key': newKey() }), { productId: 'p-1', quantity: 1, note: 'x' })).toMatchObject({ status: 400, fields: ['note'] });
    // A JSON body is not coerced: false is not the product id "false" (Schemathesis found it accepted).
    expect(await problemFrom('POST', '/cart/items', '/cart/items', auth(token, { 'idempotency-key': newKey() }), { productId: false, quantity: 1 })).toMatchObject({ status: 400, fields: ['productId'] });
    expect(await problemFrom('POST', '/cart/items', '/cart/items', auth(token, { 'idempotency-key': newKey() }), { productId: 'p-1', quantity: '1' })).toMatchObject({ status: 400, fields: ['quantity'] });
    expect(await problemFrom('GET', '/cart/orders?limit=5&offset=5', '/cart/orders', auth(token))).toMatchObject({ status: 400, fields: ['offset'] });
    expect(await problemFrom('GET', '/cart?full=1', '/cart', auth(token))).toMatchObject({ status: 400, fields: ['full'] });
  });

  it('If-Match: 428 when missing (declared required), 412 when stale, 404 for a line not in the cart', async () => {
    const { accessToken: token } = await authService.user();
    expect(await problemFrom('PATCH', '/cart/items/p-1', '/cart/items/{productId}', auth(token), { quantity: 2 })).toMatchObject({ status: 428, fields: ['if-match'] });
    expect(await problemFrom('DELETE', '/cart/items/p-1', '/cart/items/{productId}', auth(token))).toMatchObject({ status: 428, fields: ['if-match'] });
    expect(await problemFrom('PATCH', '/cart/items/p-1', '/cart/items/{productId}', auth(token, { 'if-match': '"v0"' }), { quantity: 2 })).toMatchObject({ status: 404 });
    await app.inject({ method: 'POST', url: '/cart/items', headers: auth(token, { 'idempotency-key': newKey() }), payload: { productId: 'p-1', quantity: 1 } });
    expect(await problemFrom('PATCH', '/cart/items/p-1', '/cart/items/{productId}', auth(token, { 'if-match': '"v0"' }), { quantity: 2 })).toMatchObject({ status: 412 });
    for (const method of ['patch', 'delete']) {
      expect(doc.paths['/cart/items/{productId}']![method]).toMatchObject({ parameters: expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'if-match', required: true })]) });
    }
  });

  it('Idempotency-Key reused for another body: 422; checkout of an empty cart: 409; an unknown order: 404', async () => {
    const { accessToken: token } = await authService.user();
    const key = newKey();
    await app.inject({ method: 'POST', url: '/cart/items', headers: auth(token, { 'idempotency-key': key }), payload: { productId: 'p-1', quantity: 1 } });
    expect(await problemFrom('POST', '/cart/items', '/cart/items', auth(token, { 'idempotency-key': key }), { productId: 'p-2', quantity: 1 })).toMatchObject({ status: 422 });
    const { accessToken: empty } = await authService.user();
    expect(await problemFrom('POST', '/cart/checkout', '/cart/checkout', auth(empty, { 'idempotency-key': newKey() }))).toMatchObject({ status: 409 });
    expect(await problemFrom('GET', '/cart/orders/00000000-0000-4000-8000-000000000000', '/cart/orders/{id}', auth(token))).toMatchObject({ status: 404 });
  });

  it('checkout while catalog is unreachable: 503 with the Retry-After its document describes', async () => {
    const { accessToken: token } = await authService.user();
    await app.inject({ method: 'POST', url: '/cart/items', headers: auth(token, { 'idempotency-key': newKey() }), payload: { productId: 'p-1', quantity: 1 } });
    const answer = await problemFrom('POST', '/cart/checkout', '/cart/checkout', auth(token, { 'idempotency-key': newKey() }));
    expect(answer.status).toBe(503);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
  });

  it.each([
    ['TRACE', '/cart', 'GET, HEAD, OPTIONS'],
    ['PUT', '/cart/items/p-1', 'PATCH, DELETE, OPTIONS'],
    ['GET', '/cart/checkout', 'POST, OPTIONS'],
  ] as const)('%s %s: 405 with Allow: %s', async (method, url, allow) => {
    expect(await methodAnswer(app, method, url)).toEqual({ status: 405, allow, problemJson: true });
  });
});
