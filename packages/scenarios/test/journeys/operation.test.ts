import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src/history.ts';
import { perform, type Action, type OperationContext, type OperationSpec, type Sent } from '../../src/journeys/index.ts';
import * as api from '../../src/requests.ts';
import type { HttpRequest, HttpResponse } from '../../src/requests.ts';

/** Runs one operation against scripted answers; returns the recorded operation and what was sent. */
function run(spec: OperationSpec, answers: HttpResponse[], stopAfterSends?: number, retry?: OperationContext['retry']) {
  let now = 0;
  const recorded: Operation[] = [];
  const sent: HttpRequest[] = [];
  const sleeps: number[] = [];
  const ctx: OperationContext = { vu: 1, user: 'u1', clock: () => now, random: () => 0.5, nextId: () => 'op1', record: (op) => recorded.push(op), ...(retry ? { retry } : {}) };
  const gen = perform(ctx, spec);
  let step = gen.next();
  while (!step.done) {
    const action: Action = step.value;
    if (action.type === 'ready') throw new Error('perform never waits for the other VUs');
    if (action.type === 'sleep') {
      sleeps.push(action.ms);
      now += action.ms;
      step = gen.next(undefined);
      continue;
    }
    if (stopAfterSends !== undefined && sent.length === stopAfterSends) {
      now += 3;
      gen.return({ op: recorded[0] as Operation });
      break;
    }
    sent.push(action.request);
    const response = answers.shift() ?? { status: 0, headers: {}, body: '', error: 'ECONNRESET' };
    const startMs = now;
    now += 10;
    step = gen.next({ response, startMs, durationMs: 10 } satisfies Sent);
  }
  return { op: recorded[0] as Operation, recorded, sent, sleeps };
}

const answer = (status: number, replica = 'cart-a', body: unknown = {}, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'x-served-by': replica, ...headers },
  body: JSON.stringify(body),
});
const reset: HttpResponse = { status: 0, headers: {}, body: '', error: 'ECONNRESET' };
const add = (): OperationSpec => ({ kind: 'add', request: api.addItem('t', { productId: 'sku-1', quantity: 2 }, 'key-00000001'), idempotencyKey: 'key-00000001', productId: 'sku-1', quantity: 2 });

