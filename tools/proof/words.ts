// The words of the report: what each check is called and how its numbers read, and the
// sentences of the stateless-vs-stateful comparison. report.json holds only the numbers
// (checks.ts, comparison.ts); the page and the terminal summary say them with these.
import type { CheckId } from './checks.ts';
import type { Check, Comparison, ComparisonSide, K6Threshold, NotMeasured, RunTraces, TraceGap } from './report-types.ts';

interface CheckWords {
  name: string;
  /** the measured value in words (default: the number) */
  actual?: (check: Check) => string;
}

const detail = (check: Check, key: string): number | string | undefined => check.detail?.[key];
const counts = (check: Check, exclude: string[] = []): string =>
  Object.entries(check.detail ?? {})
    .filter(([k, v]) => !exclude.includes(k) && typeof v === 'number')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export const CHECK_WORDS: Record<CheckId, CheckWords> = {
  'run-completed': { name: 'run completed', actual: (c) => String(detail(c, 'error') ?? 'no') },
  'settled-before-read': { name: 'cluster back to full strength before the final read-back', actual: (c) => String(detail(c, 'problem') ?? 'no') },
  deletions: {
    name: 'replica deletions',
    actual: (c) => {
      const byService = counts(c, ['failed']);
      const failed = detail(c, 'failed');
      return `${c.actual} (${byService || 'none'})${failed ? `; ${failed} failed: ${detail(c, 'firstError')}` : ''}`;
    },
  },
  'writes-acknowledged': { name: 'writes acknowledged (the run did real work)', actual: (c) => `${c.actual} of ${detail(c, 'attempted')} attempted` },
  'final-read': { name: 'final read-back of every user', actual: (c) => `${detail(c, 'read')} read${c.actual > 0 ? `, ${c.actual} failed` : ''} of ${detail(c, 'users')} users` },
  'lost-writes': { name: 'lost writes' },
  'unexpected-writes': { name: 'unexpected writes' },
  'duplicated-writes': { name: 'duplicated writes' },
  'quantity-bounds': { name: 'quantity bounds (acknowledged ≤ final ≤ attempted)', actual: (c) => `${c.actual} violations` },
  'sessions-on-several-pods': { name: 'every session served by ≥ 2 cart replicas', actual: (c) => `min ${c.actual}, max ${detail(c, 'max')} over ${detail(c, 'sessions')} sessions` },
  'traced-sessions-on-several-pods': {
    name: 'every sampled session served by ≥ 2 cart pods, as the pods’ own spans say (Jaeger, k8s.pod.name)',
    actual: (c) => {
      const reason = detail(c, 'reason');
      if (reason !== undefined && Number(detail(c, 'sessions') ?? 0) === 0) return `no session checked: ${TRACE_GAP_WORDS[reason as TraceGap] ?? String(reason)}`;
      return `min ${c.actual}, max ${detail(c, 'max')} over ${detail(c, 'sessions')} sessions`;
    },
  },
  'read-your-writes': { name: 'cart reads missing an acknowledged line (read-your-writes on any replica)' },
  'sessions-lost': { name: 'sessions lost (401 after login)' },
  'misrouted-answers': {
    name: 'answers from a replica of the route’s own service',
    actual: (c) => (c.actual === 0 ? '0 from another service' : `${c.actual}, e.g. ${detail(c, 'exampleKind')} answered by ${detail(c, 'exampleServedBy')}`),
  },
  'unexplained-refusals': {
    name: 'operations refused other than by a conflict (409) or a stale edit (412)',
    actual: (c) =>
      c.actual === 0
        ? '0'
        : `${c.actual} (${Object.entries(c.detail ?? {})
            .map(([status, n]) => `${n}× ${status === '0' ? 'no answer' : `HTTP ${status}`}`)
            .join(', ')})`,
  },
  'unresolved-operations': {
    name: 'operations still indeterminate after their retries (not counting those cut off by the end of the run)',
    actual: (c) => (c.actual === 0 ? '0' : `${c.actual}, e.g. ${detail(c, 'exampleKind')} ended with ${detail(c, 'exampleEnding')}`),
  },
  'checkouts-acknowledged': {
    name: 'checkouts acknowledged (when any was attempted)',
    actual: (c) => (detail(c, 'attempted') === 0 ? 'none attempted' : `${c.actual} of ${detail(c, 'attempted')}`),
  },
  'load-complete': { name: 'load ran to its end (not cut off by its bounds)', actual: (c) => (c.actual === 1 ? 'yes' : 'cut off') },
  'graceful-failed-attempts': {
    name: 'failed attempts during graceful deletes',
    actual: (c) => `${c.actual} of ${detail(c, 'total')} (${detail(c, 'failedDuringKills')} of the ${detail(c, 'duringKills')} made during deletions)`,
  },
  'stateful-failure-shown': {
    name: 'the stateful failure shows (lost or duplicated writes, carts missing lines, lost sessions)',
    actual: (c) =>
      `lost ${detail(c, 'lost')}, duplicated ${detail(c, 'duplicated')}, unexpected ${detail(c, 'unexpected')}, ` +
      `cart reads missing lines ${detail(c, 'missingReads')}, sessions lost ${detail(c, 'sessionsLost')}` +
      (Number(detail(c, 'readBackFailures') ?? 0) > 0 ? `, read-backs failed ${detail(c, 'readBackFailures')}` : ''),
  },
};

