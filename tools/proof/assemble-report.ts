// Turns what a proof run recorded (history, read-back, kills, observations) into the
// report.json contract (report-types.ts): the Jepsen-style check and the statistics come from
// @anypod/scenarios, the per-run checks and the stateless-vs-stateful comparison are decided here.
// Pure: no I/O, so every verdict the proof can reach is unit-tested on hand-made runs.
import {
  attemptStats,
  checkHistory,
  lostSessions,
  operationCounts,
  sessionStats,
  timeline,
  type FinalState,
  type KillWindow,
  type Operation,
} from '@anypod/scenarios';
import type { Observation, ShopperBehaviour } from '@anypod/scenarios/journeys/index';
import type { KillRecord } from '../load/killer.ts';
import type { KillEvent, KillType, Mode, ProofReport, Routing, RunReport } from './report-types.ts';

export type { KillRecord };

export type ServiceName = 'auth' | 'catalog' | 'cart';

export interface RunSpec {
  /** e.g. "stateless-graceful" */
  name: string;
  mode: Mode;
  kill: KillType;
  routing: Routing;
  expectation: RunReport['expectation'];
  /**
   * What the cluster really runs when it differs from `mode`. Only the mutation tests set these:
   * a run that claims to be stateless but runs the in-memory write path, or a cart build without
   * idempotency claims (an entry file from the service's test folder), must fail its checks.
   */
  clusterStateStore?: Mode;
  clusterEntries?: Partial<Record<ServiceName, string>>;
  /** the services to delete from, in turn (default: mostly cart and auth, see load/killer.ts) */
  rotation?: ServiceName[];
  /** how the shoppers behave in this run, when it differs from the default */
  behaviour?: Partial<ShopperBehaviour>;
}

/** The runs of `make demo`, in order (architecture.md, "The proof"). */
export const PROOF_RUNS: readonly RunSpec[] = [
  { name: 'stateless-graceful', mode: 'shared', kill: 'graceful', routing: 'round-robin', expectation: 'pass' },
  { name: 'stateless-sigkill', mode: 'shared', kill: 'sigkill', routing: 'round-robin', expectation: 'pass' },
  // Replicas that hang, come back and finish what they had accepted after clients retried it
  // elsewhere: every late write must replay its key's outcome, never apply a second time.
  { name: 'stateless-hang', mode: 'shared', kill: 'hang', routing: 'round-robin', expectation: 'pass' },
  // The stateful runs delete gracefully on purpose: even the kindest delete loses in-memory state.
  { name: 'stateful-round-robin', mode: 'memory', kill: 'graceful', routing: 'round-robin', expectation: 'demonstrates-failure' },
  { name: 'stateful-sticky', mode: 'memory', kill: 'graceful', routing: 'sticky', expectation: 'demonstrates-failure' },
];

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
}

/** The service whose replicas must be interchangeable per session: it holds the cart. */
export const SESSION_SERVICE: ServiceName = 'cart';
const TIMELINE_BUCKET_MS = 1_000;
const MAX_ANOMALY_EXAMPLES = 20;

/** Which service a replica belongs to: the cluster's word, else the `<service>-` name prefix. */
export function serviceOf(replica: string, known: Record<string, ServiceName>): ServiceName | undefined {
  const k = known[replica];
  if (k) return k;
  const prefix = replica.split('-')[0];
  return prefix === 'auth' || prefix === 'catalog' || prefix === 'cart' ? prefix : undefined;
}

/** The history restricted to attempts answered by one service's replicas (for per-service session stats). */
export function attemptsOfService(operations: readonly Operation[], service: ServiceName, known: Record<string, ServiceName>): Operation[] {
  return operations
    .map((op) => ({ ...op, attempts: op.attempts.filter((a) => a.servedBy !== undefined && serviceOf(a.servedBy, known) === service) }))
    .filter((op) => op.attempts.length > 0);
}

