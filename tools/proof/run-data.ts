// What a producer of proof runs hands over — the local cluster's runner today (run-proof.ts), a
// real Kubernetes or k6 tomorrow: the history of every operation, the final read-back, the
// deletions and which replica belongs to which service. Everything the report says is computed
// from this (assemble-report.ts), so any producer that fills it gets the same checks.
import type { FinalState, Operation } from '@anypod/scenarios';
import type { Observation } from '@anypod/scenarios/journeys/index';
import type { ServiceName } from '../cluster/types.ts';
import type { KillRecord } from './killer.ts';
import type { RunTraces } from './report-types.ts';
import type { RunSpec } from './runs.ts';

export type { KillRecord };

export interface RunData {
  spec: RunSpec;
  /** load duration as measured (sign-in included), ms */
  durationMs: number;
  /** when shopping started, after every VU signed in (ms since run start); 0 when not separate */
  measuredFromMs?: number;
  virtualUsers: number;
  operations: Operation[];
  observations: Observation[];
  finals: FinalState[];
  /** users whose read-back failed */
  finalReadFailures: Array<{ user: string; reason: string }>;
  kills: KillRecord[];
  /** which service each replica belongs to (from the cluster's events) */
  replicaService: Record<string, ServiceName>;
  /** the load was cut off by its request or time bound */
  truncated: boolean;
  /** deletions a stateless run must show (3 for make demo) */
  minKills: number;
  /** set when the run could not be carried out (cluster did not start, ...) */
  error?: string;
  /** set when the cluster was not back to full strength before the final read-back */
  unsettled?: string;
  /** Jaeger's query API the run's replicas sent their traces to (tools/observability/jaeger-query.ts), while the proof runs */
  jaegerUrl?: string;
  /**
   * What the run's traces say (traces.ts reads them from jaegerUrl once the run is over). Absent
   * when the run had no Jaeger, or ended before it got that far: then it has no traces check.
   */
  traces?: RunTraces;
}

