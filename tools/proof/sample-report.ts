// A realistic ProofReport for tests and for working on the page without running the cluster:
// 3 cart replicas, 45 s of load, a kill every 10 s with a replacement, for the four runs the
// proof makes. Deterministic (seeded), so a screenshot diff means the page changed.
import { seededRandom } from '@anypod/scenarios/journeys/random';
import type { Check, ComparisonSide, KillEvent, KillType, Mode, ProofReport, Routing, RunReport, RunTraces, TracedSpan } from './report-types.ts';

const DURATION_MS = 45_000;
const BUCKET_MS = 1_000;
const KILL_TIMES_MS = [10_000, 20_000, 30_000, 40_000];
const REPLICAS = 3;

interface Spec {
  name: string;
  mode: Mode;
  kill: KillType;
  routing: Routing;
  seed: number;
  /** ms from a kill until the replacement takes traffic */
  readyAfterMs: number;
  /** failed attempts in the bucket of a kill, and steady failures per bucket */
  killFailures: number;
  steadyFailureRate: number;
  latency: { p50: number; p99: number; killP99: number };
  writes: { lost: number; unexpected: number; duplicated: number; recovered: number; indeterminate: number };
  quantityBoundViolations: number;
  sessions: { minDistinctPods: number; maxDistinctPods: number; lostSessions: number };
}

function replicaName(rand: () => number): string {
  const chars = 'abcdefghjkmnpqrstvwxz23456789';
  let id = '';
  for (let i = 0; i < 4; i++) id += chars[Math.floor(rand() * chars.length)];
  return `cart-${id}`;
}

function simulate(spec: Spec): Pick<RunReport, 'killEvents' | 'timeline'> {
  const random = seededRandom(spec.seed);
  const rand = () => random.next();
  const started = new Map<string, number>(); // replica -> ms it started taking traffic
  const stopped = new Map<string, number>();
  for (let i = 0; i < REPLICAS; i++) started.set(replicaName(rand), 0);
  const killEvents: KillEvent[] = KILL_TIMES_MS.map((at) => {
    // Like a rollout, the oldest live replica goes first.
    const victim = [...started].find(([name, from]) => from <= at && !stopped.has(name))?.[0] ?? '';
    const atMs = at + Math.round(rand() * 400);
    const replacement = replicaName(rand);
    stopped.set(victim, atMs);
    started.set(replacement, atMs + spec.readyAfterMs);
    return { atMs, kind: spec.kill, replica: victim, replacement };
  });
  const buckets: RunReport['timeline']['buckets'] = [];
  for (let atMs = 0; atMs < DURATION_MS; atMs += BUCKET_MS) {
    const total = Math.round(180 * (0.92 + rand() * 0.16));
    // Share of the bucket each replica was live for; sticky routing skews the split a little.
    const weights = [...started].map(([name, from], i) => {
      const to = stopped.get(name) ?? Infinity;
      const live = Math.max(0, Math.min(atMs + BUCKET_MS, to) - Math.max(atMs, from)) / BUCKET_MS;
      return [name, live * (spec.routing === 'sticky' ? 0.8 + 0.2 * i : 1)] as const;
    });
    const weightSum = weights.reduce((a, [, w]) => a + w, 0);
    const byReplica: Record<string, number> = {};
    for (const [name, w] of weights) if (w > 0) byReplica[name] = Math.round((total * w) / weightSum);
    const killHere = killEvents.some((k) => k.atMs >= atMs && k.atMs < atMs + BUCKET_MS);
    const afterKill = killEvents.some((k) => k.atMs < atMs && atMs - k.atMs < spec.readyAfterMs);
    const failed =
      (killHere ? spec.killFailures : 0) +
      (afterKill ? Math.round(spec.killFailures / 4) : 0) +
      Math.round(total * spec.steadyFailureRate * rand() * 2);
    const spike = killHere ? 1 : afterKill ? 0.35 : 0;
    const p50 = spec.latency.p50 * (0.9 + rand() * 0.2) * (1 + spike * 0.6);
    const p99 = spec.latency.p99 * (0.85 + rand() * 0.3) + spike * (spec.latency.killP99 - spec.latency.p99);
    buckets.push({ atMs, byReplica, failed, p50: Math.round(p50 * 10) / 10, p99: Math.round(p99) });
  }
  return { killEvents, timeline: { bucketMs: BUCKET_MS, buckets } };
}

const SAMPLE_JAEGER = 'http://127.0.0.1:16686';

