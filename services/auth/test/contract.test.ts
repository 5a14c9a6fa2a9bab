// Every error path of the auth API answers with a status and media type its OpenAPI document
// lists for that operation (with Retry-After on 429) — Schemathesis found problem+json sent but
// application/json documented, and undeclared methods answered 404 — through app.inject on
// real Postgres and Redis.
import { methodAnswer } from '@anypod/platform/testing/app-surface';
import { undocumented } from '@anypod/platform/testing/openapi-contract';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';

let app: FastifyInstance;
let doc: Parameters<typeof undocumented>[0];

beforeAll(async () => {
  // Two failed logins per account before 429, so the test reaches it in three requests.
  app = await buildAuth({ LOGIN_FAILURES_PER_ACCOUNT: '2', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' });
  doc = (await app.inject({ method: 'GET', url: '/auth/openapi.json' })).json();
});
afterAll(() => app?.close());

/** The answer's status and error fields, after checking it is problem+json and documented. */
async function problemFrom(method: 'GET' | 'POST', path: string, payload?: unknown, query = '') {
  const res = await app.inject({ method, url: `${path}${query}`, ...(payload === undefined ? {} : { payload: payload as string }) });
  expect(res.headers['content-type'], res.body).toMatch(/^application\/problem\+json/);
  expect(undocumented(doc, method, path, res)).toBeNull();
  return { status: res.statusCode, fields: ((res.json().errors ?? []) as { field: string }[]).map((e) => e.field) };
}

describe('auth: every error answer is documented for its operation', () => {
  it('400 for an unknown body property or query parameter, 409 for a taken email, 401 for a wrong password, then 429', async () => {
    const email = uniqueEmail('contract');
    expect(await problemFrom('POST', '/auth/register', { email, password: TEST_PASSWORD, role: 'admin' })).toEqual({ status: 400, fields: ['role'] });
    expect(await problemFrom('GET', '/auth/.well-known/jwks.json', undefined, '?kid=1')).toEqual({ status: 400, fields: ['kid'] });
    expect((await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } })).statusCode).toBe(201);
    expect(await problemFrom('POST', '/auth/register', { email, password: TEST_PASSWORD })).toMatchObject({ status: 409 });
    expect(await problemFrom('POST', '/auth/login', { email, password: 'not the password' })).toMatchObject({ status: 401 });
    expect(await problemFrom('POST', '/auth/login', { email, password: 'not the password' })).toMatchObject({ status: 401 });
    expect(await problemFrom('POST', '/auth/login', { email, password: TEST_PASSWORD })).toMatchObject({ status: 429 });
  });

  it('401 without a login on /me, /logout and /refresh', async () => {
    expect(await problemFrom('GET', '/auth/me')).toMatchObject({ status: 401 });
    expect(await problemFrom('POST', '/auth/logout')).toMatchObject({ status: 401 });
    expect(await problemFrom('POST', '/auth/refresh', { refreshToken: 'not-a-refresh-token' })).toMatchObject({ status: 401 });
  });

  it.each([
    ['TRACE', '/auth/me', 'GET, HEAD, OPTIONS'],
    ['GET', '/auth/login', 'POST, OPTIONS'],
  ] as const)('%s %s: 405 with Allow: %s', async (method, url, allow) => {
    expect(await methodAnswer(app, method, url)).toEqual({ status: 405, allow, problemJson: true });
  });
});
