// The seed comparison (architecture.md: session data location, request independence,
// scalability, load balancing, reliability), measured: the numbers behind each row, per side.
// The sentences that present them are rendering (words.ts).
import type { ServiceName } from '../cluster/types.ts';
import { SESSION_SERVICE, serviceOf } from './attribution.ts';
import { missingReads } from './checks.ts';
import type { Comparison, ComparisonSide, RunReport } from './report-types.ts';
import type { RunData } from './run-data.ts';

export interface ComparisonInput {
  report: RunReport;
  data: RunData;
}

export function comparison(runs: readonly ComparisonInput[]): Comparison {
  const stateless = runs.filter((r) => r.report.mode === 'shared');
  const stateful = runs.filter((r) => r.report.mode === 'memory');
  return { ...(stateless.length > 0 ? { stateless: side(stateless) } : {}), ...(stateful.length > 0 ? { stateful: side(stateful) } : {}) };
}

function side(runs: readonly ComparisonInput[]): ComparisonSide {
  const sum = (f: (r: RunReport) => number) => runs.reduce((a, r) => a + f(r.report), 0);
  const replacements = { count: 0, answers: 0, allAnswers: 0, readsLackingLines: 0 };
  for (const { report, data } of runs) {
    const added = new Set(report.killEvents.map((k) => k.replacement).filter((x): x is string => x !== undefined));
    replacements.count += added.size;
    for (const b of report.timeline.buckets) {
      for (const [replica, n] of Object.entries(b.byReplica)) {
        replacements.allAnswers += n;
        if (added.has(replica)) replacements.answers += n;
      }
    }
    // A replica that joins must already know every cart: did reads it answered lack lines?
    replacements.readsLackingLines += missingReads(data.observations).filter((o) => o.type === 'missing-lines' && o.servedBy !== undefined && added.has(o.servedBy)).length;
  }
  return {
    runs: runs.map(({ report, data }) => ({
      name: report.name,
      routing: report.routing,
      minPods: report.sessions.minDistinctPods,
      maxPods: report.sessions.maxDistinctPods,
      missingReads: missingReads(data.observations).length,
      imbalance: Math.round(loadImbalance(report, data.replicaService) * 100) / 100,
    })),
    sessions: { total: sum((r) => r.sessions.total), lost: sum((r) => r.sessions.lostSessions) },
    deletions: sum((r) => r.kills),
    replacements,
    writes: { acknowledged: sum((r) => r.writes.acknowledged), lost: sum((r) => r.writes.lost), duplicated: sum((r) => r.writes.duplicated), unexpected: sum((r) => r.writes.unexpected) },
    operationsNotAcknowledged: sum((r) => r.operations.failed + r.operations.indeterminate),
  };
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
