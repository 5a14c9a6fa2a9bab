// The proof's verdicts on hand-made runs: what makes a stateless run pass or fail, what counts as
// a demonstrated stateful failure, and the comparison table built from the measurements.
import type { FinalState, Operation } from '@anypod/scenarios';
import type { Observation } from '@anypod/scenarios/journeys/index';
import { describe, expect, it } from 'vitest';
import { assembleReport, assembleRun, verdictOf } from '../proof/assemble-report.ts';
import type { CheckId } from '../proof/checks.ts';
import { comparison, loadImbalance } from '../proof/comparison.ts';
import type { RunData } from '../proof/run-data.ts';
import { PROOF_RUNS, type RunSpec } from '../proof/runs.ts';
import { checkWords, comparisonRows } from '../proof/words.ts';
import { renderReportHtml } from '../proof/render-html.ts';
import type { KillType } from '../cluster/types.ts';
import type { KillRecord } from '../proof/killer.ts';

const run = (name: string): RunSpec => PROOF_RUNS.find((r: RunSpec) => r.name === name) as RunSpec;
const [graceful, sigkill, roundRobin, sticky] = ['stateless-graceful', 'stateless-sigkill', 'stateful-round-robin', 'stateful-sticky'].map(run) as [RunSpec, RunSpec, RunSpec, RunSpec];

/** A user's session: login at auth, then adds served alternately by the given cart replicas. */
function session(user: string, vu: number, cartReplicas: string[], adds: number, opts: { failFirstAttempt?: boolean; start?: number } = {}): Operation[] {
  let t = opts.start ?? 0;
  const ops: Operation[] = [{ id: `${user}-login`, vu, user, kind: 'login', outcome: 'ok', attempts: [{ startMs: t, durationMs: 5, status: 200, servedBy: 'auth-aaaaa' }] }];
  for (let i = 0; i < adds; i++) {
    t += 100;
    const servedBy = cartReplicas[i % cartReplicas.length] as string;
    const attempts: Operation['attempts'] = [];
    if (opts.failFirstAttempt && i === 0) attempts.push({ startMs: t, durationMs: 3, status: 502, servedBy, error: 'Bad Gateway' });
    attempts.push({ startMs: t + 10, durationMs: 5, status: 200, servedBy });
    ops.push({ id: `${user}-add${i}`, vu, user, kind: 'add', outcome: 'ok', productId: `sku-${i}`, quantity: 1, idempotencyKey: `${user}-k${i}`, attempts });
  }
  return ops;
}

const finalOf = (user: string, adds: number): FinalState => ({ user, cart: Array.from({ length: adds }, (_, i) => ({ productId: `sku-${i}`, quantity: 1 })), orders: [] });

const kills = (n: number, kind: KillType = 'graceful'): KillRecord[] =>
  Array.from({ length: n }, (_, i) => ({ atMs: 1000 * (i + 1), kind, service: 'cart' as const, replica: `cart-old${i}`, replacement: `cart-new${i}`, exitedAtMs: 1000 * (i + 1) + 300, replacementReadyAtMs: 1000 * (i + 1) + 500 }));

function cleanRun(spec: RunSpec, over: Partial<RunData> = {}): RunData {
  return {
    spec,
    durationMs: 5_000,
    virtualUsers: 2,
    operations: [...session('u1', 1, ['cart-a', 'cart-b'], 4), ...session('u2', 2, ['cart-b', 'cart-c'], 4)],
    observations: [],
    finals: [finalOf('u1', 4), finalOf('u2', 4)],
    finalReadFailures: [],
    kills: kills(3, spec.kill),
    replicaService: { 'auth-aaaaa': 'auth', 'cart-a': 'cart', 'cart-b': 'cart', 'cart-c': 'cart' },
    truncated: false,
    minKills: 3,
    ...over,
  };
}

const failing = (r: ReturnType<typeof assembleRun>) => r.checks.filter((c) => !c.pass).map((c) => c.id);
const checkOf = (r: ReturnType<typeof assembleRun>, id: CheckId) => r.checks.find((c) => c.id === id);

