// The heartbeat of a checkout's owner (lib/lease-keeper.ts): it renews while the owner works,
// only while the lease is still the owner's, and never past the work's own deadline — so an owner
// that is alive but hung loses the key like a dead one, and whatever it finishes late is refused.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestFingerprint } from '../src/lib/idempotency.ts';
import { keepLease } from '../src/lib/lease-keeper.ts';
import { orderIdFor, reservationIdFor } from '../src/lib/order-ids.ts';
import { buildCart } from './helper.ts';

describe('keepLease, on a fake clock', () => {
  afterEach(() => vi.useRealTimers());

  it('renews every interval until the deadline, then never again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let renewals = 0;
    const keeper = keepLease({ renew: async () => (renewals++, true), everyMs: 100, deadlineMs: 450, onError: () => undefined });
    await vi.advanceTimersByTimeAsync(450);
    expect(renewals).toBe(4); // at 100, 200, 300, 400 ms
    expect(keeper.remainingMs()).toBeLessThanOrEqual(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(renewals).toBe(4);
    expect(keeper.lost.aborted).toBe(false);
  });

  it('signals the loss and stops once a renewal finds the lease taken over; keeps trying through errors', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const answers: Array<boolean | Error> = [true, new Error('database busy'), true, false, true];
    const errors: string[] = [];
    let calls = 0;
    const keeper = keepLease({
      renew: async () => {
        const answer = answers[calls++] as boolean | Error;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      everyMs: 100,
      deadlineMs: 10_000,
      onError: (error) => errors.push(error.message),
    });
    await vi.advanceTimersByTimeAsync(350);
    expect(keeper.lost.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(keeper.lost.aborted).toBe(true);
    expect(errors).toEqual(['database busy']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(4);
  });

  it('stops when told to', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    let renewals = 0;
    const keeper = keepLease({ renew: async () => (renewals++, true), everyMs: 100, deadlineMs: 10_000, onError: () => undefined });
    await vi.advanceTimersByTimeAsync(250);
    keeper.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(renewals).toBe(2);
  });
});

describe('an owner alive but hung, on real Postgres', { tags: ['timing'] }, () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    // Nothing here calls auth or catalog: the store is driven directly.
    app = await buildCart({ AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json', CATALOG_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => app?.close());

  it('keeps the key past its first lease while renewing, loses it after its deadline, and is refused when it finishes', async () => {
    const LEASE_MS = 1000;
    const DEADLINE_MS = 2500;
    const store = app.cartStore;
    const userId = `lease-${randomUUID()}`;
    const key = randomUUID();
    const idem = { key, fingerprint: requestFingerprint('POST', '/cart/checkout', {}, undefined) };
    const noBody = () => ({ status: 200, headers: {}, body: '' });
    await store.add(userId, { productId: 'lease-item', quantity: 1 }, { key: randomUUID(), fingerprint: 'f'.repeat(64) }, noBody);

    const owner = await store.claimCheckout(userId, idem, LEASE_MS);
    if (owner.kind !== 'owned') throw new Error('expected to own the checkout');
    let renewals = 0;
    let fourthRenewal: () => void = () => undefined;
    const renewedFourTimes = new Promise<void>((resolve) => (fourthRenewal = resolve));
    const keeper = keepLease({
      renew: async () => {
        const renewed = await store.renewLease(userId, key, owner.leaseToken, LEASE_MS);
        if (++renewals === 4) fourthRenewal();
        return renewed;
      },
      everyMs: LEASE_MS / 3,
      deadlineMs: DEADLINE_MS,
      onError: () => undefined,
    });
    // …and the owner never gets anywhere (hung): it neither completes nor releases.

    // Four renewals a third of a lease apart: past the first lease, yet the key is still held.
    await renewedFourTimes;
    await expect(store.claimCheckout(userId, idem, LEASE_MS)).rejects.toMatchObject({ status: 409 });

    // After its deadline the heartbeat is silent; one lease later a retry takes the key over.
    const takeover = await (async () => {
      const bound = Date.now() + DEADLINE_MS + LEASE_MS + 2000;
      while (Date.now() < bound) {
        try {
          const claim = await store.claimCheckout(userId, idem, LEASE_MS);
          if (claim.kind === 'owned') return claim;
        } catch (error) {
          if ((error as { status?: number }).status !== 409) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error('the key was never taken over');
    })();
    expect(keeper.remainingMs()).toBeLessThanOrEqual(0);
    expect(takeover.leaseToken).not.toBe(owner.leaseToken);
    expect(takeover.lines).toEqual(owner.lines);

    // The hung owner comes back: it cannot renew, record or complete anything.
    expect(await store.renewLease(userId, key, owner.leaseToken, LEASE_MS)).toBe(false);
    const id = orderIdFor(userId, key);
    const late = await store.completeCheckout({
      userId,
      key,
      leaseToken: owner.leaseToken,
      order: { id, reservationId: reservationIdFor(id), lines: [{ productId: 'lease-item', quantity: 1, unitPriceCents: 100 }], totalCents: 100, createdAt: new Date() },
      claimed: owner.lines,
      stockConfirmed: true,
      respond: () => ({ status: 201, headers: {}, body: '{}' }),
      cartChanged: { status: 409, headers: {}, body: '{}' },
    });
    expect(late).toBeNull();
    expect(await store.failCheckout(userId, key, owner.leaseToken, { status: 409, headers: {}, body: '{}' })).toBe(false);
    expect(await store.listOrders(userId, 10)).toEqual([]);
    expect((await store.read(userId)).lines).toEqual([{ productId: 'lease-item', quantity: 1 }]);
    keeper.stop();
  });
});
