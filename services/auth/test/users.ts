// Users and tokens for every test that needs a signed-in user: the auth service's own tests, the
// other services' tests (through @anypod/auth/testing) and the cluster's tests (tools/cluster/
// testing.ts). Accounts are made through the public API, with the request builders the load
// and k6 send (@anypod/scenarios), so a test signs in exactly as a user does.
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import { expectStatus, type ApiTarget } from '@anypod/scenarios/api-client';
import { login, register } from '@anypod/scenarios/requests';
import pg from 'pg';

/** The password of every test account: long enough for the password policy. */
export const TEST_PASSWORD = 'correct horse battery staple';

let counter = 0;
/** A unique email per call so tests never collide with each other or with earlier runs. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${Date.now().toString(36)}-${process.pid}-${counter++}@example.test`;
}

/** A signed-in account: what register and login answered. */
export interface Account {
  id: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

export interface AccountOptions {
  /** 'admin': granted between register and login, so the tokens carry it (default: 'user') */
  role?: 'user' | 'admin';
  /** the database of the auth service at `baseUrl`, for granting a role (default: the tests') */
  databaseUrl?: string;
}

/** Registers a fresh account through `baseUrl` (a service or an Ingress, or an app built in the test) and logs in. */
export async function newAccount(baseUrl: ApiTarget, tag = 'user', options: AccountOptions = {}): Promise<Account> {
  const email = uniqueEmail(tag);
  const { json: registered } = await expectStatus<{ id: string }>(baseUrl, register(email, TEST_PASSWORD), 201);
  if (options.role === 'admin') await grantAdmin(registered.id, options.databaseUrl);
  const { json: tokens } = await expectStatus<{ accessToken: string; refreshToken: string }>(baseUrl, login(email, TEST_PASSWORD), 200);
  return { id: registered.id, email, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

/**
 * Makes the user an admin. Roles are granted by operators, not by an API: do what an operator
 * would, in SQL, on the database the auth service under test uses.
 */
export async function grantAdmin(userId: string, databaseUrl = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('UPDATE auth.users SET role = $1 WHERE id = $2', ['admin', userId]);
  } finally {
    await client.end();
  }
}
