// Auth's /metrics, read after real requests against real Postgres and Redis: each token verdict
// under its reason, the session cache's hit, miss and bypass, which pod served a session's
// previous request (two app instances sharing Redis, as two replicas do), and the naming rules.
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_JWT_PRIVATE_KEY } from '@anypod/platform/testing/env';
import { changes, namingProblems, sampleValue, waitForChanges } from '@anypod/platform/testing/metric-exposition';
import { freePort } from '@anypod/platform/testing/processes';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';
import { decodePart, forgeEs256 } from './jwt-forge.ts';

let a: FastifyInstance;
let b: FastifyInstance;
let withoutRedis: FastifyInstance;

beforeAll(async () => {
  // Nothing listens on a free port: every Redis command of this instance fails at once.
  const noRedis = `redis://127.0.0.1:${await freePort()}`;
  [a, b, withoutRedis] = await Promise.all([
    buildAuth({ POD_NAME: 'auth-metrics-a' }),
    buildAuth({ POD_NAME: 'auth-metrics-b' }),
    buildAuth({ POD_NAME: 'auth-metrics-no-redis', REDIS_URL: noRedis }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), withoutRedis?.close()]);
});

const scrape = async (app: FastifyInstance) => (await app.inject('/metrics')).body;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (app: FastifyInstance, headers: Record<string, string>) => app.inject({ method: 'GET', url: '/auth/me', headers });

async function signUp(): Promise<{ email: string; accessToken: string; refreshToken: string }> {
  const email = uniqueEmail('metrics');
  expect((await a.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } })).statusCode).toBe(201);
  const login = await a.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
  expect(login.statusCode).toBe(200);
  return { email, ...(login.json() as { accessToken: string; refreshToken: string }) };
}

/** What `act` moved in a family of `app`'s metrics. */
async function moved(app: FastifyInstance, family: string, act: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await scrape(app);
  await act();
  return changes(before, await scrape(app), family);
}

const TOKENS = 'anypod_token_verifications_total';
const SESSIONS = 'anypod_session_requests_total';

describe(TOKENS, () => {
  it('exists for every verdict from the start: accepted only with reason none, rejected never with it', async () => {
    const text = await scrape(b);
    expect(sampleValue(text, TOKENS, { result: 'accepted', reason: 'none' })).toBeGreaterThanOrEqual(0);
    for (const reason of ['missing', 'malformed', 'invalid_signature', 'invalid_claims', 'expired', 'unknown_key', 'revoked', 'keys_unavailable']) {
      expect(sampleValue(text, TOKENS, { result: 'rejected', reason })).toBeGreaterThanOrEqual(0);
    }
    expect(() => sampleValue(text, TOKENS, { result: 'accepted', reason: 'expired' })).toThrow();
    expect(() => sampleValue(text, TOKENS, { result: 'rejected', reason: 'none' })).toThrow();
  });

  it('counts each request once, by its verdict and the reason of a rejection', async () => {
    const { accessToken } = await signUp();
    const header = decodePart(accessToken, 0);
    const claims = decodePart(accessToken, 1);
    const now = Math.floor(Date.now() / 1000);
    const [h, p] = accessToken.split('.') as [string, string];
    const otherSignature = forgeEs256(header, { ...claims, jti: 'another' }, TEST_JWT_PRIVATE_KEY).split('.')[2];

    const cases: Array<[string, string, number]> = [
      [accessToken, 'result=accepted,reason=none', 200],
      [forgeEs256(header, { ...claims, iat: now - 600, exp: now - 60 }, TEST_JWT_PRIVATE_KEY), 'result=rejected,reason=expired', 401],
      [`${h}.${p}.${otherSignature}`, 'result=rejected,reason=invalid_signature', 401],
      [forgeEs256(header, { ...claims, aud: 'someone-else' }, TEST_JWT_PRIVATE_KEY), 'result=rejected,reason=invalid_claims', 401],
      [forgeEs256({ ...header, typ: 'JWT' }, claims, TEST_JWT_PRIVATE_KEY), 'result=rejected,reason=invalid_claims', 401],
      ['not-a-jwt', 'result=rejected,reason=malformed', 401],
      [`${h}.${p}`, 'result=rejected,reason=malformed', 401],
    ];
    for (const [token, series, status] of cases) {
      const counted = await moved(a, TOKENS, async () => expect((await me(a, bearer(token))).statusCode).toBe(status));
      expect(counted, series).toEqual({ [series]: 1 });
    }
  });

  it('counts a signed-out login as revoked, whether the denylist or auth’s own check in Postgres refuses it', async () => {
    const { accessToken, refreshToken } = await signUp();
    const refreshed = await a.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
    const sameLoginLater = (refreshed.json() as { accessToken: string }).accessToken;
    expect((await a.inject({ method: 'POST', url: '/auth/logout', headers: bearer(accessToken) })).statusCode).toBe(204);

    // The logged-out token is on the denylist.
    expect(await moved(a, TOKENS, async () => expect((await me(a, bearer(accessToken))).statusCode).toBe(401))).toEqual({ 'result=rejected,reason=revoked': 1 });
    // Its sibling from the same login is validly signed and not denylisted, but its login is revoked in Postgres:
    // one request, one verdict (revoked), not an "accepted" followed by a rejection.
    expect(await moved(a, TOKENS, async () => expect((await me(a, bearer(sameLoginLater))).statusCode).toBe(401))).toEqual({ 'result=rejected,reason=revoked': 1 });
  });

  it('counts nothing for a request that needs no token', async () => {
    expect(await moved(a, TOKENS, () => a.inject('/auth/.well-known/jwks.json'))).toEqual({});
  });
});