describe('assembleRun: stateless runs', () => {
  it('passes a clean run and fills every field of the report contract', () => {
    const r = assembleRun(cleanRun(graceful));
    expect(failing(r)).toEqual([]);
    expect(r.pass).toBe(true);
    expect(r).toMatchObject({
      name: 'stateless-graceful',
      mode: 'shared',
      kill: 'graceful',
      routing: 'round-robin',
      kills: 3,
      expectation: 'pass',
      attempts: { total: 10, failed: 0 },
      operations: { total: 10, acknowledged: 10, failed: 0, indeterminate: 0 },
      writes: { attempted: 8, acknowledged: 8, lost: 0, unexpected: 0, duplicated: 0, recovered: 0 },
      sessions: { total: 2, minDistinctPods: 2, maxDistinctPods: 2, lostSessions: 0 },
    });
    expect(r.killEvents).toEqual(kills(3).map((k) => ({ atMs: k.atMs, kind: 'graceful', replica: k.replica, replacement: k.replacement })));
    expect(r.timeline.bucketMs).toBe(1000);
    expect(r.timeline.buckets).toHaveLength(5);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
  });

  it('counts distinct replicas per session on the cart service only (auth + one cart pod is not two)', () => {
    const data = cleanRun(graceful, { operations: [...session('u1', 1, ['cart-a'], 4), ...session('u2', 2, ['cart-b', 'cart-c'], 4)] });
    const r = assembleRun(data);
    expect(r.sessions.minDistinctPods).toBe(1);
    expect(failing(r)).toEqual(['sessions-on-several-pods']);
  });

  it('fails on a lost write and names it', () => {
    const r = assembleRun(cleanRun(sigkill, { finals: [finalOf('u1', 3), finalOf('u2', 4)] }));
    expect(r.writes.lost).toBe(1);
    expect(r.pass).toBe(false);
    expect(failing(r)).toEqual(['lost-writes', 'quantity-bounds']);
    expect(r.anomalies.some((a) => a.type === 'lost' && a.detail.includes('sku-3'))).toBe(true);
  });

  it('fails a failed read-back loudly, even though the checker alone would blame the writes', () => {
    const r = assembleRun(cleanRun(graceful, { finals: [finalOf('u1', 4)], finalReadFailures: [{ user: 'u2', reason: 'HTTP 503' }] }));
    expect(failing(r)).toContain('final-read');
    expect(r.anomalies[0]?.detail).toMatch(/u2: the final read-back failed \(HTTP 503\)/);
  });

  it('fails a graceful run with any failed attempt, but not a SIGKILL run whose retries hid it', () => {
    const ops = [...session('u1', 1, ['cart-a', 'cart-b'], 4, { failFirstAttempt: true }), ...session('u2', 2, ['cart-b', 'cart-c'], 4)];
    expect(failing(assembleRun(cleanRun(graceful, { operations: ops })))).toEqual(['graceful-failed-attempts']);
    const k = assembleRun(cleanRun(sigkill, { operations: ops }));
    expect(k.pass).toBe(true);
    expect(k.attempts).toMatchObject({ failed: 1, failedDuringKills: 0 });
  });

  it('needs enough deletions, a run that did work, no missing cart lines, no lost sessions, no truncation', () => {
    expect(failing(assembleRun(cleanRun(graceful, { kills: kills(2) })))).toEqual(['deletions']);
    expect(failing(assembleRun(cleanRun(graceful, { kills: [...kills(2), { ...kills(3)[2]!, error: 'boom' }] })))).toEqual(['deletions']);
    expect(failing(assembleRun(cleanRun(graceful, { operations: [], finals: [] })))).toEqual(
      expect.arrayContaining(['writes-acknowledged', 'sessions-on-several-pods']),
    );
    const missing: Observation = { type: 'missing-lines', user: 'u1', atMs: 1200, servedBy: 'cart-b', missing: ['sku-0'] };
    expect(failing(assembleRun(cleanRun(graceful, { observations: [missing] })))).toEqual(['read-your-writes']);
    expect(failing(assembleRun(cleanRun(graceful, { truncated: true })))).toEqual(['load-complete']);
    expect(failing(assembleRun(cleanRun(graceful, { error: 'cluster did not start' })))).toEqual(['run-completed']);
    expect(failing(assembleRun(cleanRun(graceful, { unsettled: 'cart: 2 of 3 ready after 120 s' })))).toEqual(['settled-before-read']);
  });

  it('fails when the Ingress sent a route to another service (a reused port answered with 404)', () => {
    const ops = session('u1', 1, ['cart-a', 'cart-b'], 4);
    ops[2]!.attempts = [{ startMs: 210, durationMs: 2, status: 404, servedBy: 'auth-qzaqg', error: 'Not Found: No route POST /cart/items' }];
    ops[2]!.outcome = 'fail';
    const r = assembleRun(cleanRun(graceful, { operations: [...ops, ...session('u2', 2, ['cart-b', 'cart-c'], 4)], finals: [{ ...finalOf('u1', 4), cart: finalOf('u1', 4).cart.filter((l) => l.productId !== 'sku-1') }, finalOf('u2', 4)] }));
    expect(failing(r)).toEqual(['misrouted-answers', 'unexplained-refusals']);
    expect(checkOf(r, 'unexplained-refusals')).toMatchObject({ actual: 1, expected: { max: 0 }, detail: { '404': 1 } });
    expect(checkOf(r, 'misrouted-answers')).toMatchObject({ actual: 1, detail: { exampleKind: 'add', exampleServedBy: 'auth-qzaqg' } });
    // The words are the page's: the same numbers, said.
    expect(checkWords(checkOf(r, 'unexplained-refusals')!).actual).toBe('1 (1× HTTP 404)');
    expect(checkWords(checkOf(r, 'misrouted-answers')!).actual).toBe('1, e.g. add answered by auth-qzaqg');
  });

  it('fails a stateless run with operations still indeterminate after their retries, except those cut off by the end', () => {
    const unresolved = (error: string): Operation => ({ id: `i-${error}`, vu: 1, user: 'u1', kind: 'add', outcome: 'info', productId: 'sku-9', quantity: 1, idempotencyKey: `ki-${error}`, attempts: [{ startMs: 4000, durationMs: 2, status: 0, error }] });
    const base = cleanRun(sigkill);
    const cutOff = assembleRun({ ...base, operations: [...base.operations, unresolved('abandoned at the end of the run')] });
    expect(failing(cutOff)).toEqual([]);
    const r = assembleRun({ ...base, operations: [...base.operations, unresolved('socket hang up')] });
    expect(failing(r)).toEqual(['unresolved-operations']);
    expect(checkOf(r, 'unresolved-operations')).toMatchObject({ actual: 1, detail: { exampleKind: 'add', exampleEnding: 'socket hang up' } });
    expect(checkWords(checkOf(r, 'unresolved-operations')!).actual).toBe('1, e.g. add ended with socket hang up');
  });

  it('accepts refusals by the shop’s own rules (409 out of stock, 412 stale) but not others', () => {
    const refused = (status: number): Operation => ({ id: `r${status}`, vu: 1, user: 'u1', kind: 'checkout', outcome: 'fail', idempotencyKey: `k${status}`, attempts: [{ startMs: 4000, durationMs: 2, status, servedBy: 'cart-a' }] });
    // u2 checked out once (acknowledged), so refused checkouts are not all there is.
    const checkout: Operation = { id: 'u2-checkout', vu: 2, user: 'u2', kind: 'checkout', outcome: 'ok', orderId: 'o-u2', idempotencyKey: 'k-u2-c', attempts: [{ startMs: 3000, durationMs: 9, status: 201, servedBy: 'cart-b' }] };
    const ordered: FinalState = { user: 'u2', cart: [], orders: [{ id: 'o-u2', lines: finalOf('u2', 4).cart }] };
    const base = cleanRun(graceful, { operations: [...cleanRun(graceful).operations, checkout], finals: [finalOf('u1', 4), ordered] });
    expect(assembleRun({ ...base, operations: [...base.operations, refused(409), refused(412)] }).pass).toBe(true);
    const r = assembleRun({ ...base, operations: [...base.operations, refused(400)] });
    expect(failing(r)).toEqual(['unexplained-refusals']);
  });

  it('fails a run in which every attempted checkout was refused', () => {
    const refusedCheckout: Operation = { id: 'c1', vu: 1, user: 'u1', kind: 'checkout', outcome: 'fail', idempotencyKey: 'kc1', attempts: [{ startMs: 4000, durationMs: 2, status: 409, servedBy: 'cart-a' }] };
    const base = cleanRun(graceful);
    const r = assembleRun({ ...base, operations: [...base.operations, refusedCheckout] });
    expect(failing(r)).toEqual(['checkouts-acknowledged']);
    expect(checkOf(r, 'checkouts-acknowledged')).toMatchObject({ actual: 0, expected: { min: 1 }, detail: { attempted: 1 } });
  });

  it('counts attempts inside a deletion window, from the delete until the replacement is in rotation', () => {
    const ops = session('u1', 1, ['cart-a', 'cart-b'], 20);
    const r = assembleRun(cleanRun(sigkill, { operations: ops, finals: [finalOf('u1', 20)], kills: [{ ...kills(1, 'sigkill')[0]!, atMs: 1000, replacementReadyAtMs: 1500 }] }));
    // Adds start every 100 ms (+10): those at 1010..1410 overlap [1000, 1500].
    expect(r.attempts.duringKills).toBe(5);
  });
});

