import { describe, expect, it } from 'vitest';
import { backoffMs, classifyAttempt, combineOutcome, DEFAULT_RETRY, type AttemptVerdict } from '../../src/journeys/index.ts';
import type { HttpResponse } from '../../src/requests.ts';

const res = (status: number, headers: Record<string, string> = {}, extra: Partial<HttpResponse> = {}): HttpResponse => ({ status, headers, body: '', ...extra });
const info: AttemptVerdict = { outcome: 'info', retryable: true };

describe('classifyAttempt', () => {
  it('acknowledges 2xx, replays and 304', () => {
    for (const s of [200, 201, 204, 304]) expect(classifyAttempt(res(s))).toEqual({ outcome: 'ok', retryable: false });
    expect(classifyAttempt(res(200, { 'idempotent-replayed': 'true' })).outcome).toBe('ok');
  });

  it('takes definite refusals as fail, without retrying', () => {
    for (const s of [400, 401, 403, 404, 412, 422, 428]) expect(classifyAttempt(res(s)), `HTTP ${s}`).toEqual({ outcome: 'fail', retryable: false });
  });

  it('takes no answer and 5xx as indeterminate, to retry', () => {
    expect(classifyAttempt(res(0, {}, { error: 'ECONNRESET' }))).toEqual(info);
    expect(classifyAttempt(res(0, {}, { error: 'TIMEOUT' }))).toEqual(info);
    for (const s of [500, 502, 503, 504, 408]) expect(classifyAttempt(res(s)), `HTTP ${s}`).toEqual(info);
    expect(classifyAttempt(res(503, { 'retry-after': '2' }))).toEqual({ ...info, retryAfterMs: 2000 });
  });

  it('takes a connection refused before sending as a retryable fail: nothing reached a server', () => {
    expect(classifyAttempt(res(0, {}, { error: 'ECONNREFUSED', notSent: true }))).toEqual({ outcome: 'fail', retryable: true });
  });

  it('reads 409 as "still in flight" exactly when it carries Retry-After, as the cart sends it then', () => {
    expect(classifyAttempt(res(409, { 'retry-after': '1' }))).toEqual({ ...info, retryAfterMs: 1000 });
    expect(classifyAttempt(res(409, { 'retry-after': '1' }), [info])).toEqual({ ...info, retryAfterMs: 1000 });
    // The key's final answer ("empty cart", "not enough stock", "cart changed"), even after an unclear attempt.
    expect(classifyAttempt(res(409))).toEqual({ outcome: 'fail', retryable: false });
    expect(classifyAttempt(res(409), [info])).toEqual({ outcome: 'fail', retryable: false });
  });

  it('retries 429 after Retry-After, as a definite refusal', () => {
    expect(classifyAttempt(res(429, { 'retry-after': '1' }))).toEqual({ outcome: 'fail', retryable: true, retryAfterMs: 1000 });
  });
});

describe('combineOutcome', () => {
  const ok: AttemptVerdict = { outcome: 'ok', retryable: false };
  const fail: AttemptVerdict = { outcome: 'fail', retryable: false };
  const refused: AttemptVerdict = { outcome: 'fail', retryable: true };

  it('lets the last answer decide', () => {
    expect(combineOutcome([ok])).toBe('ok');
    expect(combineOutcome([info, ok])).toBe('ok');
    expect(combineOutcome([fail])).toBe('fail');
    expect(combineOutcome([refused, refused])).toBe('fail');
    expect(combineOutcome([info, info, info, info])).toBe('info');
  });

  it('keeps an operation info when a refusal follows an attempt that may have landed (the 412 of a landed PATCH)', () => {
    expect(combineOutcome([info, fail])).toBe('info');
    expect(combineOutcome([refused, info, refused])).toBe('info');
  });

  it('takes a keyed request\'s refusal as final even after an unclear attempt: the server answers with the key\'s outcome', () => {
    expect(combineOutcome([info, fail], true)).toBe('fail');
    expect(combineOutcome([info, info], true)).toBe('info');
    expect(combineOutcome([info, ok], true)).toBe('ok');
  });

  it('is info with no attempts at all', () => {
    expect(combineOutcome([])).toBe('info');
  });
});

describe('backoffMs', () => {
  const mid = () => 0.5;
  it('doubles per retry with jitter in the upper half, capped', () => {
    const waits = [1, 2, 3, 4, 5].map((n) => backoffMs(DEFAULT_RETRY, n, mid));
    expect(waits).toEqual([75, 150, 300, 600, 750]);
    expect(backoffMs(DEFAULT_RETRY, 1, () => 0)).toBe(50);
    expect(backoffMs(DEFAULT_RETRY, 1, () => 0.999)).toBe(100);
  });

  it('waits at least Retry-After (the operation\'s deadline decides whether that wait is worth it)', () => {
    expect(backoffMs(DEFAULT_RETRY, 1, mid, { outcome: 'fail', retryable: true, retryAfterMs: 1000 })).toBe(1000);
    expect(backoffMs(DEFAULT_RETRY, 1, mid, { outcome: 'fail', retryable: true, retryAfterMs: 60_000 })).toBe(60_000);
  });
});