/** A checkout's trace as traces.ts keeps it: cart's request, its Redis and Postgres calls, and the call into catalog. */
function checkoutSpans(cartPod: string, catalogPod: string): TracedSpan[] {
  const span = (n: number, parent: number | undefined, depth: number, service: string, pod: string, name: string, kind: string, startMs: number, durationMs: number, onPath = false): TracedSpan => ({
    spanId: `5a3e0c1d9b7f${String(n).padStart(4, '0')}`,
    ...(parent === undefined ? {} : { parentSpanId: `5a3e0c1d9b7f${String(parent).padStart(4, '0')}` }),
    depth, service, pod, name, kind, startMs, durationMs, onPath,
  });
  return [
    span(1, undefined, 0, 'cart', cartPod, 'POST /cart/checkout', 'server', 0, 38.4, true),
    span(2, 1, 1, 'cart', cartPod, 'request', 'internal', 0.3, 37.9, true),
    span(3, 2, 2, 'cart', cartPod, 'handler - checkout', 'internal', 0.9, 36.8, true),
    span(4, 3, 3, 'cart', cartPod, 'get', 'client', 1.1, 0.6),
    span(5, 3, 3, 'cart', cartPod, 'pg.query:SELECT anypod', 'client', 2.0, 1.8),
    span(6, 3, 3, 'cart', cartPod, 'POST', 'client', 4.2, 21.5, true),
    span(7, 6, 4, 'catalog', catalogPod, 'POST /catalog/reservations', 'server', 5.0, 19.9, true),
    span(8, 7, 5, 'catalog', catalogPod, 'pg.query:INSERT anypod', 'client', 7.3, 6.1),
    span(9, 3, 3, 'cart', cartPod, 'pg.query:INSERT anypod', 'client', 26.4, 7.7),
  ];
}

/** A random v4-shaped UUID (the token's sid, a refresh-token family id). */
function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** What Jaeger would show for a run: per session the pods of its cart traces (one each under sticky routing). */
function sampleTraces(spec: Spec, timeline: RunReport['timeline']): RunTraces {
  const random = seededRandom(spec.seed + 1);
  const rand = () => random.next();
  const pods = [...new Set(timeline.buckets.flatMap((b) => Object.keys(b.byReplica)))];
  const sessions = Array.from({ length: 8 }, () => {
    const count = spec.routing === 'sticky' ? 1 : 2 + Math.floor(rand() * Math.min(3, pods.length - 1));
    const start = Math.floor(rand() * pods.length);
    return { sessionId: uuid(rand), traces: 40 + Math.floor(rand() * 11), pods: Array.from({ length: count }, (_, k) => pods[(start + k) % pods.length] as string).sort() };
  });
  const counts = sessions.map((s) => s.pods.length);
  return {
    service: 'cart',
    minTracesPerSession: 10,
    tracesRead: 612,
    sessionsFound: 24,
    sessionsChecked: sessions.length,
    minDistinctPodsPerSession: Math.min(...counts),
    maxDistinctPodsPerSession: Math.max(...counts),
    sessions,
    crossing: { traceId: `4bf92f3577b34da6a3ce929d0e0e${(4736 + spec.seed).toString(16)}`, from: 'cart', to: 'catalog', sessionId: sessions[0]?.sessionId, spanCount: 9, spans: checkoutSpans(sessions[0]?.pods[0] ?? 'cart-0', 'catalog-k2x9') },
    jaegerUrl: SAMPLE_JAEGER,
  };
}

