// report.html: one self-contained page for out/proof/report.json. No scripts, fonts or
// requests: charts are inline SVG drawn here, the CSS is inline, and a Content-Security-Policy
// forbids everything else, so even a mistake in escaping could not run code or fetch anything.
import { esc, fmtInt } from './html.ts';
import { REPORT_CSS } from './report-style.ts';
import type { ProofReport, RunReport } from './report-types.ts';
import { KILL_LABELS } from '../cluster/types.ts';
import { failuresChart, latencyChart, requestsChart } from './run-charts.ts';
import { anomalyList, checksTable, comparisonTable, statusBadge, summaryTable, tracesSection } from './render-tables.ts';
import { cannotShowSection, isK6Report, k6BannerLines, k6Headline, k6Intro, k6Meta, k6Source, podsPerSessionTable, thresholdsTable } from './k6-render.ts';

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const sum = (runs: RunReport[], pick: (r: RunReport) => number) => runs.reduce((a, r) => a + pick(r), 0);

function verdictBanner(report: ProofReport): string {
  if (isK6Report(report)) return banner(report, k6Headline(report), k6BannerLines(report), k6Meta(report));
  const stateless = report.runs.filter((r) => r.expectation === 'pass');
  const stateful = report.runs.filter((r) => r.expectation === 'demonstrates-failure');
  const pass = report.verdict === 'pass';
  const headline = pass
    ? 'PASS: the stateless services lost nothing while pods were killed'
    : 'FAIL: the stateless runs did not meet their checks';
  const bad = sum(stateless, (r) => r.writes.lost + r.writes.unexpected + r.writes.duplicated);
  const lines = [
    `${fmtInt(stateless.length)} stateless run(s), ${fmtInt(sum(stateless, (r) => r.kills))} pod kills, ` +
      `${fmtInt(sum(stateless, (r) => r.operations.acknowledged))} acknowledged operations: ` +
      `${fmtInt(sum(stateless, (r) => r.writes.lost))} lost, ${fmtInt(sum(stateless, (r) => r.writes.duplicated))} duplicated, ` +
      `${fmtInt(sum(stateless, (r) => r.writes.unexpected))} unexpected writes${bad === 0 ? '.' : ' — see the runs below.'}`,
  ];
  if (stateful.length > 0) {
    lines.push(
      `For contrast, ${fmtInt(stateful.length)} stateful run(s) with in-memory state lost ${fmtInt(sum(stateful, (r) => r.writes.lost))} writes ` +
        `and ${fmtInt(sum(stateful, (r) => r.sessions.lostSessions))} sessions under the same kind of load.`,
    );
  }
  const failing = report.runs.filter((r) => !r.pass);
  if (failing.length > 0) lines.push(`Runs that did not meet their expectation: ${failing.map((r) => r.name).join(', ')}.`);
  const meta = `Generated ${report.generatedAt} · ${platformWords(report.machine.platform)} · Node ${report.machine.node} · ${fmtInt(report.machine.cpus)} CPUs · ${fmtInt(report.machine.replicasPerService)} replicas per service`;
  return banner(report, headline, lines, meta);
}

function banner(report: ProofReport, headline: string, lines: string[], meta: string): string {
  const pass = report.verdict === 'pass';
  return (
    `<header class="verdict verdict-${pass ? 'pass' : 'fail'}" data-verdict="${esc(report.verdict)}"><div class="verdict-inner">` +
    `<div class="kicker">anypod · proof report</div><h1 id="verdict">${esc(headline)}</h1>` +
    lines.map((l) => `<p>${esc(l)}</p>`).join('') +
    `<p class="meta">${esc(meta)}</p></div></header>`
  );
}

/** Where the runs ran, in words (older reports have no platform: they came from the local cluster). */
export function platformWords(platform: ProofReport['machine']['platform']): string {
  if (platform?.kind === 'kubernetes') {
    return `Kubernetes ${platform.version} (node ${platform.nodes.join(', ')}), release ${platform.release} of chart ${platform.chart} in namespace ${platform.namespace}, requests through ${platform.routing}`;
  }
  return 'local cluster (replicas as processes behind nginx)';
}

