// Colours for replicas. Names differ in every run (a replacement pod gets a new name), so
// colours are assigned per run in order of first appearance: neighbours in time then always
// differ. Red is left out of the palette because the page uses it for failures.
import type { RunReport } from './report-types.ts';

// Tableau 10 without its red, ordered so the first few are the most distinct.
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];

export const FAILURE_COLOUR = '#d62728';
export const P50_COLOUR = '#4e79a7';
export const P99_COLOUR = '#f28e2b';

function extraColour(i: number): string {
  // Golden-angle hues keep any further colours apart from each other; skip the red band.
  const hue = 40 + ((i * 137.508) % 290);
  return `hsl(${hue.toFixed(0)} 55% 50%)`;
}

/** Replica names in order of first appearance (timeline first, then kill events). */
export function replicaOrder(run: RunReport): string[] {
  const seen = new Set<string>();
  for (const bucket of run.timeline.buckets) for (const name of Object.keys(bucket.byReplica)) seen.add(name);
  for (const kill of run.killEvents) {
    seen.add(kill.replica);
    if (kill.replacement) seen.add(kill.replacement);
  }
  return [...seen];
}

export function replicaColours(names: string[]): Map<string, string> {
  return new Map(names.map((name, i) => [name, PALETTE[i] ?? extraColour(i - PALETTE.length)]));
}