function buildRun(spec: Spec, checks: RunReport['checks'], anomalies: RunReport['anomalies']): RunReport {
  const { killEvents, timeline } = simulate(spec);
  const answered = timeline.buckets.reduce((a, b) => a + Object.values(b.byReplica).reduce((x, n) => x + n, 0), 0);
  const failed = timeline.buckets.reduce((a, b) => a + b.failed, 0);
  // "During a kill" = from the kill until its replacement is ready (at least 2 s).
  const inKill = (atMs: number) => killEvents.some((k) => atMs + BUCKET_MS > k.atMs && atMs < k.atMs + Math.max(2_000, spec.readyAfterMs));
  const killBuckets = timeline.buckets.filter((b) => inKill(b.atMs));
  const duringKills = killBuckets.reduce((a, b) => a + b.failed + Object.values(b.byReplica).reduce((x, n) => x + n, 0), 0);
  const operationsTotal = Math.round((answered + failed) / 1.04); // ~4% of attempts are retries
  const opsFailed = Math.round(failed * 0.3) + spec.writes.duplicated;
  const writesAttempted = Math.round(operationsTotal * 0.32);
  const traces = sampleTraces(spec, timeline);
  // A stateless run is checked against its traces too (checks.ts); stateful runs only show them.
  if (spec.mode === 'shared') {
    checks.push(bounded('traced-sessions-on-several-pods', traces.minDistinctPodsPerSession, { min: 2 }, { sessions: traces.sessionsChecked, max: traces.maxDistinctPodsPerSession }));
  }
  return {
    name: spec.name,
    mode: spec.mode,
    kill: spec.kill,
    routing: spec.routing,
    durationMs: DURATION_MS,
    virtualUsers: 24,
    kills: killEvents.length,
    killEvents,
    attempts: { total: answered + failed, failed, duringKills, failedDuringKills: killBuckets.reduce((a, b) => a + b.failed, 0) },
    operations: {
      total: operationsTotal,
      acknowledged: operationsTotal - opsFailed - spec.writes.indeterminate,
      failed: opsFailed,
      indeterminate: spec.writes.indeterminate,
    },
    writes: {
      attempted: writesAttempted,
      acknowledged: writesAttempted - Math.round(opsFailed * 0.4) - spec.writes.indeterminate,
      lost: spec.writes.lost,
      unexpected: spec.writes.unexpected,
      duplicated: spec.writes.duplicated,
      recovered: spec.writes.recovered,
    },
    quantityBoundViolations: spec.quantityBoundViolations,
    sessions: { total: 24, ...spec.sessions },
    traces,
    latencyMs: { p50: spec.latency.p50, p99: spec.latency.p99 + 4, p99DuringKills: spec.latency.killP99, p99OutsideKills: spec.latency.p99 },
    timeline,
    checks,
    anomalies,
    expectation: spec.mode === 'shared' ? 'pass' : 'demonstrates-failure',
    pass: checks.every((c) => c.pass),
  };
}

const ZERO_WRITES = { lost: 0, unexpected: 0, duplicated: 0 };

const bounded = (id: Check['id'], actual: number, expected: Check['expected'], detail?: Check['detail']): Check => ({
  id,
  actual,
  expected,
  pass: (expected.min === undefined || actual >= expected.min) && (expected.max === undefined || actual <= expected.max),
  ...(detail ? { detail } : {}),
});

function statelessChecks(spec: Spec): RunReport['checks'] {
  return [
    bounded('deletions', 4, { min: 3 }, { cart: 2, auth: 1, catalog: 1 }),
    bounded('lost-writes', spec.writes.lost, { max: 0 }),
    bounded('unexpected-writes', spec.writes.unexpected, { max: 0 }),
    bounded('duplicated-writes', spec.writes.duplicated, { max: 0 }),
    bounded('quantity-bounds', spec.quantityBoundViolations, { max: 0 }),
    bounded('sessions-lost', spec.sessions.lostSessions, { max: 0 }),
    bounded('sessions-on-several-pods', spec.sessions.minDistinctPods, { min: 2 }, { max: spec.sessions.maxDistinctPods, sessions: 24 }),
  ];
}

function statefulCheck(spec: Spec): Check {
  const shown = { lost: spec.writes.lost, duplicated: spec.writes.duplicated, unexpected: spec.writes.unexpected, quantityBounds: spec.quantityBoundViolations, missingReads: 0, sessionsLost: spec.sessions.lostSessions, readBackFailures: 0 };
  return bounded('stateful-failure-shown', Object.values(shown).reduce((a, n) => a + n, 0), { min: 1 }, shown);
}

/** The comparison's numbers for one side, from the sample runs (what comparison.ts measures from real ones). */
function sideOf(runs: RunReport[]): ComparisonSide {
  const sum = (f: (r: RunReport) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    runs: runs.map((r) => ({ name: r.name, routing: r.routing, minPods: r.sessions.minDistinctPods, maxPods: r.sessions.maxDistinctPods, missingReads: 0, imbalance: r.routing === 'sticky' ? 1.42 : 1.03 })),
    sessions: { total: sum((r) => r.sessions.total), lost: sum((r) => r.sessions.lostSessions) },
    deletions: sum((r) => r.kills),
    replacements: { count: sum((r) => r.killEvents.length), answers: 1_830, allAnswers: 15_912, readsLackingLines: 0 },
    writes: { acknowledged: sum((r) => r.writes.acknowledged), lost: sum((r) => r.writes.lost), duplicated: sum((r) => r.writes.duplicated), unexpected: sum((r) => r.writes.unexpected) },
    operationsNotAcknowledged: sum((r) => r.operations.failed + r.operations.indeterminate),
  };
}

