// The tables of the report: the run summary, each run's checks and anomaly examples, and the
// stateless-vs-stateful comparison. Numbers that mean data went wrong are marked "bad" so a
// reader can spot them without knowing the checker.
import { esc, fmtInt, fmtMs, fmtSeconds } from './html.ts';
import type { NotMeasured, ProofReport, RunReport } from './report-types.ts';
import { KILL_LABELS } from '../cluster/types.ts';
import { traceLink } from './traces.ts';
import { checkWords, comparisonRows, tracesRule, tracesSentence } from './words.ts';

const MAX_ANOMALIES = 5;

export interface RunStatus {
  label: string;
  className: 'pass' | 'fail' | 'demo';
  detail: string;
}

/** A run passes or fails against its own expectation: stateful runs are there to fail. */
export function runStatus(run: RunReport): RunStatus {
  if (run.expectation === 'pass') {
    return run.pass
      ? { label: 'PASS', className: 'pass', detail: 'met every check' }
      : { label: 'FAIL', className: 'fail', detail: 'failed its checks' };
  }
  return run.pass
    ? { label: 'DEMONSTRATION', className: 'demo', detail: 'failure shown, as expected' }
    : { label: 'FAIL', className: 'fail', detail: 'the expected failure did not show' };
}

export function statusBadge(run: RunReport): string {
  const s = runStatus(run);
  return `<span class="badge badge-${s.className}">${esc(s.label)}</span> <span class="muted">${esc(s.detail)}</span>`;
}

export function modeLabel(run: RunReport): string {
  return run.mode === 'shared' ? 'stateless (shared store)' : 'stateful (in-memory)';
}

const pct = (part: number, whole: number) => (whole > 0 && part > 0 ? ` (${((100 * part) / whole).toFixed(part / whole < 0.01 ? 2 : 1)}%)` : '');

interface Row {
  label: string;
  hint?: string;
  cell: (r: RunReport) => string;
  /** true when the value means data went wrong */
  bad?: (r: RunReport) => boolean;
  /** a run whose producer could not measure this (RunReport.source) shows that instead of the value */
  notMeasured?: NotMeasured;
}

const NOT_MEASURED_CELL = 'not measured';

const GROUPS: Array<{ title: string; rows: Row[] }> = [
  {
    title: 'Setup',
    rows: [
      { label: 'Mode', hint: 'where carts and sessions live', cell: modeLabel },
      { label: 'Kill type', notMeasured: 'deletions', hint: 'graceful = SIGTERM then drain; hang = stopped past the clients’ timeout, resumed, then deleted', cell: (r) => KILL_LABELS[r.kill].short },
      { label: 'Routing', notMeasured: 'routing', hint: 'how the ingress picks a replica', cell: (r) => r.routing },
      { label: 'Kills', notMeasured: 'deletions', hint: 'replicas deleted during the run', cell: (r) => fmtInt(r.kills) },
      { label: 'Load', cell: (r) => `${fmtInt(r.virtualUsers)} users for ${fmtSeconds(r.durationMs)}` },
    ],
  },
  {
    title: 'Requests (attempts)',
    rows: [
      { label: 'Attempts', hint: 'HTTP requests sent, retries included', cell: (r) => fmtInt(r.attempts.total) },
      { label: 'Failed attempts', hint: 'error status or no answer', cell: (r) => fmtInt(r.attempts.failed) + pct(r.attempts.failed, r.attempts.total) },
      {
        label: 'Failed during kills',
        notMeasured: 'attempts-during-deletions',
        hint: 'of the attempts made while a kill was under way',
        cell: (r) => `${fmtInt(r.attempts.failedDuringKills)} of ${fmtInt(r.attempts.duringKills)}`,
      },
    ],
  },
  {
    title: 'Operations (what users tried to do)',
    rows: [
      { label: 'Acknowledged', notMeasured: 'operations-by-outcome', hint: 'the server said it happened', cell: (r) => fmtInt(r.operations.acknowledged) + pct(r.operations.acknowledged, r.operations.total) },
      { label: 'Failed', notMeasured: 'operations-by-outcome', hint: 'certainly did not happen', cell: (r) => fmtInt(r.operations.failed) },
      { label: 'Indeterminate', notMeasured: 'operations-by-outcome', hint: 'no clear answer; may have happened', cell: (r) => fmtInt(r.operations.indeterminate) },
    ],
  },
  {
    title: 'Writes (set checker)',
    rows: [
      { label: 'Lost', hint: 'acknowledged, then missing from the final read', cell: (r) => fmtInt(r.writes.lost), bad: (r) => r.writes.lost > 0 },
      { label: 'Unexpected', hint: 'in the final read but never attempted', cell: (r) => fmtInt(r.writes.unexpected), bad: (r) => r.writes.unexpected > 0 },
      { label: 'Duplicated', hint: 'applied more than once', cell: (r) => fmtInt(r.writes.duplicated), bad: (r) => r.writes.duplicated > 0 },
      { label: 'Recovered', hint: 'indeterminate, found applied afterwards', cell: (r) => fmtInt(r.writes.recovered) },
      { label: 'Quantity bound violations', hint: 'cart quantities outside what was possible', cell: (r) => fmtInt(r.quantityBoundViolations), bad: (r) => r.quantityBoundViolations > 0 },
    ],
  },
  {
    title: 'Sessions',
    rows: [
      { label: 'Sessions', cell: (r) => fmtInt(r.sessions.total) },
      { label: 'Min distinct pods', hint: 'fewest replicas that served one session', cell: (r) => `${fmtInt(r.sessions.minDistinctPods)} (max ${fmtInt(r.sessions.maxDistinctPods)})` },
      { label: 'Lost sessions', hint: 'users logged out by a kill', cell: (r) => fmtInt(r.sessions.lostSessions), bad: (r) => r.sessions.lostSessions > 0 },
      {
        label: 'Pods per session, from traces',
        notMeasured: 'traces',
        hint: 'distinct cart pods in each sampled session’s traces (k8s.pod.name)',
        cell: (r) => (r.traces && r.traces.sessionsChecked > 0 ? `${fmtInt(r.traces.minDistinctPodsPerSession)}–${fmtInt(r.traces.maxDistinctPodsPerSession)} (${fmtInt(r.traces.sessionsChecked)} sessions)` : 'not checked'),
        bad: (r) => r.checks.some((c) => c.id === 'traced-sessions-on-several-pods' && !c.pass),
      },
    ],
  },
  {
    title: 'Latency',
    rows: [
      { label: 'p50', cell: (r) => fmtMs(r.latencyMs.p50) },
      { label: 'p99', notMeasured: 'latency-p99', cell: (r) => fmtMs(r.latencyMs.p99) },
      { label: 'p99 during kills', notMeasured: 'attempts-during-deletions', cell: (r) => fmtMs(r.latencyMs.p99DuringKills) },
      // An older report (a baseline) has no p99 outside kills.
      { label: 'p99 outside kills', notMeasured: 'attempts-during-deletions', cell: (r) => (r.latencyMs.p99OutsideKills === undefined ? '—' : fmtMs(r.latencyMs.p99OutsideKills)) },
    ],
  },
];

