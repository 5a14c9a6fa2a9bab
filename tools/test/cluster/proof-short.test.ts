// The proof, short: real replicas behind real nginx, real Postgres and Redis, a few seconds per
// run. The stateless runs must meet the same invariants as `make demo`; the stateful run must
// show its failure; and two mutation checks — the same stateless checks against a cart that
// breaks what they claim to measure — must fail, or the proof could not tell a broken cart from
// a good one:
//   - carts that keep their writes in process memory (STATE_STORE=memory) behind a stateless claim;
//   - carts whose adds and edits ignore their Idempotency-Key (a test-only entry file), under
//     replicas that hang past the clients' timeout and then finish what they had accepted — so
//     writes are in flight on a stopped replica at every deletion, and every one of them lands
//     again after its client retried it elsewhere.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/index.ts';
import { verdictOf } from '../../proof/assemble-report.ts';
import { PROOF_RUNS, type RunSpec } from '../../proof/runs.ts';
import { comparisonRows } from '../../proof/words.ts';
import { failedChecks, runNamed } from '../proof-runs.ts';
import type { ProofReport, RunReport } from '../../proof/report-types.ts';
import { runProof } from '../../proof/run-proof.ts';
import { writeReport } from '../../proof/write-report.ts';

const spec = (name: string): RunSpec => {
  const found = PROOF_RUNS.find((r) => r.name === name);
  if (!found) throw new Error(`no proof run ${name}`);
  return found;
};

/** Mutation 1: a stateless run, checked as one, whose carts really live in process memory. */
const IN_MEMORY_CART: RunSpec = {
  name: 'mutant-in-memory-cart',
  mode: 'shared',
  kill: 'graceful',
  routing: 'round-robin',
  expectation: 'pass',
  clusterStateStore: 'memory',
  // No cookie sessions: the failure must come from the cart's write path, nothing else.
  behaviour: { cookieSession: false },
};

/** Mutation 2: the stateless hang run, checked as one, against carts that apply a retried write again. */
const NO_IDEMPOTENCY_CLAIM: RunSpec = {
  name: 'mutant-no-idempotency-claim',
  mode: 'shared',
  kill: 'hang',
  routing: 'round-robin',
  expectation: 'pass',
  clusterEntries: { cart: 'test/mutants/without-idempotency-claim.ts' },
  // Every deletion hits cart, whose write path is the one broken.
  rotation: ['cart'],
  behaviour: { cookieSession: false },
};

let report: ProofReport;
let dir: string;
const lines: string[] = [];
const run = (name: string): RunReport => runNamed(report, name);
const failed = (r: RunReport) => r.checks.filter((c) => !c.pass).map((c) => c.id);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anypod-proof-short-'));
  report = await runProof({
    runs: [spec('stateless-graceful'), spec('stateless-sigkill'), spec('stateless-hang'), spec('stateful-round-robin'), IN_MEMORY_CART, NO_IDEMPOTENCY_CLAIM],
    // Deletions at 2.5, 5, 7.5 and 10 s: one slot more than the three every stateless run must show.
    durationS: 11,
    killEveryS: 2.5,
    vus: 6,
    replicas: 2,
    minKills: 3,
    // Hung replicas stay stopped 3 s: clients give up after 2 s and retry elsewhere meanwhile.
    hangTimeoutMs: 2_000,
    runDir: dir,
    // The three stateless runs share one cluster; the stateful run and each mutant get their own.
    shareClusters: true,
    startCluster: (options) => startCluster({ ...options, handleSignals: false }),
    log: (line) => lines.push(line),
  });
}, 420_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the short proof', { tags: ['timing'] }, () => {
  it.each(['stateless-graceful', 'stateless-sigkill', 'stateless-hang'])('%s loses nothing while replicas are deleted', (name) => {
    const r = run(name);
    expect(failedChecks(r), lines.join('\n')).toEqual([]);
    expect(r.writes).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(r.quantityBoundViolations).toBe(0);
    expect(r.writes.acknowledged).toBeGreaterThan(0);
    expect(r.sessions.minDistinctPods).toBeGreaterThanOrEqual(2);
    expect(r.kills).toBeGreaterThanOrEqual(3);
    expect(r.sessions.lostSessions).toBe(0);
    if (r.kill === 'graceful') expect(r.attempts.failed).toBe(0);
    // A hang makes clients give up on the stopped replica: the faults really happened.
    if (r.kill === 'hang') expect(r.attempts.failedDuringKills).toBeGreaterThan(0);
    expect(r.pass).toBe(true);
  });

  it('shows the stateful failure, counted', () => {
    const r = run('stateful-round-robin');
    expect(r.pass, failedChecks(r).join('\n')).toBe(true);
    expect(r.writes.lost + r.sessions.lostSessions).toBeGreaterThan(0);
    expect(r.anomalies.length).toBeGreaterThan(0);
  });

  it('mutation check: the stateless checks fail a cart that keeps writes in process memory', () => {
    const r = run(IN_MEMORY_CART.name);
    expect(r.pass).toBe(false);
    expect(r.writes.lost).toBeGreaterThan(0);
    expect(failed(r)).toContain('lost-writes');
    expect(verdictOf([r])).toBe('fail');
  });

  it('mutation check: the stateless checks fail a cart whose writes ignore their Idempotency-Key', () => {
    const r = run(NO_IDEMPOTENCY_CLAIM.name);
    expect(r.pass).toBe(false);
    // Writes applied twice show as duplicated elements or quantities above what was attempted.
    expect(r.writes.duplicated + r.writes.unexpected + r.quantityBoundViolations, lines.join('\n')).toBeGreaterThan(0);
    expect(failed(r).some((id) => ['duplicated-writes', 'unexpected-writes', 'quantity-bounds'].includes(id))).toBe(true);
    expect(verdictOf([r])).toBe('fail');
  });

  it('gives the stateless verdict and writes a report that renders', async () => {
    expect(verdictOf(['stateless-graceful', 'stateless-sigkill', 'stateless-hang'].map(run))).toBe('pass');
    const { jsonPath, htmlPath } = await writeReport(join(dir, 'report'), report);
    expect(jsonPath).toMatch(/report\.json$/);
    expect(htmlPath).toMatch(/report\.html$/);
    expect(report.comparison.stateless?.runs.map((r) => r.name)).toEqual(expect.arrayContaining(['stateless-graceful', 'stateless-sigkill', 'stateless-hang']));
    expect(report.comparison.stateful?.writes.lost).toBe(run('stateful-round-robin').writes.lost);
    expect(comparisonRows(report.comparison)).toHaveLength(5);
  });
});
