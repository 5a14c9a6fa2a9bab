// The users-and-tokens module every test signs in with (users.ts, @anypod/auth/testing): its
// accounts are real (the API knows them by their token), an admin's tokens carry the role, and a
// refused call fails loudly with what the API answered — against a real auth app on a port, and
// the same app through app.inject.
import { expectStatus, send } from '@anypod/scenarios/api-client';
import { me, register } from '@anypod/scenarios/requests';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { decodePart } from './jwt-forge.ts';
import { newAccount, TEST_PASSWORD } from './users.ts';

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = await buildAuth();
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => app?.close());

describe('newAccount', () => {
  it('registers and signs in: the API knows the account by its access token', async () => {
    const account = await newAccount(url, 'users-test');
    expect(account.email).toMatch(/^users-test-.+@example\.test$/);
    const answer = await send(url, me({ accessToken: account.accessToken }));
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ id: account.id, email: account.email });
    expect(account.refreshToken.length).toBeGreaterThan(20);
  });

  it('works the same through app.inject, for an app built in the test process', async () => {
    const account = await newAccount(app, 'users-inject');
    const answer = await send(app, me({ accessToken: account.accessToken }));
    expect(answer.status, answer.body).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ id: account.id, email: account.email });
  });

  it('grants the admin role before signing in, so the tokens carry it; a user stays a user', async () => {
    const [admin, user] = await Promise.all([newAccount(url, 'users-admin', { role: 'admin' }), newAccount(url)]);
    expect(decodePart(admin.accessToken, 1)).toMatchObject({ sub: admin.id, role: 'admin' });
    expect(decodePart(user.accessToken, 1)).toMatchObject({ sub: user.id, role: 'user' });
  });

  it('fails with the request, the status and the body when the API refuses', async () => {
    const { email } = await newAccount(url);
    await expect(expectStatus(url, register(email, TEST_PASSWORD), 201)).rejects.toThrow(/^POST \/auth\/register answered 409, expected 201: \{.*"status":409/);
  });
});