/** The service each kind of operation is routed to; reads are left out (GET /cart or /auth/me). */
const SERVICE_OF_KIND: Partial<Record<Operation['kind'], ServiceName>> = {
  register: 'auth',
  login: 'auth',
  browse: 'catalog',
  add: 'cart',
  set: 'cart',
  remove: 'cart',
  checkout: 'cart',
};

/**
 * Answers that came from a replica of another service than the route's: the Ingress sent the
 * request to the wrong process (e.g. a replica's port reused by another replica).
 */
export function misroutedAnswers(operations: readonly Operation[], known: Record<string, ServiceName>): Array<{ op: Operation; servedBy: string }> {
  const out: Array<{ op: Operation; servedBy: string }> = [];
  for (const op of operations) {
    const expected = SERVICE_OF_KIND[op.kind];
    if (!expected) continue;
    for (const a of op.attempts) {
      if (a.servedBy === undefined || a.status === 0) continue;
      const actual = serviceOf(a.servedBy, known);
      if (actual !== undefined && actual !== expected) out.push({ op, servedBy: a.servedBy });
    }
  }
  return out;
}

function missingReads(observations: readonly Observation[]): Observation[] {
  return observations.filter((o) => o.type === 'missing-lines');
}

export function assembleRun(data: RunData): RunReport {
  const { spec, operations } = data;
  const kills = data.kills.filter((k) => k.error === undefined);
  // A deletion disturbs the service from its start until the replacement is in rotation.
  const windows: KillWindow[] = kills.map((k) => ({ startMs: k.atMs, endMs: Math.max(k.atMs, k.replacementReadyAtMs ?? data.durationMs) }));
  const check = checkHistory(operations, data.finals);
  const stats = attemptStats(operations, windows);
  // Latency is the shopping phase's: sign-in hashes passwords slowly on purpose and happens
  // before any deletion, so it would only blur the comparison with the deletion windows.
  const measured = operations
    .map((op) => ({ ...op, attempts: op.attempts.filter((a) => a.startMs >= (data.measuredFromMs ?? 0)) }))
    .filter((op) => op.attempts.length > 0);
  const latency = attemptStats(measured, windows).latencyMs;
  const cartSessions = sessionStats(attemptsOfService(operations, SESSION_SERVICE, data.replicaService));
  // Every VU is a session, even one that never reached a cart replica (it then has 0 pods).
  const users = new Set(operations.map((op) => `${op.vu}\u0000${op.user}`));
  const sessions = {
    total: users.size,
    minDistinctPods: cartSessions.total < users.size ? 0 : cartSessions.minDistinctPods,
    maxDistinctPods: cartSessions.maxDistinctPods,
    lostSessions: lostSessions(operations),
  };
  const missing = missingReads(data.observations);
  const lostObserved = data.observations.filter((o) => o.type === 'session-lost');

  const anomalies: RunReport['anomalies'] = [
    ...data.finalReadFailures.map((f) => ({ type: 'lost' as const, user: f.user, detail: `user ${f.user}: the final read-back failed (${f.reason}), so every acknowledged write counts as lost` })),
    ...check.anomalies.slice(0, MAX_ANOMALY_EXAMPLES),
    ...missing.slice(0, 5).map((o) => ({
      type: 'session' as const,
      user: o.user,
      detail: `user ${o.user}: the cart read at ${(o.atMs / 1000).toFixed(1)} s${o.type === 'missing-lines' && o.servedBy ? ` from ${o.servedBy}` : ''} lacked acknowledged line(s) ${o.type === 'missing-lines' ? o.missing.join(', ') : ''}`,
    })),
    ...lostObserved.slice(0, 5).map((o) => ({
      type: 'session' as const,
      user: o.user,
      detail: `user ${o.user}: signed out at ${(o.atMs / 1000).toFixed(1)} s${o.servedBy ? ` by ${o.servedBy}` : ''} (${o.type === 'session-lost' ? o.via : ''} session unknown to that replica)`,
    })),
  ];

  const killEvents: KillEvent[] = kills.map((k) => ({ atMs: Math.round(k.atMs), kind: k.kind, replica: k.replica, ...(k.replacement ? { replacement: k.replacement } : {}) }));
  const report: RunReport = {
    name: spec.name,
    mode: spec.mode,
    kill: spec.kill,
    routing: spec.routing,
    durationMs: Math.round(data.durationMs),
    virtualUsers: data.virtualUsers,
    kills: kills.length,
    killEvents,
    attempts: stats.attempts,
    operations: (({ total, acknowledged, failed, indeterminate }) => ({ total, acknowledged, failed, indeterminate }))(operationCounts(operations)),
    writes: check.writes,
    quantityBoundViolations: check.quantityBoundViolations,
    sessions,
    latencyMs: { p50: round1(latency.p50), p99: round1(latency.p99), p99DuringKills: round1(latency.p99DuringKills) },
    timeline: roundTimeline(timeline(operations, TIMELINE_BUCKET_MS, data.durationMs)),
    checks: [],
    anomalies,
    expectation: spec.expectation,
    pass: false,
  };
  report.checks = spec.expectation === 'pass' ? statelessChecks(report, data, missing.length) : statefulChecks(report, data, missing.length);
  report.pass = report.checks.every((c) => c.pass);
  return report;
}