/** The bounds in words: "0", "≥ 3", "> 0", "1 to 4". */
function expectedWords(check: Check): string {
  const { min, max } = check.expected;
  if (check.id === 'run-completed' || check.id === 'settled-before-read' || check.id === 'load-complete') return 'yes';
  if (min !== undefined && max !== undefined) return min === max ? String(min) : `${min} to ${max}`;
  if (max !== undefined) return String(max === 0 ? 0 : `≤ ${max}`);
  if (min === 1) return '> 0';
  if (min !== undefined) return `≥ ${min}`;
  return 'any';
}

export function checkWords(check: Check): { name: string; expected: string; actual: string } {
  const words = CHECK_WORDS[check.id];
  return { name: words.name, expected: expectedWords(check), actual: words.actual?.(check) ?? String(check.actual) };
}

// --- traces -----------------------------------------------------------------------------------

/** Why a run's traces said nothing (report-types.ts, TraceGap). */
export const TRACE_GAP_WORDS: Record<TraceGap, string> = {
  'not-traced': 'the run had no Jaeger to send traces to',
  'jaeger-unreachable': 'Jaeger did not answer',
  'no-traces': 'Jaeger held no trace of the service from the run’s time window',
  'no-sessions': 'none of the run’s traces carried a session.id',
  'too-few-traces': 'no sampled session had enough traces',
};

/** What a run's traces say, in one sentence (the page and the run's log line). */
export function tracesSentence(traces: RunTraces | undefined): string {
  if (!traces) return 'Traces were not read for this run (a report from before the proof read them).';
  const { service, sessionsChecked, sessionsFound, minDistinctPodsPerSession: min, maxDistinctPodsPerSession: max, tracesRead } = traces;
  if (sessionsChecked === 0) {
    const why = traces.reason ? TRACE_GAP_WORDS[traces.reason] : 'no session was checked';
    return `No session checked from traces: ${why}${traces.error ? ` (${traces.error})` : ''}${tracesRead > 0 ? `; ${tracesRead} traces read` : ''}.`;
  }
  const pods = min === max ? `${min}` : `${min} to ${max}`;
  return `${sessionsChecked} of the ${sessionsFound} sessions found in ${tracesRead} traces were checked: each was served by ${pods} distinct ${service} pod${max === 1 ? '' : 's'}, as their spans say.`;
}

/** The rule that leaves sessions out, in words. */
export function tracesRule(traces: RunTraces): string {
  return `A session is checked when at least ${traces.minTracesPerSession} of its ${traces.service} traces were read; with fewer, staying on one pod could be luck.`;
}

// --- the comparison ---------------------------------------------------------------------------