describe('assembleRun: stateful runs', () => {
  it('passes when the failure shows: lost writes and missing cart lines, counted', () => {
    const missing: Observation = { type: 'missing-lines', user: 'u1', atMs: 1200, servedBy: 'cart-b', missing: ['sku-0'] };
    const r = assembleRun(cleanRun(roundRobin, { finals: [finalOf('u1', 1), finalOf('u2', 4)], observations: [missing], minKills: 1 }));
    expect(r.expectation).toBe('demonstrates-failure');
    expect(r.pass).toBe(true);
    expect(r.writes.lost).toBe(3);
    expect(checkOf(r, 'stateful-failure-shown')).toMatchObject({ pass: true, detail: { lost: 3, duplicated: 0, unexpected: 0, missingReads: 1, sessionsLost: 0 } });
    expect(r.anomalies.some((a) => a.type === 'session')).toBe(true);
  });

  it('fails when the stateful mode shows no failure (e.g. memory mode silently wired to the shared store)', () => {
    const r = assembleRun(cleanRun(sticky, { minKills: 1 }));
    expect(r.pass).toBe(false);
    expect(failing(r)).toEqual(['stateful-failure-shown']);
  });

  it('counts lost sessions (a 401 after login) as the failure too', () => {
    const ops = session('u1', 1, ['cart-a', 'cart-b'], 2);
    ops.push({ id: 'u1-me', vu: 1, user: 'u1', kind: 'read', outcome: 'fail', attempts: [{ startMs: 900, durationMs: 2, status: 401, servedBy: 'auth-bbbbb' }] });
    const r = assembleRun(cleanRun(roundRobin, { operations: ops, finals: [finalOf('u1', 2)], minKills: 1 }));
    expect(r.sessions.lostSessions).toBe(1);
    expect(r.pass).toBe(true);
  });
});

