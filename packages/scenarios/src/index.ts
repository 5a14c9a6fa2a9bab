// The public API of @anypod/scenarios: the history format, its checker and the run statistics.
// Everything here is plain ES modules without Node built-ins so k6 scripts can import it too.
export type { Attempt, FinalState, Operation, OperationKind, Outcome } from './history.ts';
export { checkHistory, type Anomaly, type AnomalyType, type CheckResult } from './checker.ts';
export { finalStates, type ElementState } from './cart-model.ts';
export { LOAD_METRICS } from './load-metrics.ts';
export { invocationOrder, isWrite, WRITE_KINDS } from './order.ts';
export { lostSessions, sessionStats, type SessionStats } from './sessions.ts';
export {
  attemptStats,
  duringKills,
  isFailedAttempt,
  operationCounts,
  percentile,
  timeline,
  type AttemptStats,
  type KillWindow,
  type OperationCounts,
  type Timeline,
  type TimelineBucket,
} from './stats.ts';