const NOT_RUN = 'not run';
const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((100 * part) / whole)} %` : '0 %');

function sentences(s: ComparisonSide, where: string) {
  const names = s.runs.map((r) => r.name).join(' + ');
  return {
    location: `${where}: ${s.sessions.lost} of ${s.sessions.total} sessions lost, ${s.deletions} deletions (${names})`,
    independence: s.runs.map((r) => `${r.name}: ${r.minPods}–${r.maxPods} cart replicas per session, ${r.missingReads} cart reads missing acknowledged lines`).join('; '),
    scalability: `${s.replacements.count} new replicas took ${pct(s.replacements.answers, s.replacements.allAnswers)} of all answers as soon as they joined; ${s.replacements.readsLackingLines} cart reads they answered lacked acknowledged lines`,
    balance: s.runs.map((r) => `${r.name} (${r.routing}): busiest cart replica ${r.imbalance.toFixed(2)}× the average replica's request rate (1.00 = even)`).join('; '),
    reliability:
      `${s.writes.lost} lost, ${s.writes.duplicated} duplicated, ${s.writes.unexpected} unexpected of ${s.writes.acknowledged} acknowledged writes; ` +
      `${s.operationsNotAcknowledged} operations not acknowledged after retries; ${s.deletions} deletions`,
  };
}

/** The comparison as the page shows it: one row per property of the seed comparison. */
export function comparisonRows(comparison: Comparison): Array<{ property: string; stateless: string; stateful: string }> {
  const a = comparison.stateless ? sentences(comparison.stateless, 'Postgres (Redis as a cache)') : undefined;
  const b = comparison.stateful ? sentences(comparison.stateful, 'each replica’s memory') : undefined;
  const row = (property: string, key: keyof ReturnType<typeof sentences>) => ({ property, stateless: a?.[key] ?? NOT_RUN, stateful: b?.[key] ?? NOT_RUN });
  return [
    row('Session data location', 'location'),
    row('Request independence (any replica serves any request)', 'independence'),
    row('Scalability (replicas added or replaced)', 'scalability'),
    row('Load balancing', 'balance'),
    row('Reliability under deletions (set checker)', 'reliability'),
  ];
}

// --- k6 runs ----------------------------------------------------------------------------------

/** What a k6 run cannot show, and why (report-types.ts, NotMeasured). */
export const NOT_MEASURED_WORDS: Record<NotMeasured, string> = {
  deletions: 'When pods were deleted, and which: k6 only sends requests and does not know about deletions, so the charts have no deletion markers and the run has no deletion count.',
  'attempts-during-deletions': 'Attempts and latency during deletions: without the deletions’ times, no request can be placed inside one.',
  routing: 'How requests were spread over the pods: that is the cluster’s Service or Gateway, not k6; only who answered is counted (X-Served-By).',
  'cross-user-history': 'A history check across users: k6 virtual users share no memory, so each one checks only its own writes against its own read-back, and only the counts reach the report — no examples of what went wrong.',
  traces: 'Traces: k6 reads no Jaeger, so the servers’ own account of which pods served a session is not here.',
  comparison: 'The stateless-vs-stateful comparison: a report holds one k6 run; run the script against both releases and compare the two pages.',
  timeline: 'The timeline (answers per pod, failures and latency per second): it needs the time series (--out json), which was not given.',
  'operations-by-outcome': 'Operations by outcome (acknowledged, failed, indeterminate): the summary adds up anypod_operations over its kind and outcome tags; they need the time series.',
  'latency-p99': 'The p99 latency: the summary’s trend statistics (summaryTrendStats) do not include p(99), and there is no time series to compute it from.',
};

/** What a k6 run can show, in one sentence for the page. */
export const K6_SHOWS =
  'What k6 measured: every request and its latency (k6’s http metrics), which pod answered each attempt, each virtual user’s operations by outcome, ' +
  'its writes checked against its own read-back (lost, unexpected, duplicated, recovered), quantity violations, lost sessions and cart reads missing a line, ' +
  'the fewest and most pods that served one session per service, and the thresholds with k6’s verdicts.';

/** A threshold in words: the metric, the expression, and the value k6 compared when the summary gives it. */
export function thresholdWords(t: K6Threshold): { metric: string; expression: string; value: string; held: string } {
  const value = t.value === undefined ? 'not in the summary' : Number.isInteger(t.value) ? String(t.value) : t.value.toFixed(t.value < 1 ? 4 : 1);
  return { metric: t.metric, expression: t.expression, value, held: t.ok ? 'held' : 'crossed' };
}
