// Attempt-level statistics for the proof report: latency, failures and the per-replica timeline.
// Attempts (single HTTP requests) are the unit because that is where a kill shows; retries that
// hide it are reported separately at the operation level (docs/reliability.md, "Kill types").
import type { Attempt, Operation } from './history.ts';

/** A period during which a replica was being deleted, in ms since the run started. */
export interface KillWindow {
  startMs: number;
  endMs: number;
}

/**
 * Nearest-rank percentile: the smallest value with at least p % of the values at or below it,
 * so the answer is always an observed latency, never an interpolation. 0 for no values, so the
 * report stays plain JSON numbers; the attempt counts next to it say whether there were any.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * A failed attempt is one the infrastructure broke: no answer (socket error, timeout) or a 5xx.
 * 4xx answers (412 stale, 409 in flight, 404) are the application working as designed.
 */
export function isFailedAttempt(a: Attempt): boolean {
  return a.status === 0 || a.status >= 500;
}

/** Whether [startMs, startMs + durationMs] touches any kill window (closed intervals). */
export function duringKills(a: Attempt, windows: readonly KillWindow[]): boolean {
  const end = a.startMs + a.durationMs;
  return windows.some((w) => a.startMs <= w.endMs && end >= w.startMs);
}

export interface AttemptStats {
  /**
   * over every attempt, failed ones included: a timeout is latency the client paid. The p99
   * during kills against the p99 outside them is what a deletion costs the tail (make bench).
   */
  latencyMs: { p50: number; p99: number; p99DuringKills: number; p99OutsideKills: number };
  attempts: { total: number; failed: number; duringKills: number; failedDuringKills: number };
}

export function attemptStats(operations: readonly Operation[], killWindows: readonly KillWindow[]): AttemptStats {
  const all = operations.flatMap((op) => op.attempts);
  const inKills = all.filter((a) => duringKills(a, killWindows));
  const outsideKills = all.filter((a) => !duringKills(a, killWindows));
  const ms = (attempts: readonly Attempt[]): number[] => attempts.map((a) => a.durationMs);
  return {
    latencyMs: { p50: percentile(ms(all), 50), p99: percentile(ms(all), 99), p99DuringKills: percentile(ms(inKills), 99), p99OutsideKills: percentile(ms(outsideKills), 99) },
    attempts: {
      total: all.length,
      failed: all.filter(isFailedAttempt).length,
      duringKills: inKills.length,
      failedDuringKills: inKills.filter(isFailedAttempt).length,
    },
  };
}

export interface OperationCounts {
  total: number;
  acknowledged: number;
  failed: number;
  indeterminate: number;
}

/** Operation-level outcomes, i.e. what is left after retries. */
export function operationCounts(operations: readonly Operation[]): OperationCounts {
  const n = (outcome: Operation['outcome']): number => operations.filter((op) => op.outcome === outcome).length;
  return { total: operations.length, acknowledged: n('ok'), failed: n('fail'), indeterminate: n('info') };
}

export interface TimelineBucket {
  /** start of the bucket, ms since the run started */
  atMs: number;
  /** attempts answered by each replica (X-Served-By) that started in this bucket */
  byReplica: Record<string, number>;
  failed: number;
  p50: number;
  p99: number;
}

export interface Timeline {
  bucketMs: number;
  buckets: TimelineBucket[];
}

/**
 * Attempts grouped by start time into buckets of `bucketMs`, from 0 to the last attempt (or to
 * `untilMs` when given), with empty buckets kept so a chart's x axis is real time and a kill that
 * stopped all traffic shows as a gap.
 */
export function timeline(operations: readonly Operation[], bucketMs: number, untilMs?: number): Timeline {
  if (!(bucketMs > 0)) throw new Error(`bucketMs must be positive, got ${bucketMs}`);
  const attempts = operations.flatMap((op) => op.attempts);
  // A loop rather than Math.max(...spread): a long run has more attempts than the argument limit.
  let lastStart = untilMs === undefined ? -1 : untilMs - 1;
  for (const a of attempts) lastStart = Math.max(lastStart, a.startMs);
  const count = lastStart < 0 ? 0 : Math.floor(lastStart / bucketMs) + 1;
  const grouped: Attempt[][] = Array.from({ length: count }, () => []);
  for (const a of attempts) grouped[Math.floor(Math.max(0, a.startMs) / bucketMs)]?.push(a);
  return {
    bucketMs,
    buckets: grouped.map((bucket, i) => {
      const byReplica: Record<string, number> = {};
      for (const a of bucket) {
        if (a.servedBy !== undefined && a.status !== 0) byReplica[a.servedBy] = (byReplica[a.servedBy] ?? 0) + 1;
      }
      const ms = bucket.map((a) => a.durationMs);
      return { atMs: i * bucketMs, byReplica, failed: bucket.filter(isFailedAttempt).length, p50: percentile(ms, 50), p99: percentile(ms, 99) };
    }),
  };
}