const READING_GUIDE = `<section class="reading"><strong>How to read this page.</strong><ul>
<li>Each <em>run</em> drives virtual users (log in, browse, add to cart, read the cart, check out) while replicas are deleted and replaced, like a Kubernetes ReplicaSet would.</li>
<li>Every operation is recorded and checked like Jepsen's set checker: an acknowledged write that is missing at the end is <em>lost</em>; one applied twice is <em>duplicated</em>.</li>
<li><em>Stateless</em> runs keep state in shared stores and must lose nothing. <em>Stateful</em> runs keep it in each replica's memory; they are a <em>demonstration</em> of what goes wrong without shared state.</li>
<li>In the charts, dashed vertical lines mark the kills; hover a bar or point for its exact value.</li>
<li><em>Traces</em> are the servers' side of the story: Jaeger's spans, each naming the pod that made it, grouped by user session — which pods served one session, and one request followed from cart into catalog.</li>
</ul></section>`;

function runIntro(run: RunReport): string {
  const state =
    run.mode === 'shared'
      ? 'Stateless: carts and sessions live in the shared stores, so any replica can answer any request.'
      : 'Stateful: each replica keeps carts and sessions in its own memory (STATE_STORE=memory).';
  const kills = `${run.kills} replicas were ${KILL_LABELS[run.kill].long}`;
  const routing = run.routing === 'sticky' ? 'the ingress pinned each user to one replica (sticky)' : 'the ingress spread requests round-robin';
  const expectation =
    run.expectation === 'pass'
      ? 'Expected: no lost, unexpected or duplicated writes.'
      : 'This run is a demonstration: it is expected to show the failures a stateless run avoids.';
  return `<p class="run-intro">${esc(`${state} ${kills} and replaced; ${routing}. ${expectation}`)}</p>`;
}

function runSection(run: RunReport, index: number): string {
  // A k6 run says first what it cannot show, then its thresholds next to its checks; it has no
  // anomaly examples or traces to show (cannotShowSection says why).
  const k6 = k6Source(run) !== undefined;
  return (
    `<section class="run" id="run-${index + 1}" data-run="${esc(run.name)}">` +
    `<h2>${esc(run.name)} ${statusBadge(run)}</h2>` +
    (k6 ? k6Intro(run) + cannotShowSection(run) : runIntro(run)) +
    requestsChart(run) +
    latencyChart(run) +
    failuresChart(run) +
    `<h3>Checks</h3>${checksTable(run)}` +
    (k6 ? thresholdsTable(run) + podsPerSessionTable(run) : `<h3>Anomaly examples</h3>${anomalyList(run)}` + tracesSection(run)) +
    `</section>`
  );
}

/** Another report's runs, for comparison (the Kubernetes report shows the local cluster's). */
function baselineSection(report: ProofReport): string {
  const b = report.baseline;
  if (!b) return '';
  const intro = `${b.title}: ${platformWords(b.platform)}, generated ${b.generatedAt}.`;
  return `<section><h2>Compared with</h2><p class="muted">${esc(intro)}</p>${summaryTable(b.runs, { linked: false })}</section>`;
}

export function renderReportHtml(report: ProofReport): string {
  const title = `anypod proof: ${report.verdict.toUpperCase()}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
${verdictBanner(report)}
<main>
${READING_GUIDE}
<section><h2>Summary of runs</h2>${summaryTable(report.runs)}</section>
${baselineSection(report)}
${isK6Report(report) ? '' : `<section><h2>Stateless vs stateful</h2><p class="muted">Measured in these runs.</p>${comparisonTable(report)}</section>`}
${report.runs.map(runSection).join('\n')}
</main>
<footer>Data: report.json next to this file. Produced by <code>${isK6Report(report) ? 'make load-report' : report.machine.platform?.kind === 'kubernetes' ? 'make demo-kube' : 'make demo'}</code>.</footer>
</body>
</html>
`;
}
