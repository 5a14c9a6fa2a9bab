// Fast checks of the HTML renderer's building blocks and edge cases, without a browser
// (report-html.test.ts opens the page in Chromium).
import { describe, expect, it } from 'vitest';
import { niceTicks } from '../proof/chart-scale.ts';
import { esc } from '../proof/html.ts';
import { replicaColours } from '../proof/palette.ts';
import { renderReportHtml } from '../proof/render-html.ts';
import type { RunReport } from '../proof/report-types.ts';
import { sampleReport } from './fixtures/sample-report.ts';

const NOT_A_NUMBER = /NaN|Infinity|undefined/;

describe('report rendering', () => {
  it('escapes every character that could open markup or leave an attribute', () => {
    expect(esc(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('puts axis ticks on round numbers, ending at or above the maximum', () => {
    expect(niceTicks(412, 5)).toEqual([0, 100, 200, 300, 400, 500]);
    expect(niceTicks(195, 5)).toEqual([0, 50, 100, 150, 200]);
    expect(niceTicks(0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('gives every replica its own colour, even past the palette', () => {
    const names = Array.from({ length: 20 }, (_, i) => `cart-${i}`);
    expect(new Set(replicaColours(names).values()).size).toBe(20);
  });

  it('renders the sample without a NaN, Infinity or undefined anywhere', () => {
    expect(renderReportHtml(sampleReport())).not.toMatch(NOT_A_NUMBER);
  });

  it('renders a run with no data instead of failing', () => {
    const report = sampleReport();
    const base = report.runs[0] as RunReport;
    const empty: RunReport = {
      ...base,
      name: 'empty',
      kills: 0,
      killEvents: [],
      durationMs: 0,
      timeline: { bucketMs: 1000, buckets: [] },
      checks: [],
      anomalies: [],
      attempts: { total: 0, failed: 0, duringKills: 0, failedDuringKills: 0 },
    };
    report.runs = [empty];
    report.comparison = {};
    const html = renderReportHtml(report);
    expect(html).toContain('no requests recorded');
    expect(html).toContain('No checks were recorded');
    expect(html).not.toMatch(NOT_A_NUMBER);
  });

  it('shows a failed stateless run as the reason for a failed verdict', () => {
    const report = sampleReport();
    const run = report.runs[1] as RunReport;
    run.writes.lost = 3;
    run.pass = false;
    run.checks[0] = { id: 'lost-writes', expected: { max: 0 }, actual: 3, pass: false };
    report.verdict = 'fail';
    const html = renderReportHtml(report);
    expect(html).toContain('class="verdict verdict-fail"');
    expect(html).toContain('FAIL: the stateless runs did not meet their checks');
    expect(html).toContain(`Runs that did not meet their expectation: ${run.name}.`);
    expect(html).toContain('<td class="bad">3</td>');
  });

  it('says where the runs ran, and shows another report\'s runs when given, unlinked', () => {
    const local = sampleReport();
    expect(renderReportHtml(local)).toContain('local cluster (replicas as processes behind nginx)');
    expect(renderReportHtml(local)).not.toContain('Compared with');
    const kube = sampleReport();
    kube.machine.platform = { kind: 'kubernetes', version: 'v1.35.4', nodes: ['anypod-node'], namespace: 'anypod', release: 'anypod', chart: 'anypod-0.2.0', routing: 'the gateway' };
    kube.baseline = { title: 'The local cluster’s last runs', generatedAt: '2026-11-30T09:00:00Z', platform: { kind: 'local' }, runs: local.runs.map((r) => ({ ...r, name: `local-${r.name}` })) };
    const html = renderReportHtml(kube);
    expect(html).toContain('Kubernetes v1.35.4 (node anypod-node), release anypod of chart anypod-0.2.0 in namespace anypod');
    expect(html).toContain('<h2>Compared with</h2>');
    for (const run of kube.baseline.runs) {
      expect(html).toContain(`<th scope="col">${run.name}</th>`);
      expect(html).not.toContain(`>${run.name}</a>`);
    }
    expect(html).toContain('make demo-kube');
  });
});
