// A k6 run as a proof run (report-types.ts, RunReport): what its summary and time series
// (k6-results.ts) measured, in the same fields the proof's own runs fill, the run's checks on
// those numbers, its thresholds with k6's verdicts, and — as data — what k6 cannot show
// (RunSource.notMeasured). The metric names are the scripts' contract (LOAD_METRICS, shared
// with load-tests/lib/metrics.ts). Pure: the reading is k6-results.ts', so every verdict is
// tested on recorded files.
import { attemptStats, LOAD_METRICS, timeline, type Attempt, type Operation } from '@anypod/scenarios';
import { verdictOf } from './assemble-report.ts';
import { check, none } from './checks.ts';
import { SESSION_SERVICE } from './attribution.ts';
import type { K6Point, K6Summary, K6TimeSeriesInfo } from './k6-results.ts';
import type { Check, Mode, NotMeasured, ProofReport, RunReport, RunSource } from './report-types.ts';


/** What every k6 run lacks, whatever files it left. */
const ALWAYS_NOT_MEASURED: NotMeasured[] = ['deletions', 'attempts-during-deletions', 'routing', 'cross-user-history', 'traces', 'comparison'];

/** The time series reduced to what the report needs: a few numbers per request, never the whole line. */
export interface K6Series {
  info: K6TimeSeriesInfo;
  /** per request (http_req_duration point): when its sample was taken (ms since the epoch; k6 takes it at the request's end), its duration and status */
  requests: { atMs: number[]; durationMs: number[]; status: number[] };
  /** when each failed request's http_req_failed sample (value 1) was taken */
  failedAtMs: number[];
  /** anypod_answers points: answered attempts per pod */
  answers: Array<{ atMs: number; service: string; pod: string; n: number }>;
  /** anypod_operations summed by kind and outcome */
  operations: Record<string, Record<string, number>>;
  /** anypod_pods_per_session values by their `service` tag ('' when untagged) */
  podsPerSession: Record<string, number[]>;
}

/** A visitor for readK6TimeSeries that keeps what K6Series holds, and the series once read. */
export function seriesCollector(): { visit: (point: K6Point) => void; series: (info: K6TimeSeriesInfo) => K6Series } {
  const s: Omit<K6Series, 'info'> = { requests: { atMs: [], durationMs: [], status: [] }, failedAtMs: [], answers: [], operations: {}, podsPerSession: {} };
  const visit = (p: K6Point): void => {
    switch (p.metric) {
      case 'http_req_duration':
        s.requests.atMs.push(p.timeMs);
        s.requests.durationMs.push(p.value);
        s.requests.status.push(Number(p.tags.status ?? 0) || 0);
        break;
      case 'http_req_failed':
        if (p.value !== 0) s.failedAtMs.push(p.timeMs);
        break;
      case LOAD_METRICS.answers:
        if (p.tags.pod) s.answers.push({ atMs: p.timeMs, service: p.tags.service ?? '', pod: p.tags.pod, n: p.value });
        break;
      case LOAD_METRICS.operations: {
        const byOutcome = (s.operations[p.tags.kind ?? ''] ??= {});
        const outcome = p.tags.outcome ?? '';
        byOutcome[outcome] = (byOutcome[outcome] ?? 0) + p.value;
        break;
      }
      case LOAD_METRICS.podsPerSession:
        (s.podsPerSession[p.tags.service ?? ''] ??= []).push(p.value);
        break;
    }
  };
  return { visit, series: (info) => ({ info, ...s }) };
}

export interface K6RunInput {
  name: string;
  /** where the release under test keeps its state: shared (stateless, must pass) or memory (stateful, must show its failure) */
  mode: Mode;
  summary: K6Summary;
  series?: K6Series;
  files: RunSource['files'];
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
const BUCKET_MS = 1_000;
/** Past this many 1 s buckets, buckets grow (whole seconds) so a long run's bars stay visible. */
const MAX_BUCKETS = 300;

/** The aggregate a threshold expression tests: `count`, `rate`, `p(95)`, `min`... (k6's threshold grammar). */
function thresholdValue(expression: string, values: Record<string, number>): number | undefined {
  const aggregate = /^\s*([a-z]+(?:\(\s*[\d.]+\s*\))?)/.exec(expression)?.[1]?.replace(/\s+/g, '');
  return aggregate === undefined ? undefined : values[aggregate];
}

export function k6Thresholds(summary: K6Summary): RunSource['thresholds'] {
  return Object.entries(summary.metrics)
    .flatMap(([metric, m]) =>
      Object.entries(m.thresholds ?? {}).map(([expression, t]) => {
        const value = thresholdValue(expression, m.values);
        return { metric, expression, ok: t.ok, ...(value === undefined ? {} : { value }) };
      }),
    )
    .sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
}

/** Pods per session per service: from the time series' points, else the summary's (sub)metrics. */
function podsPerSession(summary: K6Summary, series: K6Series | undefined): RunSource['podsPerSession'] {
  const out: RunSource['podsPerSession'] = {};
  if (series && Object.keys(series.podsPerSession).length > 0) {
    for (const [service, values] of Object.entries(series.podsPerSession)) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      out[service] = { sessions: values.length, min, max };
    }
    return out;
  }
  const prefix = `${LOAD_METRICS.podsPerSession}{service:`;
  for (const [name, m] of Object.entries(summary.metrics)) {
    const service = name === LOAD_METRICS.podsPerSession ? '' : name.startsWith(prefix) && name.endsWith('}') ? name.slice(prefix.length, -1) : undefined;
    if (service === undefined || m.values.min === undefined || m.values.max === undefined) continue;
    out[service] = { min: m.values.min, max: m.values.max, ...(m.values.count === undefined ? {} : { sessions: m.values.count }) };
  }
  return out;
}