describe('the report', () => {
  it('has a pass verdict when the stateless runs pass, whatever the stateful ones show', () => {
    const runs = [cleanRun(graceful), cleanRun(sigkill), cleanRun(roundRobin, { finals: [finalOf('u1', 1), finalOf('u2', 4)], minKills: 1 }), cleanRun(sticky, { minKills: 1 })];
    const report = assembleReport({ runs, generatedAt: new Date(0), machine: { node: 'v20', cpus: 2, replicasPerService: 3 } });
    expect(report.verdict).toBe('pass');
    expect(report.runs.map((r) => r.pass)).toEqual([true, true, true, false]);
    expect(report.generatedAt).toBe('1970-01-01T00:00:00.000Z');
    expect(() => renderReportHtml(report)).not.toThrow();
  });

  it('fails when a stateless run fails; with only stateful runs, they decide', () => {
    const pass = assembleRun(cleanRun(graceful));
    const fail = assembleRun(cleanRun(graceful, { kills: [] }));
    expect(verdictOf([pass, fail])).toBe('fail');
    expect(verdictOf([])).toBe('fail');
    const demo = assembleRun(cleanRun(roundRobin, { finals: [], minKills: 1 }));
    const noDemo = assembleRun(cleanRun(sticky, { minKills: 1 }));
    expect(verdictOf([demo])).toBe('pass');
    expect(verdictOf([demo, noDemo])).toBe('fail');
  });

  it('measures the comparison as numbers per side; the page says them', () => {
    const stateless = cleanRun(graceful);
    const stateful = cleanRun(sticky, { operations: [...session('u1', 1, ['cart-a'], 4), ...session('u2', 2, ['cart-b'], 4)], finals: [finalOf('u1', 1), finalOf('u2', 4)], minKills: 1 });
    const measured = comparison([stateless, stateful].map((data) => ({ data, report: assembleRun(data) })));
    expect(measured.stateless).toMatchObject({ writes: { acknowledged: 8, lost: 0, duplicated: 0, unexpected: 0 }, deletions: 3, sessions: { total: 2, lost: 0 } });
    expect(measured.stateless?.runs).toEqual([expect.objectContaining({ name: 'stateless-graceful', routing: 'round-robin', minPods: 2, maxPods: 2, missingReads: 0 })]);
    expect(measured.stateful?.runs[0]).toMatchObject({ minPods: 1, maxPods: 1 });
    expect(measured.stateful?.writes.lost).toBe(3);
    expect(measured.stateless?.replacements).toMatchObject({ count: 3, answers: 0 });
    expect(comparison([{ data: stateless, report: assembleRun(stateless) }]).stateful).toBeUndefined();

    const rows = comparisonRows(measured);
    expect(rows.map((r) => r.property)).toEqual([
      'Session data location',
      'Request independence (any replica serves any request)',
      'Scalability (replicas added or replaced)',
      'Load balancing',
      'Reliability under deletions (set checker)',
    ]);
    const byName = Object.fromEntries(rows.map((r) => [r.property, r]));
    expect(byName['Request independence (any replica serves any request)']?.stateless).toContain('2–2 cart replicas per session');
    expect(byName['Reliability under deletions (set checker)']?.stateless).toMatch(/^0 lost, 0 duplicated, 0 unexpected of 8 acknowledged writes/);
    expect(byName['Reliability under deletions (set checker)']?.stateful).toMatch(/^3 lost/);
    expect(byName['Load balancing']?.stateless).toMatch(/^stateless-graceful \(round-robin\): busiest cart replica \d\.\d\d× the average/);
    expect(comparisonRows({ stateless: measured.stateless! })[0]?.stateful).toBe('not run');
  });

  it('keeps words out of report.json: checks and the comparison are numbers and ids', () => {
    const report = assembleReport({ runs: [cleanRun(graceful), cleanRun(sticky, { minKills: 1 })], generatedAt: new Date(0), machine: { node: 'v24', cpus: 2, replicasPerService: 3 } });
    for (const run of report.runs) for (const c of run.checks) expect(Object.keys(c).sort()).toEqual(expect.arrayContaining(['actual', 'expected', 'id', 'pass']));
    expect(JSON.stringify(report.comparison)).not.toMatch(/lost, |replicas per session|busiest/);
    expect(JSON.stringify(report.runs.map((r) => r.checks))).not.toMatch(/replica deletions|lost writes/);
  });

  it('measures how evenly the cart replicas shared the load, by rate while answering', () => {
    const bucket = (atMs: number, byReplica: Record<string, number>) => ({ atMs, byReplica, failed: 0, p50: 1, p99: 1 });
    const run = assembleRun(cleanRun(graceful));
    const known = cleanRun(graceful).replicaService;
    // cart-a 10/s for 2 s, then replaced by cart-c at 10/s; cart-b 10/s throughout: even.
    run.timeline.buckets = [bucket(0, { 'cart-a': 10, 'cart-b': 10 }), bucket(1000, { 'cart-a': 10, 'cart-b': 10, 'auth-aaaaa': 99 }), bucket(2000, { 'cart-c': 10, 'cart-b': 10 })];
    expect(loadImbalance(run, known)).toBe(1);
    // Sticky: cart-a holds three users' load, cart-b one.
    run.timeline.buckets = [bucket(0, { 'cart-a': 30, 'cart-b': 10 }), bucket(1000, { 'cart-a': 30, 'cart-b': 10 })];
    expect(loadImbalance(run, known)).toBe(1.5);
  });
});

describe('latency', () => {
  it('is measured over the shopping phase; sign-in (slow password hashing) is left out', () => {
    const ops = session('u1', 1, ['cart-a', 'cart-b'], 4, { start: 500 });
    ops[0]!.attempts[0]!.durationMs = 9_000; // the login, before shopping starts at 550
    const data = cleanRun(graceful, { operations: ops, finals: [finalOf('u1', 4)], measuredFromMs: 550 });
    const r = assembleRun(data);
    expect(r.latencyMs.p99).toBe(5);
    expect(assembleRun({ ...data, measuredFromMs: 0 }).latencyMs.p99).toBe(9_000);
    expect(r.attempts.total).toBe(5);
  });
});
