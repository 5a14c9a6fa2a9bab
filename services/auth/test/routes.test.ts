import { createHash } from 'node:crypto';
import { documentedPaths } from '@anypod/platform/testing/app-surface';
import { TEST_JWT_PRIVATE_KEY } from '@anypod/platform/testing/env';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';
import { decodePart, forgeEs256, forgeHs256WithPublicKey, forgeNone } from './jwt-forge.ts';

// The longest retry grace the config allows: longer than any test here may run (testTimeout), so
// every retry below is within it whatever the machine's speed. "After the grace" is made by
// backdating the token's use in Postgres (refreshUsedBeforeGrace), not by waiting.
const GRACE_SECONDS = 120;
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildAuth({ REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS), LOGIN_FAILURES_PER_ACCOUNT: '3' });
});
afterAll(async () => app?.close());

async function register(email = uniqueEmail()) {
  const res = await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  return { email, id: res.json().id as string };
}

async function login(email: string) {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string };
}

/** Moves a used refresh token's use back by more than the grace: any reuse now comes after it. */
async function refreshUsedBeforeGrace(refreshToken: string): Promise<void> {
  const id = refreshToken.split('.')[0] as string;
  const moved = await app.prisma.$executeRaw`UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => ${GRACE_SECONDS + 0.001}) WHERE id = ${id}::uuid AND used_at IS NOT NULL`;
  expect(moved).toBe(1);
}

const me = (token: string) => app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } });

describe('register', () => {
  it('creates an account and answers with problem+json for a duplicate email', async () => {
    const { email, id } = await register();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await app.inject({ method: 'POST', url: '/auth/register', payload: { email: email.toUpperCase(), password: TEST_PASSWORD } });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json()).toMatchObject({ status: 409, title: 'Conflict' });
  });

  it('rejects a malformed body with 400 naming the field', async () => {
    const res = await app.inject({ method: 'POST', url: '/auth/register', payload: { email: uniqueEmail(), password: 'short' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('password');
    expect(res.json().detail).toContain('password');
    const missing = await app.inject({ method: 'POST', url: '/auth/register', payload: { password: TEST_PASSWORD } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors[0].field).toBe('email');
  });

  it('refuses prototype poisoning', async () => {
    const res = await app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: `{"email":"${uniqueEmail()}","password":"${TEST_PASSWORD}","__proto__":{"role":"admin"}}` });
    expect(res.statusCode).toBe(400);
  });
});

describe('login and me', () => {
  it('issues an ES256 access token with kid, iss, aud and a refresh token; me answers', async () => {
    const { email, id } = await register();
    const tokens = await login(email);
    expect(tokens.tokenType).toBe('Bearer');
    const header = decodePart(tokens.accessToken, 0);
    const claims = decodePart(tokens.accessToken, 1);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    expect(claims).toMatchObject({ sub: id, iss: 'anypod-auth', aud: 'anypod', role: 'user' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(300);
    const res = await me(tokens.accessToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, email, role: 'user' });
    expect(res.headers['x-served-by']).toBe('auth-test');
  });

  it('answers 401 for a wrong password and 429 once the account limit is reached', async () => {
    const { email } = await register();
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'wrong password!' } });
      expect(res.statusCode).toBe(401);
    }
    const limited = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers 401 for an unknown email, same message as a wrong password', async () => {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: uniqueEmail('nobody'), password: TEST_PASSWORD } });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toBe('Wrong email or password.');
  });
});