function runTimeline(series: K6Series, durationMs: number): RunReport['timeline'] {
  const start = series.info.firstMs;
  // k6 takes a request's samples at its end: the buckets are by answer time, like the answers'.
  const attempts: Attempt[] = series.requests.atMs.map((at, i) => ({ startMs: at - start, durationMs: series.requests.durationMs[i] ?? 0, status: series.requests.status[i] ?? 0 }));
  const span = Math.max(durationMs, series.info.lastMs - start + 1);
  const bucketMs = Math.max(BUCKET_MS, Math.ceil(span / MAX_BUCKETS / 1000) * 1000);
  const t = timeline([{ attempts } as Operation], bucketMs, span);
  const bucketOf = (atMs: number) => t.buckets[Math.min(t.buckets.length - 1, Math.floor(Math.max(0, atMs - start) / bucketMs))];
  // Failed as k6 counts them (http_req_failed: a status its response callback did not expect or no answer), so the buckets add up to attempts.failed.
  for (const b of t.buckets) b.failed = 0;
  for (const at of series.failedAtMs) {
    const b = bucketOf(at);
    if (b) b.failed++;
  }
  // Who answered: the scripts count answers per pod (X-Served-By); http_req_duration's tags do not carry it.
  for (const a of series.answers) {
    const b = bucketOf(a.atMs);
    if (b) b.byReplica[a.pod] = (b.byReplica[a.pod] ?? 0) + a.n;
  }
  return { bucketMs: t.bucketMs, buckets: t.buckets.map((b) => ({ ...b, p50: round1(b.p50), p99: round1(b.p99) })) };
}

