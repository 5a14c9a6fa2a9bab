// The rules both cart stores apply the same way (src/stores/cart-store.ts), on their own: what an
// add or edit whose Idempotency-Key was taken before gets, and whether a cart still holds an order.
// Through HTTP a checkout's key reused on an add is already a 422 (the fingerprint covers the
// route); replayEarlier's refusal to take over a stopped checkout is the store contract's own
// guard, so it is shown here, where nothing in front of it decides first.
import { HttpProblem } from '@anypod/platform';
import type { IdempotencyResult } from '@anypod/platform/anypod-metrics';
import { describe, expect, it } from 'vitest';
import type { ExistingRecord } from '../src/lib/idempotency.ts';
import { holdsEvery, replayEarlier } from '../src/stores/cart-store.ts';

const FINGERPRINT = 'f'.repeat(64);
const answer = { status: 200, headers: { etag: '"3"' }, body: '{"lines":[]}' };
const record = (overrides: Partial<ExistingRecord>): ExistingRecord => ({ fingerprint: FINGERPRINT, status: 'done', leaseLeftMs: 0, response: answer, ...overrides });

/** Runs replayEarlier, returning what it answered or threw and what it told the metrics. */
function replay(existing: ExistingRecord, fingerprint = FINGERPRINT) {
  const observed: IdempotencyResult[] = [];
  try {
    return { result: replayEarlier(existing, fingerprint, (r) => observed.push(r)), observed };
  } catch (error) {
    return { error: error as HttpProblem, observed };
  }
}

describe('replayEarlier: an add or edit whose key was taken before', () => {
  it('a finished request with the same fingerprint: its answer, replayed byte for byte', () => {
    expect(replay(record({}))).toEqual({ result: { response: answer, replayed: true }, observed: ['replay'] });
  });

  it('the same key for another request: 422, whatever the record holds', () => {
    const { error, observed } = replay(record({}), 'e'.repeat(64));
    expect(error).toBeInstanceOf(HttpProblem);
    expect(error?.status).toBe(422);
    expect(observed).toEqual(['conflict']);
  });

  it('a checkout still running (its lease alive): 409 with the lease\'s time left as Retry-After', () => {
    const { error, observed } = replay(record({ status: 'in_flight', leaseLeftMs: 2_500, response: null }));
    expect(error?.status).toBe(409);
    expect(error?.extra.headers).toEqual({ 'retry-after': '3' });
    expect(observed).toEqual(['in_progress']);
  });

  it('a checkout whose owner stopped (lease expired): still 409, never taken over by an add or edit', () => {
    const { error, observed } = replay(record({ status: 'in_flight', leaseLeftMs: 0, response: null }));
    expect(error?.status).toBe(409);
    expect(error?.message).toMatch(/belongs to an unfinished checkout/);
    expect(error?.extra.headers).toEqual({ 'retry-after': '1' });
    expect(observed).toEqual(['in_progress']);
  });
});

describe('holdsEvery: does the cart still hold every ordered line', () => {
  const ordered = [
    { productId: 'p-1', quantity: 2 },
    { productId: 'p-2', quantity: 1 },
  ];

  it.each([
    ['the same lines', true, [['p-1', 2], ['p-2', 1]]],
    ['more of each, and another product', true, [['p-1', 5], ['p-2', 1], ['p-3', 9]]],
    ['one line lowered', false, [['p-1', 1], ['p-2', 1]]],
    ['one line removed', false, [['p-1', 2]]],
  ] as const)('%s: holds it is %s', (_what, holds, held) => {
    expect(holdsEvery(new Map(held), ordered)).toBe(holds);
  });

  it('no cart at all holds nothing, except an empty order', () => {
    expect(holdsEvery(undefined, ordered)).toBe(false);
    expect(holdsEvery(undefined, [])).toBe(true);
  });
});