describe('anypod_cache_requests_total for the session cache', () => {
  it('is a miss, then a hit, and a bypass where Redis is unavailable', async () => {
    const email = uniqueEmail('cookie');
    await a.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } });
    const login = await a.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD, mode: 'cookie' } });
    const cookie = login.cookies.find((c) => c.name === 'anypod_session');
    if (!cookie) throw new Error('no session cookie');
    const headers = { cookie: `anypod_session=${cookie.value}` };
    const family = 'anypod_cache_requests_total';

    expect(await moved(a, family, async () => expect((await me(a, headers)).statusCode).toBe(200))).toEqual({ 'cache=session,result=miss': 1 });
    expect(await moved(a, family, async () => expect((await me(a, headers)).statusCode).toBe(200))).toEqual({ 'cache=session,result=hit': 1 });
    expect(await moved(withoutRedis, family, async () => expect((await me(withoutRedis, headers)).statusCode).toBe(200))).toEqual({ 'cache=session,result=bypass': 1 });
  });
});

describe(SESSIONS, () => {
  it('tells, per request of a session, whether the previous one was served by this pod, another, or none', async () => {
    const { accessToken } = await signUp();
    const request = async (app: FastifyInstance, expected: string) => {
      const before = await scrape(app);
      expect((await me(app, bearer(accessToken))).statusCode).toBe(200);
      await waitForChanges(() => scrape(app), before, SESSIONS, { [`previous_pod=${expected}`]: 1 });
    };
    await request(a, 'none');
    await request(a, 'same');
    await request(b, 'other');
    await request(b, 'same');
    await request(a, 'other');
  });

  it('counts nothing, and still answers, while Redis is unavailable', async () => {
    const { accessToken } = await signUp();
    const before = await scrape(withoutRedis);
    expect((await me(withoutRedis, bearer(accessToken))).statusCode).toBe(200);
    // The failed SET is rejected at once (no offline queue); give it time to have been counted if it were.
    await sleep(300);
    expect(changes(before, await scrape(withoutRedis), SESSIONS)).toEqual({});
    expect(changes(before, await scrape(withoutRedis), TOKENS)).toEqual({ 'result=accepted,reason=none': 1 });
  });

  it('is not counted for a rejected token', async () => {
    const before = await scrape(a);
    expect((await me(a, bearer('not-a-jwt'))).statusCode).toBe(401);
    await sleep(300);
    expect(changes(before, await scrape(a), SESSIONS)).toEqual({});
  });
});

describe('auth /metrics', () => {
  it('follows the naming rules, with every label bounded and no service or pod label', async () => {
    const text = await scrape(a);
    expect(namingProblems(text)).toEqual([]);
    for (const previous of ['same', 'other', 'none']) expect(sampleValue(text, SESSIONS, { previous_pod: previous })).toBeGreaterThanOrEqual(0);
    for (const result of ['hit', 'miss', 'bypass']) expect(sampleValue(text, 'anypod_cache_requests_total', { cache: 'session', result })).toBeGreaterThanOrEqual(0);
  });
});