type Check = RunReport['checks'][number];

function completedChecks(report: RunReport, data: RunData): Check[] {
  const checks: Check[] = [];
  if (data.error !== undefined) checks.push({ name: 'run completed', expected: 'yes', actual: data.error, pass: false });
  // Like Jepsen's final read, the read-back is only meaningful once every replica is back.
  if (data.unsettled !== undefined) checks.push({ name: 'cluster back to full strength before the final read-back', expected: 'yes', actual: data.unsettled, pass: false });
  const failed = data.kills.filter((k) => k.error !== undefined);
  checks.push({
    name: `replica deletions`,
    expected: `≥ ${data.minKills}`,
    actual: `${report.kills} (${killSummary(data.kills.filter((k) => k.error === undefined))})${failed.length > 0 ? `; ${failed.length} failed: ${failed[0]?.error}` : ''}`,
    pass: report.kills >= data.minKills,
  });
  return checks;
}

function statelessChecks(report: RunReport, data: RunData, missingReads: number): Check[] {
  const { writes, attempts, sessions } = report;
  const users = new Set(data.operations.filter((op) => op.kind !== 'register' && op.kind !== 'login').map((op) => op.user)).size;
  const checks = completedChecks(report, data);
  checks.push(
    { name: 'writes acknowledged (the run did real work)', expected: '> 0', actual: `${writes.acknowledged} of ${writes.attempted} attempted`, pass: writes.acknowledged > 0 },
    {
      name: 'final read-back of every user',
      expected: `${users} of ${users} users`,
      actual: `${data.finals.length} read${data.finalReadFailures.length > 0 ? `, ${data.finalReadFailures.length} failed` : ''}`,
      pass: data.finalReadFailures.length === 0,
    },
    { name: 'lost writes', expected: '0', actual: String(writes.lost), pass: writes.lost === 0 },
    { name: 'unexpected writes', expected: '0', actual: String(writes.unexpected), pass: writes.unexpected === 0 },
    { name: 'duplicated writes', expected: '0', actual: String(writes.duplicated), pass: writes.duplicated === 0 },
    { name: 'quantity bounds (acknowledged ≤ final ≤ attempted)', expected: '0 violations', actual: String(report.quantityBoundViolations), pass: report.quantityBoundViolations === 0 },
    {
      name: `every session served by ≥ 2 ${SESSION_SERVICE} replicas`,
      expected: 'min ≥ 2',
      actual: `min ${sessions.minDistinctPods}, max ${sessions.maxDistinctPods} over ${sessions.total} sessions`,
      pass: sessions.total > 0 && sessions.minDistinctPods >= 2,
    },
    { name: 'cart reads missing an acknowledged line (read-your-writes on any replica)', expected: '0', actual: String(missingReads), pass: missingReads === 0 },
    { name: 'sessions lost (401 after login)', expected: '0', actual: String(sessions.lostSessions), pass: sessions.lostSessions === 0 },
    misroutedCheck(data),
    refusalsCheck(data),
    unresolvedCheck(data),
    checkoutsCheck(data),
    { name: 'load ran to its end (not cut off by its bounds)', expected: 'yes', actual: data.truncated ? 'cut off' : 'yes', pass: !data.truncated },
  );
  if (report.kill === 'graceful') {
    checks.push({
      name: 'failed attempts during graceful deletes',
      expected: '0',
      actual: `${attempts.failed} of ${attempts.total} (${attempts.failedDuringKills} of the ${attempts.duringKills} made during deletions)`,
      pass: attempts.failed === 0,
    });
  }
  return checks;
}

