// The shape of out/proof/report.json. The fields named in ../shared/docs/architecture.md
// ("The proof") are the contract; the series feed the charts in report.html.

// report.json holds numbers and identifiers; the words a reader sees (check names, sentences)
// belong to the rendering (words.ts), so a producer or a test never depends on phrasing.
import type { KillType, Routing, StateStore } from '../cluster/types.ts';
import type { CheckId } from './checks.ts';

export type { KillType, Routing };
/** where a run keeps its state: the shared stores (stateless) or process memory (stateful) */
export type Mode = StateStore;

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
  checks: Check[];
  /** examples of anomalies found by the checker (a few, for the reader) */
  anomalies: Array<{ type: 'lost' | 'unexpected' | 'duplicated' | 'quantity' | 'session'; user: string; detail: string }>;
  /** whether this run is expected to pass (stateless) or to demonstrate a failure (stateful) */
  expectation: 'pass' | 'demonstrates-failure';
  pass: boolean;
}

export interface ProofReport {
  verdict: 'pass' | 'fail';
  generatedAt: string;
  machine: { node: string; cpus: number; replicasPerService: number; platform?: Platform };
  runs: RunReport[];
  /** the seed comparison, measured: numbers per side (absent when no run of that side was made) */
  comparison: Comparison;
  /** another report's runs to compare with (the Kubernetes proof carries the local cluster's last runs) */
  baseline?: { title: string; generatedAt: string; platform?: Platform; runs: RunReport[] };
}

/** Where the runs ran: the local cluster (replicas as processes behind nginx), or a real Kubernetes. */
export type Platform =
  | { kind: 'local' }
  | {
      kind: 'kubernetes';
      /** the API server's version, e.g. v1.35.4 */
      version: string;
      /** the nodes the pods ran on */
      nodes: string[];
      namespace: string;
      release: string;
      /** the chart version installed */
      chart: string;
      /** how requests reached the pods */
      routing: string;
    };

/** One check of a run: a measured value and the bounds it had to stay within. */
export interface Check {
  /** stable: tests and readers of report.json refer to checks by it */
  id: CheckId;
  actual: number;
  expected: { min?: number; max?: number };
  pass: boolean;
  /** what explains the value: counts by kind, an example operation, an error message */
  detail?: Record<string, number | string>;
}

/** The numbers behind the stateless-vs-stateful comparison, for one side. */
export interface ComparisonSide {
  runs: Array<{ name: string; routing: Routing; minPods: number; maxPods: number; missingReads: number; imbalance: number }>;
  sessions: { total: number; lost: number };
  deletions: number;
  /** replicas that replaced deleted ones: their share of all answers, and cart reads they answered without an acknowledged line */
  replacements: { count: number; answers: number; allAnswers: number; readsLackingLines: number };
  writes: { acknowledged: number; lost: number; duplicated: number; unexpected: number };
  /** operations that ended failed or indeterminate after their retries */
  operationsNotAcknowledged: number;
}

export interface Comparison {
  stateless?: ComparisonSide;
  stateful?: ComparisonSide;
}