/** Metrics down, runs across: a handful of runs fit side by side and each metric gets a hint. */
/** The runs side by side; `linked`: the run names link to their sections on this page. */
export function summaryTable(runs: readonly RunReport[], { linked = true } = {}): string {
  const head = `<tr><th scope="col">Metric</th>${runs.map((r, i) => `<th scope="col">${linked ? `<a href="#run-${i + 1}">${esc(r.name)}</a>` : esc(r.name)}</th>`).join('')}</tr>`;
  const body = GROUPS.map((g) => {
    const title = `<tr class="group"><th colspan="${runs.length + 1}" scope="colgroup">${esc(g.title)}</th></tr>`;
    const rows = g.rows
      .map((row) => {
        const label = `<th scope="row">${esc(row.label)}${row.hint ? `<div class="hint">${esc(row.hint)}</div>` : ''}</th>`;
        const cells = runs
          .map((r) => {
            if (row.notMeasured && r.source?.notMeasured.includes(row.notMeasured)) return `<td class="muted not-measured" data-not-measured="${esc(row.notMeasured)}">${NOT_MEASURED_CELL}</td>`;
            return `<td${row.bad?.(r) ? ' class="bad"' : ''}>${esc(row.cell(r))}</td>`;
          })
          .join('');
        return `<tr>${label}${cells}</tr>`;
      })
      .join('');
    return title + rows;
  }).join('');
  const result = `<tr class="result"><th scope="row">Result<div class="hint">against the run's own expectation</div></th>${runs.map((r) => `<td>${statusBadge(r)}</td>`).join('')}</tr>`;
  return `<div class="table-wrap"><table class="summary"><thead>${head}</thead><tbody>${body}${result}</tbody></table></div>`;
}