function misroutedCheck(data: RunData): Check {
  const wrong = misroutedAnswers(data.operations, data.replicaService);
  const first = wrong[0];
  return {
    name: 'answers from a replica of the route’s own service',
    expected: '0 from another service',
    actual: first ? `${wrong.length}, e.g. ${first.op.kind} answered by ${first.servedBy}` : '0 from another service',
    pass: wrong.length === 0,
  };
}

/**
 * In a stateless run the shop refuses only for its own rules: a conflict (409: not enough stock,
 * an empty cart) or a stale edit (412). Anything else — 401, 404, 400 — means some replica did
 * not know what another one did, or a request went where it should not have.
 */
function refusalsCheck(data: RunData): Check {
  const byStatus = new Map<number, number>();
  for (const op of data.operations) {
    if (op.outcome !== 'fail') continue;
    const status = op.attempts[op.attempts.length - 1]?.status ?? 0;
    if (status === 409 || status === 412) continue;
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
  const total = [...byStatus.values()].reduce((a, n) => a + n, 0);
  return {
    name: 'operations refused other than by a conflict (409) or a stale edit (412)',
    expected: '0',
    actual: total === 0 ? '0' : `${total} (${[...byStatus].map(([s, n]) => `${n}× ${s === 0 ? 'no answer' : `HTTP ${s}`}`).join(', ')})`,
    pass: total === 0,
  };
}

/** Set by the operation runner on an attempt still in flight when the run's time was up. */
const ABANDONED_AT_END = 'abandoned at the end of the run';

/**
 * Indeterminate operations that stayed so after every retry: in a stateless run a request that
 * failed on a deleted replica succeeds on its retry (same Idempotency-Key) on another one, so any
 * that remain mean replicas kept failing — without this, a cart answering 5xx to nearly
 * everything would pass as long as nothing acknowledged went missing.
 */
function unresolvedCheck(data: RunData): Check {
  const unresolved = data.operations.filter((op) => op.outcome === 'info' && op.attempts.at(-1)?.error !== ABANDONED_AT_END);
  const first = unresolved[0];
  const last = first?.attempts.at(-1);
  return {
    name: 'operations still indeterminate after their retries (not counting those cut off by the end of the run)',
    expected: '0',
    actual: first ? `${unresolved.length}, e.g. ${first.kind} ended with ${last?.status ? `HTTP ${last.status}` : (last?.error ?? 'no answer')}` : '0',
    pass: unresolved.length === 0,
  };
}

/**
 * Refusals by 409 are allowed (not enough stock, an empty cart), so a run in which every checkout
 * was refused would pass without ever testing checkout's exactly-once path. Runs whose journeys
 * attempted checkouts must have some acknowledged.
 */
function checkoutsCheck(data: RunData): Check {
  const checkouts = data.operations.filter((op) => op.kind === 'checkout');
  const acknowledged = checkouts.filter((op) => op.outcome === 'ok').length;
  return {
    name: 'checkouts acknowledged (when any was attempted)',
    expected: '> 0',
    actual: checkouts.length === 0 ? 'none attempted' : `${acknowledged} of ${checkouts.length}`,
    pass: checkouts.length === 0 || acknowledged > 0,
  };
}

function statefulChecks(report: RunReport, data: RunData, missingReads: number): Check[] {
  const { writes, sessions } = report;
  const shown = writes.lost + writes.duplicated + writes.unexpected + report.quantityBoundViolations + missingReads + sessions.lostSessions + data.finalReadFailures.length;
  const checks = completedChecks(report, data);
  checks.push({
    name: 'the stateful failure shows (lost or duplicated writes, carts missing lines, lost sessions)',
    expected: '> 0',
    actual:
      `lost ${writes.lost}, duplicated ${writes.duplicated}, unexpected ${writes.unexpected}, ` +
      `cart reads missing lines ${missingReads}, sessions lost ${sessions.lostSessions}` +
      (data.finalReadFailures.length > 0 ? `, read-backs failed ${data.finalReadFailures.length}` : ''),
    pass: shown > 0,
  });
  return checks;
}

function killSummary(kills: readonly KillRecord[]): string {
  if (kills.length === 0) return 'none';
  const by = new Map<string, number>();
  for (const k of kills) by.set(k.service, (by.get(k.service) ?? 0) + 1);
  return [...by].map(([s, n]) => `${s} ${n}`).join(', ');
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

function roundTimeline(t: RunReport['timeline']): RunReport['timeline'] {
  return { bucketMs: t.bucketMs, buckets: t.buckets.map((b) => ({ ...b, p50: round1(b.p50), p99: round1(b.p99) })) };
}

// --- the comparison table -------------------------------------------------------------------

interface ComparisonInput {
  report: RunReport;
  data: RunData;
}

/**
 * The seed comparison (architecture.md) as measured rows: session data location, request
 * independence, scalability, load balancing, reliability. Each cell says what was measured.
 */
export function comparison(runs: readonly ComparisonInput[]): ProofReport['comparison'] {
  const stateless = runs.filter((r) => r.report.mode === 'shared');
  const stateful = runs.filter((r) => r.report.mode === 'memory');
  const none = 'not run';
  const sum = (rs: readonly ComparisonInput[], f: (r: RunReport) => number) => rs.reduce((a, r) => a + f(r.report), 0);
  const names = (rs: readonly ComparisonInput[]) => rs.map((r) => r.report.name).join(' + ');

  const sessionCell = (rs: readonly ComparisonInput[], where: string) =>
    rs.length === 0 ? none : `${where}: ${sum(rs, (r) => r.sessions.lostSessions)} of ${sum(rs, (r) => r.sessions.total)} sessions lost, ${sum(rs, (r) => r.kills)} deletions (${names(rs)})`;

  const independenceCell = (rs: readonly ComparisonInput[]) =>
    rs.length === 0
      ? none
      : rs
          .map((r) => {
            const missing = missingReads(r.data.observations).length;
            return `${r.report.name}: ${r.report.sessions.minDistinctPods}–${r.report.sessions.maxDistinctPods} ${SESSION_SERVICE} replicas per session, ${missing} cart reads missing acknowledged lines`;
          })
          .join('; ');

  const scalabilityCell = (rs: readonly ComparisonInput[]) => {
    if (rs.length === 0) return none;
    let replacementAnswers = 0;
    let answers = 0;
    let replacements = 0;
    let emptyReads = 0;
    for (const r of rs) {
      const added = new Set(r.report.killEvents.map((k) => k.replacement).filter((x): x is string => x !== undefined));
      replacements += added.size;
      for (const b of r.report.timeline.buckets) {
        for (const [replica, n] of Object.entries(b.byReplica)) {
          answers += n;
          if (added.has(replica)) replacementAnswers += n;
        }
      }
      // A replica that joins must already know every cart: did reads it answered lack lines?
      emptyReads += missingReads(r.data.observations).filter((o) => o.type === 'missing-lines' && o.servedBy !== undefined && added.has(o.servedBy)).length;
    }
    return `${replacements} new replicas took ${pct(replacementAnswers, answers)} of all answers as soon as they joined; ${emptyReads} cart reads they answered lacked acknowledged lines`;
  };

  const balanceCell = (rs: readonly ComparisonInput[]) =>
    rs.length === 0
      ? none
      : rs
          .map((r) => `${r.report.name} (${r.report.routing}): busiest ${SESSION_SERVICE} replica ${loadImbalance(r.report, r.data.replicaService).toFixed(2)}× the average replica's request rate (1.00 = even)`)
          .join('; ');

  const reliabilityCell = (rs: readonly ComparisonInput[]) =>
    rs.length === 0
      ? none
      : `${sum(rs, (r) => r.writes.lost)} lost, ${sum(rs, (r) => r.writes.duplicated)} duplicated, ${sum(rs, (r) => r.writes.unexpected)} unexpected of ${sum(rs, (r) => r.writes.acknowledged)} acknowledged writes; ` +
        `${sum(rs, (r) => r.operations.failed + r.operations.indeterminate)} operations not acknowledged after retries; ${sum(rs, (r) => r.kills)} deletions`;

  return [
    { property: 'Session data location', stateless: sessionCell(stateless, 'Postgres (Redis as a cache)'), stateful: sessionCell(stateful, 'each replica’s memory') },
    { property: 'Request independence (any replica serves any request)', stateless: independenceCell(stateless), stateful: independenceCell(stateful) },
    { property: 'Scalability (replicas added or replaced)', stateless: scalabilityCell(stateless), stateful: scalabilityCell(stateful) },
    { property: 'Load balancing', stateless: balanceCell(stateless), stateful: balanceCell(stateful) },
    { property: 'Reliability under deletions (set checker)', stateless: reliabilityCell(stateless), stateful: reliabilityCell(stateful) },
  ];
}

/**
 * How unevenly the cart replicas were loaded: each replica's request rate while it was answering
 * (answers ÷ seconds with answers, so a replica deleted or added mid-run is not penalised), and
 * the busiest rate over the mean. 1.00 is an even split; sticky routing pins users unevenly.
 */
export function loadImbalance(report: RunReport, known: Record<string, ServiceName>): number {
  const totals = new Map<string, { answers: number; seconds: number }>();
  for (const b of report.timeline.buckets) {
    for (const [replica, n] of Object.entries(b.byReplica)) {
      if (serviceOf(replica, known) !== SESSION_SERVICE || n === 0) continue;
      const t = totals.get(replica) ?? { answers: 0, seconds: 0 };
      totals.set(replica, { answers: t.answers + n, seconds: t.seconds + 1 });
    }
  }
  const rates = [...totals.values()].map((t) => t.answers / t.seconds);
  if (rates.length === 0) return 0;
  const mean = rates.reduce((a, r) => a + r, 0) / rates.length;
  return Math.max(...rates) / mean;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)} %` : '0 %';
}

export interface AssembleOptions {
  runs: readonly RunData[];
  generatedAt: Date;
  machine: ProofReport['machine'];
}

/**
 * The whole report. The verdict is the claim under test (architecture.md: "exits non-zero when
 * the stateless run fails its checks"): every stateless run passed. A stateful run that failed to
 * show its failure is flagged in its own row and in the banner; it decides the verdict only when
 * no stateless run was made.
 */
export function verdictOf(runs: readonly RunReport[]): ProofReport['verdict'] {
  const stateless = runs.filter((r) => r.expectation === 'pass');
  const deciding = stateless.length > 0 ? stateless : runs;
  return deciding.length > 0 && deciding.every((r) => r.pass) ? 'pass' : 'fail';
}

export function assembleReport(options: AssembleOptions): ProofReport {
  const inputs = options.runs.map((data) => ({ data, report: assembleRun(data) }));
  const runs = inputs.map((i) => i.report);
  return {
    verdict: verdictOf(runs),
    generatedAt: options.generatedAt.toISOString(),
    machine: options.machine,
    runs,
    comparison: comparison(inputs),
  };
}
