// The two statistics the measurements report, written once: the median (cold start here and in
// measure-startup, `make bench`'s rows) and the nearest-rank quantile (bench's load generator).
// Pure and import-free, so bench/lib/load-worker.ts stays a light process to start.

/** The median of a list (the mean of the middle two for an even count); NaN for none, never a made-up figure. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The q-quantile (0..1) of a list by the nearest-rank method (always an observed value); NaN for none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}
