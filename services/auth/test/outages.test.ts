// Postgres down: 503 with Retry-After (never 500), liveness stays green so nothing restarts the
// pod, readiness turns red, and the service recovers by itself when the database returns.
// Redis down: auth keeps working (cache bypass; denylist and limits fail open).
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@anypod/platform/testing/env';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';

let app: FastifyInstance;
let pgLink: TcpLink;
let redisLink: TcpLink;

beforeAll(async () => {
  const pgUrl = new URL(TEST_DATABASE_URL);
  const redisUrl = new URL(TEST_REDIS_URL);
  pgLink = await tcpLink(Number(pgUrl.port));
  redisLink = await tcpLink(Number(redisUrl.port));
  pgUrl.port = String(pgLink.port);
  redisUrl.port = String(redisLink.port);
  app = await buildAuth({ DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl.toString() });
});
afterAll(async () => {
  await app?.close();
  await pgLink?.close();
  await redisLink?.close();
});

const login = (email: string) => app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: TEST_PASSWORD } });

describe('outages', () => {
  it('Postgres down → 503 + Retry-After, live but unready; recovers without restart', async () => {
    const email = uniqueEmail('outage');
    expect((await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } })).statusCode).toBe(201);
    pgLink.set('refuse');
    const down = await login(email);
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('2');
    expect(down.headers['content-type']).toContain('application/problem+json');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);

    pgLink.set('pass');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await login(email)).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('Redis down → login, me and logout still work; readiness reports degraded, not unready', async () => {
    const email = uniqueEmail('redis-down');
    await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: TEST_PASSWORD } });
    redisLink.set('refuse');
    try {
      const res = await login(email);
      expect(res.statusCode).toBe(200);
      const token = res.json().accessToken;
      expect((await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().status).toBe('degraded');
      expect((await app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(204);
      // The family is revoked in Postgres, so auth refuses the token even without the denylist.
      expect((await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    } finally {
      redisLink.set('pass');
    }
  });
});
