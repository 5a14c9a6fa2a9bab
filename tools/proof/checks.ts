// The checks a run must meet, each with a stable id: a stateless run must lose nothing and show
// that any replica served any request; a stateful run must show its failure. A check is a
// measured number and its bounds (report.json); its name and sentences are rendering (words.ts).
import type { Operation } from '@anypod/scenarios';
import type { Observation } from '@anypod/scenarios/journeys/index';
import type { Check, RunReport, RunTraces } from './report-types.ts';
import type { KillRecord, RunData } from './run-data.ts';

export type CheckId =
  | 'run-completed'
  | 'settled-before-read'
  | 'deletions'
  | 'writes-acknowledged'
  | 'final-read'
  | 'lost-writes'
  | 'unexpected-writes'
  | 'duplicated-writes'
  | 'quantity-bounds'
  | 'sessions-on-several-pods'
  | 'traced-sessions-on-several-pods'
  | 'read-your-writes'
  | 'sessions-lost'
  | 'misrouted-answers'
  | 'unexplained-refusals'
  | 'unresolved-operations'
  | 'checkouts-acknowledged'
  | 'load-complete'
  | 'graceful-failed-attempts'
  | 'stateful-failure-shown';

/** What the checks read besides the run's own data: its report, and facts derived from the history. */
export interface CheckInput {
  report: RunReport;
  data: RunData;
  /** cart reads that lacked an acknowledged line */
  missingReads: number;
  /** answers that came from a replica of another service than the route's */
  misrouted: Array<{ op: Operation; servedBy: string }>;
}

/** One check: `actual` within `expected`'s bounds (each producer of runs builds its checks with it). */
export function check(id: CheckId, actual: number, expected: Check['expected'], detail?: Check['detail']): Check {
  const pass = (expected.min === undefined || actual >= expected.min) && (expected.max === undefined || actual <= expected.max);
  return { id, actual, expected, pass, ...(detail && Object.keys(detail).length > 0 ? { detail } : {}) };
}

/** A check that nothing of the kind happened (at most 0): the Node driver's runs and k6-run.ts build theirs with it. */
export const none = (id: CheckId, actual: number, detail?: Check['detail']) => check(id, actual, { max: 0 }, detail);
const yes = (id: CheckId, holds: boolean, detail?: Check['detail']) => check(id, holds ? 1 : 0, { min: 1 }, detail);

/** Set by the operation runner on an attempt still in flight when the run's time was up. */
export const ABANDONED_AT_END = 'abandoned at the end of the run';

function completedChecks({ report, data }: CheckInput): Check[] {
  const checks: Check[] = [];
  if (data.error !== undefined) checks.push(yes('run-completed', false, { error: data.error }));
  // Like Jepsen's final read, the read-back is only meaningful once every replica is back.
  if (data.unsettled !== undefined) checks.push(yes('settled-before-read', false, { problem: data.unsettled }));
  const byService: Partial<Record<KillRecord['service'], number>> = {};
  for (const k of data.kills.filter((k) => k.error === undefined)) byService[k.service] = (byService[k.service] ?? 0) + 1;
  const failed = data.kills.filter((k) => k.error !== undefined);
  checks.push(check('deletions', report.kills, { min: data.minKills }, { ...byService, ...(failed.length > 0 ? { failed: failed.length, firstError: failed[0]?.error ?? '' } : {}) }));
  return checks;
}

export function statelessChecks(input: CheckInput): Check[] {
  const { report, data } = input;
  const { writes, attempts, sessions } = report;
  const users = new Set(data.operations.filter((op) => op.kind !== 'register' && op.kind !== 'login').map((op) => op.user)).size;
  const checks = completedChecks(input);
  checks.push(
    check('writes-acknowledged', writes.acknowledged, { min: 1 }, { attempted: writes.attempted }),
    none('final-read', data.finalReadFailures.length, { users, read: data.finals.length }),
    none('lost-writes', writes.lost),
    none('unexpected-writes', writes.unexpected),
    none('duplicated-writes', writes.duplicated),
    none('quantity-bounds', report.quantityBoundViolations),
    check('sessions-on-several-pods', sessions.total > 0 ? sessions.minDistinctPods : 0, { min: 2 }, { max: sessions.maxDistinctPods, sessions: sessions.total }),
    none('read-your-writes', input.missingReads),
    none('sessions-lost', sessions.lostSessions),
    misroutedCheck(input),
    refusalsCheck(data.operations),
    unresolvedCheck(data.operations),
    checkoutsCheck(data.operations),
    yes('load-complete', !data.truncated),
  );
  if (data.traces) checks.push(tracesCheck(data.traces));
  if (report.kill === 'graceful') {
    checks.push(none('graceful-failed-attempts', attempts.failed, { total: attempts.total, duringKills: attempts.duringKills, failedDuringKills: attempts.failedDuringKills }));
  }
  return checks;
}