describe('perform', () => {
  it('records one acknowledged attempt with its replica and timing', () => {
    const { op, recorded } = run(add(), [answer(200, 'cart-b')]);
    expect(recorded).toHaveLength(1);
    expect(op).toMatchObject({ id: 'op1', vu: 1, user: 'u1', kind: 'add', outcome: 'ok', idempotencyKey: 'key-00000001', productId: 'sku-1', quantity: 2 });
    expect(op.attempts).toEqual([{ startMs: 0, durationMs: 10, status: 200, servedBy: 'cart-b' }]);
  });

  it('retries an indeterminate write with the same key and the same bytes, then takes the replay', () => {
    const { op, sent } = run(add(), [reset, answer(502, 'cart-c', { title: 'Bad Gateway' }), answer(200, 'cart-a', {}, { 'idempotent-replayed': 'true' })]);
    expect(op.outcome).toBe('ok');
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(op.attempts.map((a) => [a.status, a.servedBy, a.error])).toEqual([
      [0, undefined, 'ECONNRESET'],
      [502, 'cart-c', 'Bad Gateway'],
      [200, 'cart-a', undefined],
    ]);
  });

  it('retries to its deadline, not for a count, and leaves the operation indeterminate', () => {
    const policy = { deadlineMs: 2_000, baseDelayMs: 100, maxDelayMs: 1_000 };
    const { op, sent, sleeps } = run(add(), [], undefined, policy);
    expect(op.outcome).toBe('info');
    // Backoff 75, 150, 300, 600, then 750 ms (jitter at its middle), each attempt taking 10 ms:
    // the sixth attempt starts at 1925 ms; a seventh would start at 2685 ms, past the deadline.
    expect(sleeps).toEqual([75, 150, 300, 600, 750]);
    expect(sent).toHaveLength(6);
    const starts = op.attempts.map((a) => a.startMs);
    expect(Math.max(...starts)).toBeLessThanOrEqual(policy.deadlineMs);
  });

  it('waits what Retry-After asks when the deadline allows it, and stops when it does not', () => {
    const policy = { deadlineMs: 5_000, baseDelayMs: 100, maxDelayMs: 1_000 };
    const inFlight = (seconds: number) => answer(409, 'cart-b', {}, { 'retry-after': String(seconds) });
    const waited = run(add(), [inFlight(3), answer(200)], undefined, policy);
    expect(waited.sleeps).toEqual([3_000]);
    expect(waited.op.outcome).toBe('ok');
    const tooLong = run(add(), [inFlight(3), inFlight(3), answer(200)], undefined, policy);
    expect(tooLong.sleeps).toEqual([3_000]);
    expect(tooLong.sent).toHaveLength(2);
    expect(tooLong.op.outcome).toBe('info');
  });

  it('does not retry a definite refusal', () => {
    const { op, sent } = run(add(), [answer(422, 'cart-a', { title: 'Unprocessable Content', detail: 'key reused' })]);
    expect(sent).toHaveLength(1);
    expect(op.outcome).toBe('fail');
    expect(op.attempts[0]?.error).toBe('Unprocessable Content: key reused');
  });

  it('retries an indeterminate PATCH with the same If-Match; without a key its 412 proves nothing, so it stays info', () => {
    const spec: OperationSpec = { kind: 'set', request: api.setItemQuantity('t', 'sku-1', 3, '"v4"'), productId: 'sku-1', quantity: 3 };
    const { op, sent } = run(spec, [reset, answer(412, 'cart-b', { title: 'Precondition Failed' })]);
    expect(sent.map((r) => r.headers['if-match'])).toEqual(['"v4"', '"v4"']);
    expect(op.outcome).toBe('info');
  });

  it('takes the 412 of a keyed PATCH as final: had the first attempt landed, its key would have replayed it', () => {
    const spec: OperationSpec = { kind: 'set', request: api.setItemQuantity('t', 'sku-1', 3, '"v4"', 'key-00000002'), idempotencyKey: 'key-00000002', productId: 'sku-1', quantity: 3 };
    expect(run(spec, [reset, answer(412, 'cart-b', { title: 'Precondition Failed' })]).op.outcome).toBe('fail');
  });

  it('takes a 409 in flight as info and keeps retrying until the replay', () => {
    const { op, sent } = run(add(), [reset, answer(409, 'cart-b', {}, { 'retry-after': '1' }), answer(200)]);
    expect(sent).toHaveLength(3);
    expect(op.outcome).toBe('ok');
  });

  it('lets an operation read an answer its own way (register: 409 after an unclear attempt is our account)', () => {
    const spec: OperationSpec = {
      kind: 'register',
      request: api.register('a@b.test', 'password1'),
      classify: (r, previous) => (r.status === 409 && previous.some((v) => v.outcome === 'info') ? { outcome: 'ok', retryable: false } : undefined),
    };
    expect(run(spec, [reset, answer(409)]).op.outcome).toBe('ok');
    expect(run(spec, [answer(409)]).op.outcome).toBe('fail');
  });

  it('takes fields from the acknowledged answer (a checkout order id)', () => {
    const spec: OperationSpec = { kind: 'checkout', request: api.checkout('t', 'key-00000003'), idempotencyKey: 'key-00000003', fromAnswer: (s) => ({ orderId: (JSON.parse(s.response.body) as { id: string }).id }) };
    expect(run(spec, [answer(201, 'cart-a', { id: 'o-1' })]).op).toMatchObject({ outcome: 'ok', orderId: 'o-1' });
  });

  it('still records an operation cut off at the end of the run, as indeterminate', () => {
    // Cut off while the retry was on the wire: that attempt may have landed.
    const { recorded } = run(add(), [reset], 1);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.outcome).toBe('info');
    expect(recorded[0]?.attempts.map((a) => [a.status, a.error])).toEqual([
      [0, 'ECONNRESET'],
      [0, 'abandoned at the end of the run'],
    ]);
  });
});
