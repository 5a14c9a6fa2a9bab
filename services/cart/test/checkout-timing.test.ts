// The timing rule of a checkout (src/lib/checkout-timing.ts) with the default settings, and the
// two places outside cart that must agree with it: catalog's cap on how long it holds stock, and
// the clients' retry deadline (@anypod/scenarios, used by the load driver and the k6 scripts).
import { loadConfig } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import { DEFAULT_RETRY } from '@anypod/scenarios/journeys/index';
import { catalogConfig } from '@anypod/catalog/config';
import { describe, expect, it } from 'vitest';
import { checkoutTiming } from '../src/lib/checkout-timing.ts';
import { cartConfig } from '../src/config.ts';

const urls = { AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json', CATALOG_URL: 'http://127.0.0.1:9' };
const defaults = checkoutTiming(loadConfig(cartConfig, testEnv(urls)));

describe('checkoutTiming', () => {
  it('derives every bound from the lease and the catalog budget (defaults: 5 s lease, 3 × 1 s catalog attempts)', () => {
    expect(defaults).toEqual({
      catalogCallMs: 3 * 1000 + 100 + 300,
      workMs: 2 * 3400 + 1000,
      leaseMs: 5000,
      heartbeatMs: 1666,
      holdSeconds: 9,
      clientDeadlineMs: 7800 + 5000 + 1000 + 7800,
    });
  });

  it('renews a lease three times before it could lapse, and holds stock longer than an owner may work', () => {
    for (const lease of [1, 2, 5, 60]) {
      for (const [timeout, retries] of [[100, 0], [1000, 2], [10_000, 2]] as const) {
        const t = checkoutTiming({ IDEMPOTENCY_LEASE_SECONDS: lease, CATALOG_TIMEOUT_MS: timeout, CATALOG_RETRIES: retries });
        expect(t.heartbeatMs * 3).toBeLessThanOrEqual(t.leaseMs);
        expect(t.holdSeconds * 1000).toBeGreaterThan(t.workMs);
        expect(t.clientDeadlineMs).toBeGreaterThanOrEqual(t.leaseMs + 2 * t.workMs);
      }
    }
  });

  it('asks catalog for a hold its default cap grants', () => {
    const catalog = loadConfig(catalogConfig, testEnv({ AUTH_JWKS_URL: urls.AUTH_JWKS_URL }));
    expect(defaults.holdSeconds).toBeLessThanOrEqual(catalog.RESERVATION_MAX_HOLD_SECONDS);
    // Even the slowest catalog settings cart accepts stay within it.
    const slowest = checkoutTiming({ IDEMPOTENCY_LEASE_SECONDS: 60, CATALOG_TIMEOUT_MS: 10_000, CATALOG_RETRIES: 2 });
    expect(slowest.holdSeconds).toBeLessThanOrEqual(catalog.RESERVATION_MAX_HOLD_SECONDS);
  });

  it('is covered by the clients\' default retry deadline, so no checkout stays indeterminate when the server would answer', () => {
    expect(DEFAULT_RETRY.deadlineMs).toBeGreaterThanOrEqual(defaults.clientDeadlineMs);
  });
});
