import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/checker.ts';
import type { Operation } from '../../src/history.ts';
import { sessionStats } from '../../src/sessions.ts';
import { createShopper } from '../../src/journeys/index.ts';
import { FakeShop } from '../fake-shop.ts';
import { driveShoppers, readBack } from './drive.ts';

const kinds = (ops: readonly Operation[]) => new Set(ops.map((o) => o.kind));

describe('the shopper journey', () => {
  it('registers, logs in (tokens and a cookie session), browses, adds, reads, edits, checks out', () => {
    const shop = new FakeShop();
    const { operations, sent, shoppers } = driveShoppers(shop, { vus: 4, durationMs: 20_000 });
    expect([...kinds(operations)].sort()).toEqual(['add', 'browse', 'checkout', 'login', 'read', 'register', 'remove', 'set']);
    expect(operations.every((o) => o.outcome === 'ok')).toBe(true);
    // One account per VU, one register each.
    expect(new Set(shoppers.map((s) => s.session.user)).size).toBe(4);
    expect(operations.filter((o) => o.kind === 'register')).toHaveLength(4);
    // Browsing puts the whole query in the URL, with varied sorts, pages and filters.
    const listings = sent.filter((r) => r.path.startsWith('/catalog/products?'));
    expect(new Set(listings.map((r) => /sort=([^&]+)/.exec(r.path)?.[1])).size).toBeGreaterThanOrEqual(3);
    expect(listings.some((r) => r.path.includes('category='))).toBe(true);
    expect(listings.some((r) => r.path.includes('minPrice=') && r.path.includes('maxPrice='))).toBe(true);
    expect(listings.some((r) => /page=([2-9]|\d\d)/.test(r.path))).toBe(true);
    // Every write carries a fresh Idempotency-Key; edits carry the ETag they read.
    const writes = operations.filter((o) => ['add', 'set', 'remove', 'checkout'].includes(o.kind));
    expect(new Set(writes.map((o) => o.idempotencyKey)).size).toBe(writes.length);
    const edits = sent.filter((r) => r.method === 'PATCH' || r.method === 'DELETE');
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.every((r) => /^"v\d+"$/.test(r.headers['if-match'] ?? ''))).toBe(true);
    // The history checks out against what the shop holds.
    const result = checkHistory(operations, readBack(shop, shoppers));
    expect(result.valid).toBe(true);
    expect(result.writes.acknowledged).toBe(writes.length);
  });

  it('adds distinct products within a round, and checkouts record the order id', () => {
    const shop = new FakeShop();
    const { operations } = driveShoppers(shop, { vus: 2, durationMs: 15_000 });
    const checkouts = operations.filter((o) => o.kind === 'checkout');
    expect(checkouts.length).toBeGreaterThan(0);
    expect(checkouts.every((o) => typeof o.orderId === 'string')).toBe(true);
    // Between two reads of one VU, the adds name different products.
    for (const vu of [1, 2]) {
      let round = new Set<string>();
      for (const op of operations.filter((o) => o.vu === vu)) {
        if (op.kind === 'read') round = new Set();
        if (op.kind !== 'add') continue;
        expect(round.has(op.productId as string)).toBe(false);
        round.add(op.productId as string);
      }
    }
  });

  it('runs its operations one at a time (the checker relies on it) and starts none after the end', () => {
    const { operations } = driveShoppers(new FakeShop(), { vus: 3, durationMs: 5_000 });
    for (const vu of [1, 2, 3]) {
      const attempts = operations.filter((o) => o.vu === vu).flatMap((o) => o.attempts).sort((a, b) => a.startMs - b.startMs);
      for (let i = 1; i < attempts.length; i++) {
        const prev = attempts[i - 1] as (typeof attempts)[number];
        expect(attempts[i]?.startMs).toBeGreaterThanOrEqual(prev.startMs + prev.durationMs);
      }
    }
    expect(Math.max(...operations.map((o) => o.attempts[0]?.startMs ?? 0))).toBeLessThan(5_000);
  });

  it('signs in first, then says it is ready, then shops', () => {
    const shopper = createShopper({ vu: 1, runId: 't', seed: 1, clock: () => 0, stopAtMs: 1, record: () => undefined });
    const shop = new FakeShop();
    const journey = shopper.run();
    const seen: string[] = [];
    let step = journey.next();
    while (!step.done) {
      const action = step.value;
      if (action.type === 'ready') {
        seen.push('ready');
        break;
      }
      if (action.type === 'send') seen.push(`${action.request.method} ${action.request.path}`);
      step = journey.next(action.type === 'send' ? { response: shop.handle(action.request).response, startMs: 0, durationMs: 1 } : undefined);
    }
    expect(seen).toEqual(['POST /auth/register', 'POST /auth/login', 'POST /auth/login', 'ready']);
  });

  it('gives up signing in after five refused logins, without shopping', () => {
    const shop = new FakeShop();
    const original = shop.handle.bind(shop);
    shop.handle = (r) => (r.path === '/auth/login' ? { response: { status: 401, headers: {}, body: '{}' }, drop: false } : original(r));
    const { operations } = driveShoppers(shop, { vus: 1, durationMs: 60_000 });
    expect(operations.map((o) => o.kind)).toEqual(['register', 'login', 'login', 'login', 'login', 'login']);
  });

  it('leaves scarce products alone (a stock refusal says nothing about replicas)', () => {
    const { operations } = driveShoppers(new FakeShop(), { vus: 2, durationMs: 5_000, behaviour: { minStock: 2_000 } });
    expect(operations.some((o) => o.kind === 'add')).toBe(false);
  });

  it('is deterministic for a seed, and differs between seeds', () => {
    const summary = (seed: number) => driveShoppers(new FakeShop(), { vus: 2, durationMs: 5_000, seed }).sent.map((r) => `${r.method} ${r.path} ${r.body ?? ''}`);
    expect(summary(3)).toEqual(summary(3));
    expect(summary(3)).not.toEqual(summary(4));
  });

  it('spreads a session over every replica when any replica may answer', () => {
    const { operations } = driveShoppers(new FakeShop({ replicas: ['cart-a', 'cart-b', 'cart-c'] }), { vus: 3, durationMs: 5_000 });
    expect(sessionStats(operations).minDistinctPods).toBe(3);
  });

  it('retries through dropped connections and 503s with the same key: nothing lost, nothing applied twice', () => {
    // Every 7th request dies after its effect, every 11th before it, every 13th gets a 503.
    const shop = new FakeShop({ fault: (_r, n) => (n % 7 === 0 ? 'drop-after' : n % 11 === 0 ? 'drop-before' : n % 13 === 0 ? '503' : undefined) });
    const { operations, shoppers } = driveShoppers(shop, { vus: 4, durationMs: 20_000 });
    expect(operations.some((o) => o.attempts.length > 1)).toBe(true);
    // Retries reuse the key, so the shop applied each add once at most.
    const adds = shop.applied.filter((a) => a.startsWith('add '));
    expect(adds.length).toBeLessThanOrEqual(operations.filter((o) => o.kind === 'add').length);
    const result = checkHistory(operations, readBack(shop, shoppers));
    expect(result.anomalies).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('notices a cart that forgot acknowledged lines and a session that stopped working (state per replica)', () => {
    const shop = new FakeShop({ stateful: true });
    const { operations, observations, shoppers } = driveShoppers(shop, { vus: 3, durationMs: 10_000 });
    expect(observations.some((o) => o.type === 'missing-lines')).toBe(true);
    expect(observations.some((o) => o.type === 'session-lost' && o.via === 'cookie')).toBe(true);
    const result = checkHistory(operations, readBack(shop, shoppers));
    expect(result.valid).toBe(false);
    expect(result.writes.lost).toBeGreaterThan(0);
  });

  it('re-reads the cart after a definite 412 instead of retrying the stale edit', () => {
    // Every PATCH/DELETE is refused as stale: the journey must not resend it.
    const shop = new FakeShop();
    const original = shop.handle.bind(shop);
    shop.handle = (request) =>
      request.method === 'PATCH' || request.method === 'DELETE'
        ? { response: { status: 412, headers: { 'x-served-by': 'cart-a' }, body: '{"title":"Precondition Failed"}' }, drop: false }
        : original(request);
    const { operations } = driveShoppers(shop, { vus: 2, durationMs: 15_000 });
    const edits = operations.filter((o) => o.kind === 'set' || o.kind === 'remove');
    expect(edits.length).toBeGreaterThan(0);
    for (const edit of edits) {
      expect(edit.outcome).toBe('fail');
      expect(edit.attempts).toHaveLength(1);
      const mine = operations.filter((o) => o.vu === edit.vu);
      expect(mine[mine.indexOf(edit) + 1]?.kind).toBe('read');
    }
  });

  it('makes the same choices whatever transient answers it met: a retry changes no later request', () => {
    // Every 7th request answers 503 once (then the retry goes through): the requests, retries
    // folded into the one they repeat, must be those of a run that met no 503 at all.
    const folded = (sent: Array<{ method: string; path: string; body?: string; headers: Record<string, string> }>) =>
      sent
        .map((r) => `${r.method} ${r.path} ${r.headers['idempotency-key'] ?? ''} ${r.body ?? ''}`)
        .filter((r, i, all) => r !== all[i - 1]);
    const calm = folded(driveShoppers(new FakeShop(), { vus: 1, durationMs: 20_000 }).sent);
    const bumpy = driveShoppers(new FakeShop({ fault: (_r, n) => (n % 7 === 0 ? '503' : undefined) }), { vus: 1, durationMs: 20_000 });
    const retried = bumpy.operations.filter((o) => o.attempts.length > 1).length;
    expect(retried).toBeGreaterThan(5);
    const compared = Math.min(calm.length, folded(bumpy.sent).length);
    expect(compared).toBeGreaterThan(50);
    expect(folded(bumpy.sent).slice(0, compared)).toEqual(calm.slice(0, compared));
  });
});
