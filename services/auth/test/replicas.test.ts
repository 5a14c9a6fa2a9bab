// Two auth replicas as real processes sharing Postgres and Redis: whatever one replica creates
// or revokes, the other honours. This is the stateless claim for auth, tested end to end.
import { fileURLToPath } from 'node:url';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';

const cwd = fileURLToPath(new URL('..', import.meta.url));
let a: ServiceProcess;
let b: ServiceProcess;

async function call(replica: ServiceProcess, method: string, path: string, opts: { body?: unknown; token?: string; cookie?: string; ip?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.ip) headers['x-forwarded-for'] = opts.ip;
  const res = await fetch(`${replica.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, servedBy: res.headers.get('x-served-by'), setCookie: res.headers.get('set-cookie'), json: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  const env = testEnv({ LOGIN_RATE_LIMIT_PER_MINUTE: '6', LOG_LEVEL: 'warn' });
  [a, b] = await Promise.all([startService({ name: 'auth-a', cwd, env }), startService({ name: 'auth-b', cwd, env })]);
});
afterAll(async () => {
  await Promise.all([a && stopService(a), b && stopService(b)]);
});

describe('two auth replicas', { tags: ['timing'] }, () => {
  it('accept each other’s tokens and honour a logout made on the other within a second', async () => {
    const email = uniqueEmail('replica');
    expect((await call(a, 'POST', '/auth/register', { body: { email, password: TEST_PASSWORD }, ip: '10.1.0.1' })).status).toBe(201);
    const login = await call(a, 'POST', '/auth/login', { body: { email, password: TEST_PASSWORD }, ip: '10.1.0.1' });
    expect(login.servedBy).toBe('auth-a');
    const onB = await call(b, 'GET', '/auth/me', { token: login.json.accessToken });
    expect(onB.status).toBe(200);
    expect(onB.servedBy).toBe('auth-b');

    const refreshed = await call(b, 'POST', '/auth/refresh', { body: { refreshToken: login.json.refreshToken } });
    expect(refreshed.status).toBe(200);

    expect((await call(b, 'POST', '/auth/logout', { token: refreshed.json.accessToken })).status).toBe(204);
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 1000) {
      status = (await call(a, 'GET', '/auth/me', { token: refreshed.json.accessToken })).status;
      if (status === 401) break;
    }
    expect(status).toBe(401);
    expect((await call(a, 'POST', '/auth/refresh', { body: { refreshToken: refreshed.json.refreshToken } })).status).toBe(401);
  });

  it('share cookie sessions', async () => {
    const email = uniqueEmail('cookie');
    await call(b, 'POST', '/auth/register', { body: { email, password: TEST_PASSWORD }, ip: '10.1.0.2' });
    const login = await call(b, 'POST', '/auth/login', { body: { email, password: TEST_PASSWORD, mode: 'cookie' }, ip: '10.1.0.2' });
    const cookie = (login.setCookie ?? '').split(';')[0] as string;
    expect(cookie).toMatch(/^anypod_session=/);
    expect((await call(a, 'GET', '/auth/me', { cookie })).status).toBe(200);
    expect((await call(a, 'POST', '/auth/logout', { cookie })).status).toBe(204);
    expect((await call(b, 'GET', '/auth/me', { cookie })).status).toBe(401);
  });

  it('share per-IP rate-limit counts (6 per minute in total, not per replica)', async () => {
    const ip = `10.2.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const replica = i % 2 === 0 ? a : b;
      statuses.push((await call(replica, 'POST', '/auth/login', { body: { email: uniqueEmail('rl'), password: TEST_PASSWORD }, ip })).status);
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
  });
});
