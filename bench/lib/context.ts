// What every stage gets from the CLI: the run's settings, the pinning and the limit it measured.
import type { Pinning } from './pinning.ts';
import type { LoadFigures, Measurement } from './results.ts';

export interface BenchContext {
  /** --quick: tiny durations and counts, for the harness's own test */
  quick: boolean;
  /** seconds per measured load run (10; quick 2) */
  durationS: number;
  /** seconds of uncounted warm-up before each (3; quick 1) */
  warmupS: number;
  /** keep-alive connections of each load run */
  connections: number;
  pinning: Pinning;
  /** the bare Fastify limit measured at the start of this run (stages/limit.ts) */
  limit?: LoadFigures;
  /** progress lines */
  log: (line: string) => void;
}

export type Stage = (ctx: BenchContext) => Promise<Measurement[]>;