export function statefulChecks(input: CheckInput): Check[] {
  const { report, data } = input;
  const { writes, sessions } = report;
  const shown = { lost: writes.lost, duplicated: writes.duplicated, unexpected: writes.unexpected, quantityBounds: report.quantityBoundViolations, missingReads: input.missingReads, sessionsLost: sessions.lostSessions, readBackFailures: data.finalReadFailures.length };
  return [...completedChecks(input), check('stateful-failure-shown', Object.values(shown).reduce((a, n) => a + n, 0), { min: 1 }, shown)];
}

/**
 * The servers' own witness, when the run was traced: every checked session's cart spans came from
 * at least two pods (k8s.pod.name, set by each pod on its own spans), independently of the
 * x-served-by header sessions-on-several-pods reads. A run whose traces said nothing fails it,
 * with the reason in the detail: the run's Jaeger is the proof's own (make demo) or the cluster's
 * (make demo-kube), so silence means tracing is broken, never a pass.
 */
function tracesCheck(traces: RunTraces): Check {
  const detail: Check['detail'] = { sessions: traces.sessionsChecked, max: traces.maxDistinctPodsPerSession, ...(traces.reason ? { reason: traces.reason } : {}) };
  return check('traced-sessions-on-several-pods', traces.sessionsChecked > 0 ? traces.minDistinctPodsPerSession : 0, { min: 2 }, detail);
}

function misroutedCheck({ misrouted }: CheckInput): Check {
  const first = misrouted[0];
  return none('misrouted-answers', misrouted.length, first ? { exampleKind: first.op.kind, exampleServedBy: first.servedBy } : undefined);
}

/**
 * In a stateless run the shop refuses only for its own rules: a conflict (409: not enough stock,
 * an empty cart) or a stale edit (412). Anything else — 401, 404, 400 — means some replica did
 * not know what another one did, or a request went where it should not have. The detail counts
 * them by status (0: no answer).
 */
function refusalsCheck(operations: readonly Operation[]): Check {
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const op of operations) {
    if (op.outcome !== 'fail') continue;
    const status = op.attempts[op.attempts.length - 1]?.status ?? 0;
    if (status === 409 || status === 412) continue;
    byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
    total++;
  }
  return none('unexplained-refusals', total, byStatus);
}

/**
 * Indeterminate operations that stayed so after every retry: in a stateless run a request that
 * failed on a deleted replica succeeds on its retry (same Idempotency-Key) on another one, so any
 * that remain mean replicas kept failing — without this, a cart answering 5xx to nearly
 * everything would pass as long as nothing acknowledged went missing.
 */
function unresolvedCheck(operations: readonly Operation[]): Check {
  const unresolved = operations.filter((op) => op.outcome === 'info' && op.attempts.at(-1)?.error !== ABANDONED_AT_END);
  const first = unresolved[0];
  const last = first?.attempts.at(-1);
  return none('unresolved-operations', unresolved.length, first ? { exampleKind: first.kind, exampleEnding: last?.status ? `HTTP ${last.status}` : (last?.error ?? 'no answer') } : undefined);
}

/**
 * Refusals by 409 are allowed (not enough stock, an empty cart), so a run in which every checkout
 * was refused would pass without ever testing checkout's exactly-once path. Runs whose journeys
 * attempted checkouts must have some acknowledged.
 */
function checkoutsCheck(operations: readonly Operation[]): Check {
  const checkouts = operations.filter((op) => op.kind === 'checkout');
  return check('checkouts-acknowledged', checkouts.filter((op) => op.outcome === 'ok').length, { min: checkouts.length > 0 ? 1 : 0 }, { attempted: checkouts.length });
}

/** Cart reads that lacked a line the user had been told was added. */
export function missingReads(observations: readonly Observation[]): Observation[] {
  return observations.filter((o) => o.type === 'missing-lines');
}
