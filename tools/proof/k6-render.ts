// The parts of report.html only a k6 run has (render-html.ts places them): what the run can and
// cannot show, its thresholds with k6's verdicts, and the pods per session of every service.
import { esc, fmtInt } from './html.ts';
import type { ProofReport, RunReport, RunSource } from './report-types.ts';
import { K6_SHOWS, NOT_MEASURED_WORDS, thresholdWords } from './words.ts';

/** The report's k6 source when every run is a k6 run (the page then speaks of k6, not of make demo). */
export const k6Source = (run: RunReport): RunSource | undefined => (run.source?.producer === 'k6' ? run.source : undefined);
export const isK6Report = (report: ProofReport): boolean => report.runs.length > 0 && report.runs.every((r) => k6Source(r) !== undefined);

export function k6Headline(report: ProofReport): string {
  const stateless = report.runs.some((r) => r.expectation === 'pass');
  if (report.verdict === 'pass') return stateless ? 'PASS: the k6 run lost nothing and met its thresholds' : 'PASS: the k6 run against the stateful release showed its failure';
  return stateless ? 'FAIL: the k6 run did not meet its checks or thresholds' : 'FAIL: the k6 run against the stateful release did not show its failure';
}

export function k6BannerLines(report: ProofReport): string[] {
  return report.runs.map((r) => {
    const held = r.source?.thresholds.filter((t) => t.ok).length ?? 0;
    const all = r.source?.thresholds.length ?? 0;
    return (
      `${r.name}: ${fmtInt(r.virtualUsers)} virtual users, ${fmtInt(r.attempts.total)} requests, ${fmtInt(r.writes.acknowledged)} acknowledged writes: ` +
      `${fmtInt(r.writes.lost)} lost, ${fmtInt(r.writes.duplicated)} duplicated, ${fmtInt(r.writes.unexpected)} unexpected; ${fmtInt(held)} of ${fmtInt(all)} thresholds held. ` +
      'Deletions are not in k6’s data: see what this run cannot show.'
    );
  });
}

export function k6Meta(report: ProofReport): string {
  const files = report.runs.map((r) => [r.source?.files.summary, r.source?.files.timeseries].filter(Boolean).join(' + ')).join('; ');
  return `Generated ${report.generatedAt} from a k6 run (${files}) · report made with Node ${report.machine.node}`;
}

export function k6Intro(run: RunReport): string {
  const state =
    run.mode === 'shared'
      ? 'k6 against the stateless release: carts and sessions live in the shared stores, so any pod can answer any request.'
      : 'k6 against the stateful release (STATE_STORE=memory): each pod keeps carts and sessions in its own memory.';
  const expectation =
    run.expectation === 'pass'
      ? 'Expected: no lost, unexpected or duplicated writes, every session served by ≥ 2 pods, and every threshold held.'
      : 'This run is a demonstration: it is expected to show the failures a stateless run avoids (its thresholds are expected to be crossed).';
  const source = run.source;
  const iterations = source ? ` ${fmtInt(source.iterations)} iterations; ${fmtInt(source.usersChecked)} users checked their own read-back.` : '';
  return `<p class="run-intro">${esc(`${state} ${expectation}${iterations}`)}</p>`;
}

/** What the run can and cannot show: the page says it before any number, and report.json holds it as source.notMeasured. */
export function cannotShowSection(run: RunReport): string {
  const source = k6Source(run);
  if (!source) return '';
  const items = source.notMeasured.map((gap) => `<li data-not-measured="${esc(gap)}">${esc(NOT_MEASURED_WORDS[gap])}</li>`).join('');
  const missing =
    source.missingMetrics.length > 0
      ? `<p class="muted">${esc(`Not emitted by this script, so their checks are left out: ${source.missingMetrics.join(', ')}.`)}</p>`
      : '';
  return (
    `<section class="reading k6-scope" data-section="cannot-show"><h3>What a k6 run can and cannot show</h3>` +
    `<p>${esc(K6_SHOWS)}</p><p><strong>What it cannot show</strong> (the numbers these would fill read “not measured” here, and are listed in report.json’s <code>source.notMeasured</code>):</p>` +
    `<ul>${items}</ul>${missing}</section>`
  );
}

export function thresholdsTable(run: RunReport): string {
  const source = k6Source(run);
  if (!source) return '';
  if (source.thresholds.length === 0) return '<h3>Thresholds</h3><p class="muted">The script defined no thresholds.</p>';
  // In a demonstration a crossed threshold is the failure shown, not a defect of the run.
  const crossedIsBad = run.expectation === 'pass';
  const rows = source.thresholds
    .map((t) => {
      const w = thresholdWords(t);
      const cls = t.ok ? 'ok' : crossedIsBad ? 'bad' : '';
      return `<tr${cls ? ` class="${cls}"` : ''} data-threshold="${esc(`${t.metric} ${t.expression}`)}"><td><code>${esc(w.metric)}</code></td><td><code>${esc(w.expression)}</code></td><td>${esc(w.value)}</td><td><span class="badge badge-${t.ok ? 'pass' : crossedIsBad ? 'fail' : 'demo'}">${t.ok ? '✓ held' : '✗ crossed'}</span></td></tr>`;
    })
    .join('');
  return (
    `<h3>Thresholds (the script’s SLOs, as k6 judged them)</h3>` +
    `<div class="table-wrap"><table class="checks thresholds"><thead><tr><th>Metric</th><th>Threshold</th><th>Value</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}

export function podsPerSessionTable(run: RunReport): string {
  const source = k6Source(run);
  if (!source) return '';
  const entries = Object.entries(source.podsPerSession).sort(([a], [b]) => (a < b ? -1 : 1));
  if (entries.length === 0) return '';
  const rows = entries
    .map(([service, p]) => {
      const bad = run.expectation === 'pass' && p.min < 2;
      return `<tr${bad ? ' class="bad"' : ''} data-service="${esc(service)}"><td>${esc(service || 'all services')}</td><td>${fmtInt(p.min)}</td><td>${fmtInt(p.max)}</td><td>${p.sessions === undefined ? 'not in the summary' : fmtInt(p.sessions)}</td></tr>`;
    })
    .join('');
  return (
    `<h3>Pods per session</h3><p class="muted">Distinct pods that answered one virtual user correctly, per service (X-Served-By), counted by each user at its end.</p>` +
    `<div class="table-wrap"><table class="checks pods-per-session"><thead><tr><th>Service</th><th>Fewest pods</th><th>Most pods</th><th>Sessions</th></tr></thead><tbody>${rows}</tbody></table></div>`
  );
}
