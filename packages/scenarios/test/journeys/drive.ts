// Runs journeys against the FakeShop on a virtual clock: each request takes 5 ms, a sleep
// advances the clock, VUs interleave one action at a time. Deterministic, no timers, no sockets.
import type { FinalState, Operation } from '../../src/history.ts';
import { createShopper, type Action, type Observation, type Sent, type Shopper, type ShopperOptions, type Step } from '../../src/journeys/index.ts';
import * as api from '../../src/requests.ts';
import type { FakeShop } from '../fake-shop.ts';

export const REQUEST_MS = 5;

export interface Driven {
  operations: Operation[];
  observations: Observation[];
  shoppers: Shopper[];
  /** every request sent, in order */
  sent: Array<{ vu: number; method: string; path: string; headers: Record<string, string>; body?: string }>;
}

export function driveShoppers(shop: FakeShop, opts: { vus: number; durationMs: number; seed?: number } & Partial<ShopperOptions>): Driven {
  let now = 0;
  const operations: Operation[] = [];
  const observations: Observation[] = [];
  const sent: Driven['sent'] = [];
  const shoppers = Array.from({ length: opts.vus }, (_, i) =>
    createShopper({
      runId: 'test',
      seed: opts.seed ?? 7,
      clock: () => now,
      stopAtMs: opts.durationMs,
      record: (op) => operations.push(op),
      observe: (o) => observations.push(o),
      ...opts,
      vu: i + 1,
    }),
  );
  // Each VU is a journey, the time it is due to resume, and what it resumes with.
  const vus = shoppers.map((s, i) => ({ vu: i + 1, journey: s.run() as Step, due: 0, resume: undefined as Sent | undefined, done: false }));
  for (;;) {
    const live = vus.filter((v) => !v.done);
    if (live.length === 0) break;
    const v = live.reduce((a, b) => (b.due < a.due ? b : a));
    now = Math.max(now, v.due);
    const step = v.journey.next(v.resume);
    if (step.done) {
      v.done = true;
      continue;
    }
    const action: Action = step.value;
    if (action.type === 'ready') {
      v.resume = undefined;
      continue;
    }
    if (action.type === 'sleep') {
      v.due = now + action.ms;
      v.resume = undefined;
      continue;
    }
    sent.push({ vu: v.vu, ...action.request });
    const { response } = shop.handle(action.request);
    v.resume = { response, startMs: now, durationMs: REQUEST_MS };
    v.due = now + REQUEST_MS;
  }
  return { operations, observations, shoppers, sent };
}

/** The read-back through the shop's front door (one answer per user, like the real driver). */
export function readBack(shop: FakeShop, shoppers: readonly Shopper[]): FinalState[] {
  shop.faultsOn = false;
  return shoppers.map((s) => {
    const token = s.session.accessToken ?? '';
    const cart = JSON.parse(shop.handle(api.getCart(token)).response.body) as { lines: FinalState['cart'] };
    const orders = JSON.parse(shop.handle(api.listOrders(token, 100)).response.body) as { orders: FinalState['orders'] };
    return { user: s.session.user, cart: cart.lines, orders: orders.orders.map((o) => ({ id: o.id, lines: o.lines.map(({ productId, quantity }) => ({ productId, quantity })) })) };
  });
}
