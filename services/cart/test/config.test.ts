// Configuration mistakes stop the service at start-up with a message naming the variable.
import { loadConfig } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import { describe, expect, it } from 'vitest';
import { cartConfig } from '../src/config.ts';

const urls = { AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json', CATALOG_URL: 'http://127.0.0.1:9' };

describe('cart configuration', () => {
  it('requires the catalog and JWKS URLs and defaults the rest', () => {
    expect(() => loadConfig(cartConfig, testEnv({ AUTH_JWKS_URL: urls.AUTH_JWKS_URL }))).toThrow(/^CATALOG_URL is required/);
    expect(() => loadConfig(cartConfig, testEnv({ CATALOG_URL: urls.CATALOG_URL }))).toThrow(/^AUTH_JWKS_URL is required/);
    expect(() => loadConfig(cartConfig, testEnv({ ...urls, IDEMPOTENCY_TTL_HOURS: '1' }))).toThrow(/^IDEMPOTENCY_TTL_HOURS is invalid/);
    expect(loadConfig(cartConfig, testEnv(urls))).toMatchObject({
      JWT_ISSUER: 'anypod-auth',
      JWT_AUDIENCE: 'anypod',
      STATE_STORE: 'shared',
      CATALOG_TIMEOUT_MS: 1000,
      CATALOG_RETRIES: 2,
      IDEMPOTENCY_LEASE_SECONDS: 5,
      IDEMPOTENCY_TTL_HOURS: 24,
    });
  });

  it('bounds the lease: a checkout is never locked out for more than a minute', () => {
    expect(() => loadConfig(cartConfig, testEnv({ ...urls, IDEMPOTENCY_LEASE_SECONDS: '61' }))).toThrow(/^IDEMPOTENCY_LEASE_SECONDS is invalid/);
    expect(() => loadConfig(cartConfig, testEnv({ ...urls, IDEMPOTENCY_LEASE_SECONDS: '0' }))).toThrow(/^IDEMPOTENCY_LEASE_SECONDS is invalid/);
  });
});