const statelessGraceful: Spec = {
  name: 'stateless-graceful', mode: 'shared', kill: 'graceful', routing: 'round-robin', seed: 11, readyAfterMs: 2_500,
  killFailures: 0, steadyFailureRate: 0.0005, latency: { p50: 7.8, p99: 38, killP99: 96 },
  writes: { ...ZERO_WRITES, recovered: 0, indeterminate: 0 }, quantityBoundViolations: 0,
  sessions: { minDistinctPods: 3, maxDistinctPods: 6, lostSessions: 0 },
};

const statelessSigkill: Spec = {
  name: 'stateless-sigkill', mode: 'shared', kill: 'sigkill', routing: 'round-robin', seed: 23, readyAfterMs: 2_800,
  killFailures: 14, steadyFailureRate: 0.0005, latency: { p50: 8.1, p99: 41, killP99: 412 },
  writes: { ...ZERO_WRITES, recovered: 5, indeterminate: 7 }, quantityBoundViolations: 0,
  sessions: { minDistinctPods: 3, maxDistinctPods: 6, lostSessions: 0 },
};

const statefulRoundRobin: Spec = {
  name: 'stateful-round-robin', mode: 'memory', kill: 'graceful', routing: 'round-robin', seed: 37, readyAfterMs: 2_200,
  killFailures: 3, steadyFailureRate: 0.03, latency: { p50: 3.4, p99: 19, killP99: 74 },
  writes: { lost: 1184, unexpected: 0, duplicated: 37, recovered: 0, indeterminate: 2 }, quantityBoundViolations: 17,
  sessions: { minDistinctPods: 3, maxDistinctPods: 6, lostSessions: 0 },
};

const statefulSticky: Spec = {
  name: 'stateful-sticky-sigkill', mode: 'memory', kill: 'sigkill', routing: 'sticky', seed: 41, readyAfterMs: 2_400,
  killFailures: 12, steadyFailureRate: 0.001, latency: { p50: 3.1, p99: 17, killP99: 388 },
  writes: { lost: 212, unexpected: 0, duplicated: 4, recovered: 2, indeterminate: 6 }, quantityBoundViolations: 3,
  sessions: { minDistinctPods: 1, maxDistinctPods: 3, lostSessions: 31 },
};

export function sampleReport(): ProofReport {
  const runs = [
    buildRun(statelessGraceful, statelessChecks(statelessGraceful), []),
    buildRun(statelessSigkill, statelessChecks(statelessSigkill), []),
  ];
  const rr = buildRun(statefulRoundRobin, [statefulCheck(statefulRoundRobin)], []);
  const sticky = buildRun(statefulSticky, [statefulCheck(statefulSticky)], []);
  const [a, b, c] = rr.timeline.buckets.length ? Object.keys(rr.timeline.buckets[0]?.byReplica ?? {}) : [];
  rr.anomalies = [
    { type: 'lost', user: 'vu-07', detail: `add p-1042 ×2 acknowledged by ${a} at 12.4 s; the final cart read from ${b} does not contain it` },
    { type: 'lost', user: 'vu-19', detail: `add p-0210 ×1 acknowledged by ${b} at 3.1 s; missing from the final read (served by ${c})` },
    { type: 'duplicated', user: 'vu-03', detail: `add p-0311 (idempotency key 6f1c…) applied by ${a}, and again on retry by ${c}` },
    { type: 'quantity', user: 'vu-11', detail: 'line p-0877 reads quantity 0 after 3 acknowledged adds and no removal' },
    { type: 'lost', user: 'vu-22', detail: 'checkout answered 409 "cart is empty" after 4 acknowledged adds' },
    { type: 'lost', user: 'vu-05', detail: 'set p-0544 quantity 3 acknowledged; final read shows quantity 1' },
  ];
  const k = sticky.killEvents[1];
  sticky.anomalies = [
    { type: 'session', user: 'vu-14', detail: `session unknown after ${k?.replica} was killed at 20.1 s; the user had to log in again` },
    { type: 'lost', user: 'vu-14', detail: `cart with 3 acknowledged lines held only by ${k?.replica}; empty after the kill` },
    { type: 'duplicated', user: 'vu-09', detail: `add p-0033 retried after a reset; applied by ${k?.replica} and by ${k?.replacement}` },
  ];
  runs.push(rr, sticky);
  return {
    verdict: runs.every((r) => r.pass) ? 'pass' : 'fail',
    generatedAt: '2025-06-02T14:31:07.412Z',
    machine: { node: 'v24.22.3', cpus: 8, replicasPerService: REPLICAS },
    runs,
    comparison: { stateless: sideOf(runs.filter((r) => r.mode === 'shared')), stateful: sideOf(runs.filter((r) => r.mode === 'memory')) },
  };
}
