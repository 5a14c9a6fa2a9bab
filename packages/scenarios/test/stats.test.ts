import { describe, expect, it } from 'vitest';
import type { Attempt, Operation } from '../src/history.ts';
import { attemptStats, operationCounts, percentile, timeline } from '../src/index.ts';

function ops(...attempts: Array<Partial<Attempt> & { startMs: number }>): Operation[] {
  return attempts.map((a, i) => ({
    id: `op${i}`,
    vu: 1,
    user: 'u1',
    kind: 'read',
    outcome: 'ok',
    attempts: [{ durationMs: 10, status: 200, ...a }],
  }));
}

describe('percentile (nearest rank)', () => {
  const values = [50, 15, 40, 20, 35];

  it('returns an observed value: the smallest with at least p % at or below it', () => {
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 0)).toBe(15);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile(Array.from({ length: 1000 }, (_, i) => i + 1), 99)).toBe(990);
  });

  it('does not reorder its input and gives 0 for no values', () => {
    percentile(values, 50);
    expect(values).toEqual([50, 15, 40, 20, 35]);
    expect(percentile([], 99)).toBe(0);
  });
});

describe('attemptStats', () => {
  it('splits latency and failures by whether an attempt overlaps a kill window', () => {
    const history = ops(
      { startMs: 0, durationMs: 10 },
      { startMs: 100, durationMs: 20 },
      // overlaps [200, 300] from the left, and fails at the socket
      { startMs: 190, durationMs: 10, status: 0 },
      { startMs: 250, durationMs: 400, status: 503 },
      // touches the end of the window exactly: closed intervals count it
      { startMs: 300, durationMs: 30 },
      { startMs: 301, durationMs: 40, status: 404 },
      { startMs: 1000, durationMs: 50 },
    );
    expect(attemptStats(history, [{ startMs: 200, endMs: 300 }])).toEqual({
      latencyMs: { p50: 30, p99: 400, p99DuringKills: 400, p99OutsideKills: 50 },
      attempts: { total: 7, failed: 2, duringKills: 3, failedDuringKills: 2 },
    });
    expect(attemptStats(history, [])).toMatchObject({ latencyMs: { p99DuringKills: 0, p99OutsideKills: 400 }, attempts: { duringKills: 0 } });
  });
});

describe('operationCounts', () => {
  it('counts outcomes after retries', () => {
    const history = ops({ startMs: 0 }, { startMs: 1 }, { startMs: 2 });
    history[1]!.outcome = 'fail';
    history[2]!.outcome = 'info';
    expect(operationCounts(history)).toEqual({ total: 3, acknowledged: 1, failed: 1, indeterminate: 1 });
  });
});

describe('timeline', () => {
  it('buckets attempts by start time per replica, keeping empty buckets', () => {
    const history = ops(
      { startMs: 0, servedBy: 'cart-a', durationMs: 10 },
      { startMs: 400, servedBy: 'cart-b', durationMs: 30 },
      { startMs: 999, servedBy: 'cart-a', durationMs: 20 },
      { startMs: 1500, status: 0, durationMs: 5000 },
      { startMs: 1600, status: 503, servedBy: 'cart-b', durationMs: 2 },
      { startMs: 3100, servedBy: 'cart-c', durationMs: 7 },
    );
    expect(timeline(history, 1000)).toEqual({
      bucketMs: 1000,
      buckets: [
        { atMs: 0, byReplica: { 'cart-a': 2, 'cart-b': 1 }, failed: 0, p50: 20, p99: 30 },
        { atMs: 1000, byReplica: { 'cart-b': 1 }, failed: 2, p50: 2, p99: 5000 },
        { atMs: 2000, byReplica: {}, failed: 0, p50: 0, p99: 0 },
        { atMs: 3000, byReplica: { 'cart-c': 1 }, failed: 0, p50: 7, p99: 7 },
      ],
    });
  });

  it('extends to untilMs so a quiet end of the run still shows', () => {
    const t = timeline(ops({ startMs: 10, servedBy: 'cart-a' }), 1000, 3000);
    expect(t.buckets.map((b) => b.atMs)).toEqual([0, 1000, 2000]);
    expect(timeline([], 1000).buckets).toEqual([]);
    expect(() => timeline([], 0)).toThrow('bucketMs must be positive');
  });
});
