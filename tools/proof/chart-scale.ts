// Linear scales and "nice" axis ticks (1, 2, 5 × 10^n), so axes read 0, 50, 100 rather than
// 0, 47.3, 94.6. Kept separate from the SVG code so it can be reasoned about on its own.

export type Scale = (value: number) => number;

export function linearScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  const span = d1 - d0 || 1; // a flat domain (all zeros) still maps to the range start
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** Step between ticks: the smallest 1/2/5 × 10^n that gives at most `count` intervals. */
export function niceStep(max: number, count: number): number {
  if (!(max > 0)) return 1;
  const raw = max / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return step ?? 10 * magnitude;
}

/** Ticks from 0 to the first multiple of the step at or above max; the last tick is the axis top. */
export function niceTicks(max: number, count = 5): number[] {
  const step = niceStep(max, count);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  // Multiply instead of accumulating so 0.1-sized steps do not drift (0.30000000000000004).
  for (let i = 0; i * step <= top + step / 1e9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Largest value, 0 for none; a loop rather than Math.max(...xs), which overflows the stack on long runs. */
export function maxOf(values: Iterable<number>): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}
