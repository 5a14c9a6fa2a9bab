// The assembly: turns what a run recorded (run-data.ts) into the report.json contract
// (report-types.ts) — the Jepsen-style check and the statistics come from @anypod/scenarios, the
// checks from checks.ts, the comparison from comparison.ts, the traces as traces.ts read them —
// and decides the verdict. Pure: no I/O, so every verdict the proof can reach is unit-tested on
// hand-made runs.
import { attemptStats, checkHistory, lostSessions, operationCounts, sessionStats, timeline, type KillWindow } from '@anypod/scenarios';
import { attemptsOfService, misroutedAnswers, SESSION_SERVICE } from './attribution.ts';
import { missingReads, statefulChecks, statelessChecks } from './checks.ts';
import { comparison } from './comparison.ts';
import type { KillEvent, ProofReport, RunReport } from './report-types.ts';
import type { RunData } from './run-data.ts';
import { notTraced } from './traces.ts';

const TIMELINE_BUCKET_MS = 1_000;
const MAX_ANOMALY_EXAMPLES = 20;

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
    traces: data.traces ?? notTraced(),
    latencyMs: { p50: round1(latency.p50), p99: round1(latency.p99), p99DuringKills: round1(latency.p99DuringKills), p99OutsideKills: round1(latency.p99OutsideKills) },
    timeline: roundTimeline(timeline(operations, TIMELINE_BUCKET_MS, data.durationMs)),
    checks: [],
    anomalies,
    expectation: spec.expectation,
    pass: false,
  };
  const input = { report, data, missingReads: missing.length, misrouted: misroutedAnswers(operations, data.replicaService) };
  report.checks = spec.expectation === 'pass' ? statelessChecks(input) : statefulChecks(input);
  report.pass = report.checks.every((c) => c.pass);
  return report;
}


const round1 = (n: number): number => Math.round(n * 10) / 10;

function roundTimeline(t: RunReport['timeline']): RunReport['timeline'] {
  return { bucketMs: t.bucketMs, buckets: t.buckets.map((b) => ({ ...b, p50: round1(b.p50), p99: round1(b.p99) })) };
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
