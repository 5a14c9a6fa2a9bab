import { describe, expect, it } from 'vitest';
import { createSessionPods, createShopper, readBack, type Sent, type Step } from '../../src/journeys/index.ts';
import type { HttpRequest } from '../../src/requests.ts';
import { FakeShop } from '../fake-shop.ts';

const REPLICAS = ['pod-a', 'pod-b', 'pod-c'];

/** Drives one journey against the shop on a virtual clock; every request goes to `onSent`. */
function drive<T>(shop: FakeShop, journey: Step<T>, clock: { now: number }, onSent: (request: HttpRequest, sent: Sent) => void = () => undefined): T {
  let step = journey.next();
  while (!step.done) {
    const action = step.value;
    if (action.type === 'send') {
      const sent: Sent = { response: shop.handle(action.request).response, startMs: clock.now, durationMs: 5 };
      clock.now += 5;
      onSent(action.request, sent);
      step = journey.next(sent);
    } else {
      if (action.type === 'sleep') clock.now += action.ms;
      step = journey.next(undefined);
    }
  }
  return step.value;
}

/** A k6-style VU: sign in, then one round per iteration, the way load-tests/lib/shopper-vu.ts runs it. */
function shopInRounds(shop: FakeShop, rounds: number) {
  const clock = { now: 0 };
  const pods = createSessionPods();
  const requests: HttpRequest[] = [];
  const shopper = createShopper({ vu: 1, runId: 'pods', seed: 3, clock: () => clock.now, stopAtMs: Number.POSITIVE_INFINITY, record: () => undefined, observe: (o) => pods.observed(o) });
  const onSent = (request: HttpRequest, sent: Sent) => {
    requests.push(request);
    pods.answered(request, sent);
  };
  expect(drive(shop, shopper.signIn(), clock, onSent)).toBe(true);
  for (let i = 0; i < rounds; i++) drive(shop, shopper.round(), clock, onSent);
  return { pods, requests, shopper, clock };
}

describe('session pods', () => {
  it('counts every pod of each service when state is shared', () => {
    const { pods } = shopInRounds(new FakeShop({ replicas: REPLICAS }), 20);
    expect(pods.counts()).toEqual({ auth: 3, catalog: 3, cart: 3 });
  });

  it('counts no pod that answered the session wrongly when each pod keeps its own state', () => {
    const counts = shopInRounds(new FakeShop({ replicas: REPLICAS, stateful: true }), 20).pods.counts();
    expect(counts.catalog).toBe(3);
    // Only the session's own pod (if any) answers it correctly: never two.
    expect(counts.cart).toBeLessThan(2);
    expect(counts.auth).toBeLessThan(2);
  });

  it('counts answers only from requests that carry the session, for auth and cart', () => {
    const pods = createSessionPods();
    const answer = (pod: string, status = 200): Sent => ({ response: { status, headers: { 'x-served-by': pod }, body: '' }, startMs: 0, durationMs: 1 });
    pods.answered({ method: 'POST', path: '/auth/login', headers: {} }, answer('auth-1'));
    pods.answered({ method: 'GET', path: '/auth/me', headers: { cookie: 's=1' } }, answer('auth-2'));
    pods.answered({ method: 'GET', path: '/auth/me', headers: { cookie: 's=1' } }, answer('auth-3', 401));
    pods.answered({ method: 'GET', path: '/catalog/products', headers: {} }, answer('catalog-1'));
    pods.answered({ method: 'GET', path: '/cart', headers: { authorization: 'Bearer t' } }, answer('cart-1'));
    pods.answered({ method: 'GET', path: '/cart', headers: { authorization: 'Bearer t' } }, answer('cart-2'));
    pods.observed({ type: 'missing-lines', user: 'u', atMs: 0, servedBy: 'cart-2', missing: ['p'] });
    expect(pods.counts()).toEqual({ auth: 1, catalog: 1, cart: 1 });
  });
});

describe('the shopper in pieces', () => {
  it('sends what run() sends: signIn() then round() after round() is the same journey', () => {
    const whole: string[] = [];
    const clock = { now: 0 };
    const rounds = shopInRounds(new FakeShop({ replicas: REPLICAS }), 12);
    const shopper = createShopper({ vu: 1, runId: 'pods', seed: 3, clock: () => clock.now, stopAtMs: () => (whole.length < rounds.requests.length ? Number.POSITIVE_INFINITY : 0), record: () => undefined });
    const journey = shopper.run();
    let step = journey.next();
    const shop = new FakeShop({ replicas: REPLICAS });
    while (!step.done) {
      const action = step.value;
      if (action.type === 'send') {
        whole.push(`${action.request.method} ${action.request.path} ${action.request.body ?? ''}`);
        const sent: Sent = { response: shop.handle(action.request).response, startMs: clock.now, durationMs: 5 };
        clock.now += 5;
        step = journey.next(sent);
      } else {
        if (action.type === 'sleep') clock.now += action.ms;
        step = journey.next(undefined);
      }
    }
    const pieces = rounds.requests.map((r) => `${r.method} ${r.path} ${r.body ?? ''}`);
    expect(whole.length).toBeGreaterThanOrEqual(pieces.length);
    expect(whole.slice(0, pieces.length)).toEqual(pieces);
  });

  it('reads back what the shopper wrote, and says why when it cannot', () => {
    const shop = new FakeShop({ replicas: REPLICAS });
    const { shopper, clock } = shopInRounds(shop, 10);
    const result = drive(shop, readBack(shopper.session), clock);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.final.user).toBe(shopper.session.user);
    const stranger = drive(shop, readBack({ vu: 9, user: 'nobody', email: 'nobody@proof.anypod.test', password: 'wrong' }, { attempts: 2 }), clock);
    expect(stranger).toEqual({ ok: false, user: 'nobody', reason: 'could not log in' });
  });
});
