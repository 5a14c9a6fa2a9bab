// Test settings shared by every package: the local Postgres/Redis that `make test` (tools/infra)
// starts, and fresh secrets. Real servers on loopback, never mocks.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { LOCAL_DATABASE_URL, LOCAL_REDIS_URL } from '../local-infra.ts';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? LOCAL_DATABASE_URL;
export const TEST_REDIS_URL = process.env.REDIS_URL ?? LOCAL_REDIS_URL;

/** An ES256 private key (PKCS#8 PEM), generated once per test process. */
export const TEST_JWT_PRIVATE_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
export const TEST_REFRESH_SECRET = randomBytes(32).toString('base64url');

/** Base environment for a service under test; override per test. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    LOG_LEVEL: 'silent',
    JWT_PRIVATE_KEY: TEST_JWT_PRIVATE_KEY,
    REFRESH_TOKEN_SECRET: TEST_REFRESH_SECRET,
    COOKIE_SECURE: 'false',
    // Every test process signs in from 127.0.0.1 against one Redis: a per-IP login limit of the
    // production default (30/min) would be shared by all test files running at once. Tests of the
    // limit itself set it low and use their own X-Forwarded-For addresses.
    LOGIN_RATE_LIMIT_PER_MINUTE: '100000',
    ...overrides,
  };
}