describe('token verification rejects', () => {
  let base: { header: Record<string, unknown>; claims: Record<string, unknown> };
  beforeAll(async () => {
    const { email } = await register();
    const tokens = await login(email);
    base = { header: decodePart(tokens.accessToken, 0), claims: decodePart(tokens.accessToken, 1) };
  });

  it('accepts a correctly forged-by-us token (control)', async () => {
    expect((await me(forgeEs256(base.header, base.claims, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(200);
  });
  it('an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await me(forgeEs256(base.header, { ...base.claims, iat: now - 600, exp: now - 60 }, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(401);
  });
  it('a tampered token', async () => {
    const good = forgeEs256(base.header, base.claims, TEST_JWT_PRIVATE_KEY);
    const [h, , s] = good.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...base.claims, role: 'admin' })).toString('base64url')}.${s}`;
    expect((await me(tampered)).statusCode).toBe(401);
  });
  it('a token signed with the wrong algorithm (HS256 with the public key)', async () => {
    expect((await me(forgeHs256WithPublicKey(base.header, base.claims, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(401);
  });
  it('an alg:none token', async () => {
    expect((await me(forgeNone(base.header, base.claims))).statusCode).toBe(401);
  });
  it('a token for another audience or issuer', async () => {
    expect((await me(forgeEs256(base.header, { ...base.claims, aud: 'someone-else' }, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(401);
    expect((await me(forgeEs256(base.header, { ...base.claims, iss: 'evil' }, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(401);
  });
  it('a token without the at+jwt type', async () => {
    expect((await me(forgeEs256({ ...base.header, typ: 'JWT' }, base.claims, TEST_JWT_PRIVATE_KEY))).statusCode).toBe(401);
  });
  it('no token at all, as problem+json with WWW-Authenticate', async () => {
    const res = await app.inject({ method: 'GET', url: '/auth/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('refresh rotation', () => {
  it('rotates, replays the same successor within the grace window, and revokes the family on reuse after it', async () => {
    const { email } = await register();
    const first = await login(email);
    const second = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expect(second.statusCode).toBe(200);
    const rotated = second.json();
    expect(rotated.refreshToken).not.toBe(first.refreshToken);

    // A client whose response was lost retries the same token: it gets the same successor.
    const retry = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expect(retry.statusCode).toBe(200);
    expect(retry.json().refreshToken).toBe(rotated.refreshToken);
    expect((await me(retry.json().accessToken)).statusCode).toBe(200);

    // After the grace window, presenting the old token is theft: the whole family dies.
    await refreshUsedBeforeGrace(first.refreshToken);
    const reuse = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    const successor = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: rotated.refreshToken } });
    expect(successor.statusCode).toBe(401);
    expect((await me(rotated.accessToken)).statusCode).toBe(401);
  });

  it('revokes the family when a token is reused after its successor was used, even within the grace', async () => {
    const { email } = await register();
    const first = await login(email);
    const second = (await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } })).json();
    const third = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: second.refreshToken } });
    expect(third.statusCode).toBe(200);
    const reuse = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: third.json().refreshToken } })).statusCode).toBe(401);
  });

  it('gives concurrent refreshes of one token the same successor', async () => {
    const { email } = await register();
    const first = await login(email);
    const answers = await Promise.all([1, 2, 3].map(() => app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: first.refreshToken } })));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((a) => a.json().refreshToken)).size).toBe(1);
  });

  it('rejects forged and malformed refresh tokens', async () => {
    const forged = `${crypto.randomUUID()}.${'A'.repeat(43)}`;
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: forged } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: 'not-a-token-at-all' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: {} })).statusCode).toBe(400);
  });
});

describe('logout', () => {
  it('revokes the access token (denylist) and the refresh family', async () => {
    const { email } = await register();
    const tokens = await login(email);
    const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(out.statusCode).toBe(204);
    expect((await me(tokens.accessToken)).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: tokens.refreshToken } })).statusCode).toBe(401);
    const jti = decodePart(tokens.accessToken, 1).jti as string;
    expect(await app.redis.exists(`denylist:${jti}`)).toBe(1);
    expect(await app.redis.ttl(`denylist:${jti}`)).toBeLessThanOrEqual(300);
  });
});

describe('session cookie mode', () => {
  it('logs in with a cookie, answers me, and logs out', async () => {
    const { email, id } = await register();
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD, mode: 'cookie' } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'anypod_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    const headers = { cookie: `anypod_session=${cookie?.value}` };
    const who = await app.inject({ method: 'GET', url: '/auth/me', headers });
    expect(who.statusCode).toBe(200);
    expect(who.json().id).toBe(id);
    // Postgres is the source of truth: the session survives losing its Redis cache entry (only
    // this session's key: the Redis is shared with every other suite).
    const cacheKey = `session:${createHash('sha256').update(cookie?.value ?? '').digest('hex')}`;
    expect(await app.redis.del(cacheKey)).toBe(1);
    expect((await app.inject({ method: 'GET', url: '/auth/me', headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/auth/logout', headers })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/auth/me', headers })).statusCode).toBe(401);
  });
});

describe('service surface', () => {
  it('serves JWKS with the kid used in tokens', async () => {
    const { email } = await register();
    const kid = decodePart((await login(email)).accessToken, 0).kid;
    const res = await app.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid })]);
    expect(JSON.stringify(res.json())).not.toContain('"d"');
  });

  it('serves its OpenAPI document with every public route', async () => {
    expect(await documentedPaths(app, 'auth')).toEqual(['/auth/.well-known/jwks.json', '/auth/login', '/auth/logout', '/auth/me', '/auth/refresh', '/auth/register']);
  });

  it('answers unknown routes with problem+json 404, security headers and X-Served-By', async () => {
    const res = await app.inject({ method: 'GET', url: '/auth/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-served-by']).toBe('auth-test');
  });

  it('reports health and readiness with Postgres and Redis checks', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
  });

  it('refuses CORS from origins not in the allow-list', async () => {
    const res = await app.inject({ method: 'OPTIONS', url: '/auth/login', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