export function k6Run(input: K6RunInput): RunReport {
  const { summary, series } = input;
  const missingMetrics: string[] = [];
  const metric = (name: string) => summary.metrics[name];
  /** a custom counter's total; a metric the run did not emit is remembered, and counts as undefined */
  const counter = (name: string): number | undefined => {
    const m = metric(name);
    if (m === undefined) {
      missingMetrics.push(name);
      return undefined;
    }
    return m.values.count ?? 0;
  };
  const notMeasured: NotMeasured[] = [...ALWAYS_NOT_MEASURED];
  const durationMs = Math.round(summary.state.testRunDurationMs);

  // Attempts and latency: k6's own http metrics.
  const reqs = series?.requests.durationMs.length;
  const attempts = {
    total: metric('http_reqs')?.values.count ?? reqs ?? 0,
    failed: metric('http_req_failed')?.values.passes ?? series?.failedAtMs.length ?? 0,
    duringKills: 0,
    failedDuringKills: 0,
  };
  let latencyMs: RunReport['latencyMs'];
  if (series) {
    const attemptsOf = series.requests.durationMs.map((durationMs) => ({ startMs: 0, durationMs, status: 200 }));
    const l = attemptStats([{ attempts: attemptsOf } as Operation], []).latencyMs;
    latencyMs = { p50: round1(l.p50), p99: round1(l.p99), p99DuringKills: 0, p99OutsideKills: 0 };
  } else {
    const v = metric('http_req_duration')?.values ?? {};
    if (v['p(99)'] === undefined) notMeasured.push('latency-p99');
    latencyMs = { p50: round1(v.med ?? 0), p99: round1(v['p(99)'] ?? 0), p99DuringKills: 0, p99OutsideKills: 0 };
  }

  // Operations by outcome: only the time series keeps the kind/outcome tags apart.
  let operations: RunReport['operations'];
  if (series) {
    const n = (outcome: string) => Object.values(series.operations).reduce((a, byOutcome) => a + (byOutcome[outcome] ?? 0), 0);
    const [acknowledged, failed, indeterminate] = [n('ok'), n('fail'), n('info')];
    operations = { total: acknowledged + failed + indeterminate, acknowledged, failed, indeterminate };
  } else {
    notMeasured.push('timeline', 'operations-by-outcome');
    operations = { total: counter(LOAD_METRICS.operations) ?? 0, acknowledged: 0, failed: 0, indeterminate: 0 };
  }

  const w = {
    attempted: counter(LOAD_METRICS.writesAttempted),
    acknowledged: counter(LOAD_METRICS.writesAcknowledged),
    lost: counter(LOAD_METRICS.writesLost),
    unexpected: counter(LOAD_METRICS.writesUnexpected),
    duplicated: counter(LOAD_METRICS.writesDuplicated),
    recovered: counter(LOAD_METRICS.writesRecovered),
  };
  const quantity = counter(LOAD_METRICS.quantityViolations);
  const usersChecked = counter(LOAD_METRICS.usersChecked);
  const readbackFailures = counter(LOAD_METRICS.readbackFailures);
  const sessionsLost = counter(LOAD_METRICS.sessionsLost);
  const missingLines = counter(LOAD_METRICS.missingLines);
  const pods = podsPerSession(summary, series);
  if (Object.keys(pods).length === 0) missingMetrics.push(LOAD_METRICS.podsPerSession);
  const cart = pods[SESSION_SERVICE] ?? pods[''];

  const sessions: RunReport['sessions'] = {
    // Every VU that reached its end either checked its read-back or counted its failure.
    total: cart?.sessions ?? (usersChecked ?? 0) + (readbackFailures ?? 0),
    minDistinctPods: cart?.min ?? 0,
    maxDistinctPods: cart?.max ?? 0,
    lostSessions: sessionsLost ?? 0,
  };
  const expectation: RunReport['expectation'] = input.mode === 'shared' ? 'pass' : 'demonstrates-failure';

  const checks: Check[] = [];
  // A counter k6 did not report is no check at all (its absence is in missingMetrics), never a pass.
  const noneIfCounted = (id: Check['id'], n: number | undefined, detail?: Check['detail']) => n !== undefined && checks.push(none(id, n, detail));
  if (expectation === 'pass') {
    if (w.acknowledged !== undefined && w.attempted !== undefined) checks.push(check('writes-acknowledged', w.acknowledged, { min: 1 }, { attempted: w.attempted }));
    if (usersChecked !== undefined) noneIfCounted('final-read', readbackFailures, { users: usersChecked + (readbackFailures ?? 0), read: usersChecked });
    noneIfCounted('lost-writes', w.lost);
    noneIfCounted('unexpected-writes', w.unexpected);
    noneIfCounted('duplicated-writes', w.duplicated);
    noneIfCounted('quantity-bounds', quantity);
    if (cart) checks.push(check('sessions-on-several-pods', sessions.total > 0 ? cart.min : 0, { min: 2 }, { max: cart.max, sessions: sessions.total }));
    noneIfCounted('read-your-writes', missingLines);
    noneIfCounted('sessions-lost', sessionsLost);
    const checkouts = series?.operations.checkout;
    if (checkouts) {
      const attempted = Object.values(checkouts).reduce((a, n) => a + n, 0);
      checks.push(check('checkouts-acknowledged', checkouts.ok ?? 0, { min: attempted > 0 ? 1 : 0 }, { attempted }));
    }
  } else {
    const shown = { lost: w.lost ?? 0, duplicated: w.duplicated ?? 0, unexpected: w.unexpected ?? 0, quantityBounds: quantity ?? 0, missingReads: missingLines ?? 0, sessionsLost: sessionsLost ?? 0, readBackFailures: readbackFailures ?? 0 };
    checks.push(check('stateful-failure-shown', Object.values(shown).reduce((a, n) => a + n, 0), { min: 1 }, shown));
  }
  const thresholds = k6Thresholds(summary);
  // A stateless run must also meet its SLOs; a stateful one is there to break them, so only its failure shown decides.
  const pass = checks.every((c) => c.pass) && (expectation !== 'pass' || thresholds.every((t) => t.ok));

  const vus = metric('vus_max')?.values;
  return {
    name: input.name,
    mode: input.mode,
    // Placeholders the type requires: notMeasured says k6 saw no deletion and no routing.
    kill: 'graceful',
    routing: 'round-robin',
    durationMs,
    virtualUsers: vus?.max ?? vus?.value ?? 0,
    kills: 0,
    killEvents: [],
    attempts,
    operations,
    writes: { attempted: w.attempted ?? 0, acknowledged: w.acknowledged ?? 0, lost: w.lost ?? 0, unexpected: w.unexpected ?? 0, duplicated: w.duplicated ?? 0, recovered: w.recovered ?? 0 },
    quantityBoundViolations: quantity ?? 0,
    sessions,
    latencyMs,
    timeline: series ? runTimeline(series, durationMs) : { bucketMs: BUCKET_MS, buckets: [] },
    checks,
    anomalies: [],
    expectation,
    pass,
    source: {
      producer: 'k6',
      notMeasured,
      thresholds,
      podsPerSession: pods,
      missingMetrics: [...new Set(missingMetrics)].sort(),
      iterations: metric('iterations')?.values.count ?? 0,
      usersChecked: usersChecked ?? 0,
      files: input.files,
    },
  };
}

/** The report of one k6 run; `machine` is where the report was made (k6 ran wherever the user ran it). */
export function k6Report(input: K6RunInput, generatedAt: Date, machine: ProofReport['machine']): ProofReport {
  const run = k6Run(input);
  return { verdict: verdictOf([run]), generatedAt: generatedAt.toISOString(), machine, runs: [run], comparison: {} };
}
