// The shape of out/proof/report.json. The fields named in ../shared/docs/architecture.md
// ("The proof") are the contract; the series feed the charts in report.html.

export type Mode = 'shared' | 'memory';
export type { KillType } from '../cluster/types.ts';
import type { KillType } from '../cluster/types.ts';
export type Routing = 'round-robin' | 'sticky';

export interface KillEvent {
  /** ms since the run started */
  atMs: number;
  kind: KillType;
  /** replica deleted, e.g. cart-7f3k */
  replica: string;
  /** replica that replaced it */
  replacement?: string;
}

export interface RunReport {
  name: string; // e.g. "stateless-graceful"
  mode: Mode;
  kill: KillType;
  routing: Routing;
  durationMs: number;
  virtualUsers: number;
  kills: number;
  killEvents: KillEvent[];
  attempts: { total: number; failed: number; duringKills: number; failedDuringKills: number };
  operations: { total: number; acknowledged: number; failed: number; indeterminate: number };
  writes: { attempted: number; acknowledged: number; lost: number; unexpected: number; duplicated: number; recovered: number };
  quantityBoundViolations: number;
  sessions: { total: number; minDistinctPods: number; maxDistinctPods: number; lostSessions: number };
  latencyMs: { p50: number; p99: number; p99DuringKills: number };
  /** requests per replica per time bucket (for the stacked chart) */
  timeline: { bucketMs: number; buckets: Array<{ atMs: number; byReplica: Record<string, number>; failed: number; p50: number; p99: number }> };
  /** checks this run must meet, and whether it did */
  checks: Array<{ name: string; expected: string; actual: string; pass: boolean }>;
  /** examples of anomalies found by the checker (a few, for the reader) */
  anomalies: Array<{ type: 'lost' | 'unexpected' | 'duplicated' | 'quantity' | 'session'; user: string; detail: string }>;
  /** whether this run is expected to pass (stateless) or to demonstrate a failure (stateful) */
  expectation: 'pass' | 'demonstrates-failure';
  pass: boolean;
}

export interface ProofReport {
  verdict: 'pass' | 'fail';
  generatedAt: string;
  machine: { node: string; cpus: number; replicasPerService: number };
  runs: RunReport[];
  /** the seed comparison as measured rows: property -> value per mode */
  comparison: Array<{ property: string; stateless: string; stateful: string }>;
}
