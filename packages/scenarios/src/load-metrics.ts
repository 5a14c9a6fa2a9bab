// The names of the custom metrics the k6 scripts emit (load-tests/lib/metrics.ts, thresholds.ts)
// and the k6 report reads (tools/proof/k6-run.ts): one list, so a renamed metric cannot leave the
// report or a threshold reading a name no script writes. Plain data: k6 scripts import it.
export const LOAD_METRICS = {
  /** Counter {kind, outcome}: logical operations (history entries), however many attempts */
  operations: 'anypod_operations',
  /** Counter {service, pod}: answered attempts per pod (X-Served-By) */
  answers: 'anypod_answers',
  writesAttempted: 'anypod_writes_attempted',
  writesAcknowledged: 'anypod_writes_acknowledged',
  writesLost: 'anypod_writes_lost',
  writesUnexpected: 'anypod_writes_unexpected',
  writesDuplicated: 'anypod_writes_duplicated',
  writesRecovered: 'anypod_writes_recovered',
  quantityViolations: 'anypod_quantity_violations',
  /** Counter: +1 per VU whose read-back succeeded and was checked */
  usersChecked: 'anypod_users_checked',
  readbackFailures: 'anypod_readback_failures',
  sessionsLost: 'anypod_sessions_lost',
  missingLines: 'anypod_missing_lines',
  /** Trend {service}: per VU at its end, distinct pods that served its session correctly */
  podsPerSession: 'anypod_pods_per_session',
} as const;
