// The proof, short: real replicas behind real nginx, real Postgres and Redis, a few seconds per
// run. The stateless runs must meet the same invariants as `make demo`; the stateful run must
// show its failure; and the mutation check — the same stateless run against carts that keep
// their writes in process memory (STATE_STORE=memory) while the report claims the shared
// store — must fail its checks, or the proof could not tell a broken cart from a good one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../cluster/index.ts';
import { PROOF_RUNS, verdictOf, type RunSpec } from '../proof/assemble-report.ts';
import type { ProofReport, RunReport } from '../proof/report-types.ts';
import { runProof } from '../proof/run-proof.ts';
import { writeReport } from '../proof/write-report.ts';

const [graceful, sigkill, roundRobin] = PROOF_RUNS as [RunSpec, RunSpec, RunSpec];

/** The mutation: a stateless run, checked as one, whose carts really live in process memory. */
const MUTANT: RunSpec = {
  name: 'mutant-in-memory-cart',
  mode: 'shared',
  kill: 'graceful',
  routing: 'round-robin',
  expectation: 'pass',
  clusterStateStore: 'memory',
  // No cookie sessions: the failure must come from the cart's write path, nothing else.
  behaviour: { cookieSession: false },
};

let report: ProofReport;
let dir: string;
const lines: string[] = [];
const run = (name: string): RunReport => {
  const r = report.runs.find((x) => x.name === name);
  if (!r) throw new Error(`no run ${name}`);
  return r;
};
const failing = (r: RunReport) => r.checks.filter((c) => !c.pass).map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anypod-proof-short-'));
  report = await runProof({
    runs: [graceful, sigkill, roundRobin, MUTANT],
    durationS: 10,
    killEveryS: 2.5,
    vus: 6,
    replicas: 2,
    minKills: 3,
    runDir: dir,
    // graceful + SIGKILL share one cluster, the stateful run and the mutant another.
    shareClusters: true,
    startCluster: (options) => startCluster({ ...options, handleSignals: false }),
    log: (line) => lines.push(line),
  });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the short proof', () => {
  it.each(['stateless-graceful', 'stateless-sigkill'])('%s loses nothing while replicas are deleted', (name) => {
    const r = run(name);
    expect(failing(r), lines.join('\n')).toEqual([]);
    expect(r.writes).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(r.quantityBoundViolations).toBe(0);
    expect(r.writes.acknowledged).toBeGreaterThan(0);
    expect(r.sessions.minDistinctPods).toBeGreaterThanOrEqual(2);
    expect(r.kills).toBeGreaterThanOrEqual(3);
    expect(r.sessions.lostSessions).toBe(0);
    if (r.kill === 'graceful') expect(r.attempts.failed).toBe(0);
    expect(r.pass).toBe(true);
  });

  it('shows the stateful failure, counted', () => {
    const r = run('stateful-round-robin');
    expect(r.pass, failing(r).join('\n')).toBe(true);
    expect(r.writes.lost + r.sessions.lostSessions).toBeGreaterThan(0);
    expect(r.anomalies.length).toBeGreaterThan(0);
  });

  it('mutation check: the stateless checks fail a cart that keeps writes in process memory', () => {
    const r = run(MUTANT.name);
    expect(r.pass).toBe(false);
    expect(r.writes.lost).toBeGreaterThan(0);
    expect(failing(r).some((c) => c.startsWith('lost writes'))).toBe(true);
    expect(verdictOf([r])).toBe('fail');
  });

  it('gives the stateless verdict and writes a report that renders', async () => {
    expect(verdictOf([run('stateless-graceful'), run('stateless-sigkill')])).toBe('pass');
    const { jsonPath, htmlPath } = await writeReport(join(dir, 'report'), report);
    expect(jsonPath).toMatch(/report\.json$/);
    expect(htmlPath).toMatch(/report\.html$/);
    expect(report.comparison).toHaveLength(5);
  });
});