export function checksTable(run: RunReport): string {
  if (run.checks.length === 0) return '<p class="muted">No checks were recorded for this run.</p>';
  const rows = run.checks
    .map((c) => {
      const words = checkWords(c);
      return `<tr class="${c.pass ? 'ok' : 'bad'}" data-check="${esc(c.id)}"><td>${esc(words.name)}</td><td>${esc(words.expected)}</td><td>${esc(words.actual)}</td><td><span class="badge badge-${c.pass ? 'pass' : 'fail'}">${c.pass ? '✓ met' : '✗ not met'}</span></td></tr>`;
    })
    .join('');
  return `<table class="checks"><thead><tr><th>Check</th><th>Expected</th><th>Actual</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function anomalyList(run: RunReport): string {
  if (run.anomalies.length === 0) return '<p class="muted">The checker found no anomalies in this run.</p>';
  const shown = run.anomalies.slice(0, MAX_ANOMALIES);
  const items = shown
    .map((a) => `<li><span class="tag tag-${esc(a.type)}">${esc(a.type)}</span> <code>${esc(a.user)}</code> ${esc(a.detail)}</li>`)
    .join('');
  const rest = run.anomalies.length - shown.length;
  const more = rest > 0 ? `<p class="muted">…and ${rest} more ${rest === 1 ? 'example' : 'examples'} in report.json.</p>` : '';
  return `<ul class="anomalies">${items}</ul>${more}`;
}

export function comparisonTable(report: ProofReport): string {
  if (!report.comparison.stateless && !report.comparison.stateful) return '<p class="muted">No comparison was recorded.</p>';
  const rows = comparisonRows(report.comparison)
    .map((c) => `<tr><th scope="row">${esc(c.property)}</th><td>${esc(c.stateless)}</td><td>${esc(c.stateful)}</td></tr>`)
    .join('');
  return `<div class="table-wrap"><table class="comparison"><thead><tr><th>Property</th><th>Stateless (shared store)</th><th>Stateful (in-memory)</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

const MAX_SESSIONS_SHOWN = 10;
/** The run's traces: per sampled session the pods that served it, and one trace crossing cart → catalog span by span. */
export function tracesSection(run: RunReport): string {
  const traces = run.traces;
  const intro = `<p>${esc(tracesSentence(traces))}</p>`;
  if (!traces) return `<section class="traces"><h3>Traces</h3>${intro}</section>`;
  const parts = [intro, `<p class="muted">${esc(tracesRule(traces))}</p>`];
  if (traces.sessions.length > 0) {
    const rows = traces.sessions
      .slice(0, MAX_SESSIONS_SHOWN)
      .map((s) => `<tr${s.pods.length < 2 && run.expectation === 'pass' ? ' class="bad"' : ''}><td><code>${esc(s.sessionId)}</code></td><td>${fmtInt(s.traces)}</td><td>${fmtInt(s.pods.length)}</td><td>${s.pods.map((p) => `<code>${esc(p)}</code>`).join(' ')}</td></tr>`)
      .join('');
    const rest = traces.sessions.length - MAX_SESSIONS_SHOWN;
    parts.push(
      `<div class="table-wrap"><table class="trace-sessions"><thead><tr><th>Session (session.id)</th><th>Traces read</th><th>Distinct ${esc(traces.service)} pods</th><th>Pods</th></tr></thead><tbody>${rows}</tbody></table></div>` +
        (rest > 0 ? `<p class="muted">…and ${rest} more in report.json.</p>` : ''),
    );
  }
  parts.push(crossingBlock(traces));
  return `<section class="traces"><h3>Traces</h3>${parts.join('')}</section>`;
}

function crossingBlock(traces: NonNullable<RunReport['traces']>): string {
  const call = traces.crossing;
  if (!call) return traces.tracesRead > 0 ? `<p class="muted">${esc(`No trace crossing ${traces.service} → catalog with sound parent/child links among the ${traces.tracesRead} read.`)}</p>` : '';
  const link = traceLink(traces.jaegerUrl, call.traceId);
  const head =
    `<h4>${esc(`A trace crossing ${call.from} → ${call.to}`)}</h4>` +
    `<p>Trace <code>${esc(call.traceId)}</code>${call.sessionId ? ` of session <code>${esc(call.sessionId)}</code>` : ''}` +
    (link ? ` · <a class="trace-link" href="${esc(link)}" rel="noreferrer">open it in Jaeger</a> <span class="muted">(while that Jaeger runs)</span>` : '') +
    `</p><p class="muted">${esc(`${call.to}'s server span is the child of ${call.from}'s client span, which descends from ${call.from}'s own server span: the path in bold.`)}</p>`;
  const rows = call.spans
    .map((s) => {
      const name = s.onPath ? `<strong>${esc(s.name)}</strong>` : esc(s.name);
      return `<tr data-span="${esc(s.spanId)}"${s.onPath ? ' class="on-path"' : ''}><td style="padding-left:${10 + Math.min(s.depth, 20) * 14}px">${name}</td><td>${esc(s.service)}</td><td>${s.pod ? `<code>${esc(s.pod)}</code>` : ''}</td><td>${esc(s.kind)}</td><td>${esc(fmtMs(s.startMs))}</td><td>${esc(fmtMs(s.durationMs))}</td></tr>`;
    })
    .join('');
  const more = call.spanCount > call.spans.length ? `<p class="muted">${esc(`…and ${call.spanCount - call.spans.length} more spans in Jaeger.`)}</p>` : '';
  return `${head}<div class="table-wrap"><table class="trace-spans"><thead><tr><th>Span</th><th>Service</th><th>Pod</th><th>Kind</th><th>Starts at</th><th>Duration</th></tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}
