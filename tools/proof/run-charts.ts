// The three charts of a run, all on the same time axis so a kill can be followed down the page:
// who served the requests, how slow they were, and how many attempts failed.
import { maxOf } from './chart-scale.ts';
import { chartFrame, timeAxis, valueAxis, type TimeAxis } from './chart-frame.ts';
import { esc, fmtInt, fmtMs, fmtSeconds } from './html.ts';
import { FAILURE_COLOUR, P50_COLOUR, P99_COLOUR, replicaColours, replicaOrder } from './palette.ts';
import type { RunReport } from './report-types.ts';

const REQUESTS_HEIGHT = 300;
const LATENCY_HEIGHT = 210;
const FAILURES_HEIGHT = 150;

type Bucket = RunReport['timeline']['buckets'][number];

/** Left and right edge of a bucket's bar, with a 1px gap when bars are wide enough to afford it. */
function barEdges(time: TimeAxis, bucket: Bucket, bucketMs: number): [number, number] {
  const x0 = time.x(bucket.atMs);
  const x1 = time.x(bucket.atMs + bucketMs);
  return x1 - x0 > 4 ? [x0 + 0.5, x1 - 0.5] : [x0, x1];
}

function bucketSpan(bucket: Bucket, bucketMs: number): string {
  return `${fmtSeconds(bucket.atMs)}–${fmtSeconds(bucket.atMs + bucketMs)}`;
}

function legend(items: Array<{ colour: string; label: string; note?: string; line?: boolean }>): string {
  const entries = items
    .map(
      (i) =>
        `<li><span class="swatch${i.line ? ' swatch-line' : ''}" style="--c:${i.colour}"></span>${esc(i.label)}${i.note ? ` <span class="muted">${esc(i.note)}</span>` : ''}</li>`,
    )
    .join('');
  return `<ul class="legend">${entries}</ul>`;
}

function noData(time: TimeAxis, height: number, text: string): string {
  const x = (time.x(0) + time.x(time.endMs)) / 2;
  return `<text x="${x.toFixed(1)}" y="${(height / 2).toFixed(1)}" class="no-data" text-anchor="middle">${esc(text)}</text>`;
}

/** Stacked bars: requests answered by each replica in each time bucket. */
export function requestsChart(run: RunReport): string {
  const time = timeAxis(run);
  const names = replicaOrder(run);
  const colours = replicaColours(names);
  const { bucketMs, buckets } = run.timeline;
  const totals = buckets.map((b) => Object.values(b.byReplica).reduce((a, n) => a + n, 0));
  const value = valueAxis(maxOf(totals), REQUESTS_HEIGHT, true);
  const bars = buckets
    .map((bucket) => {
      const [x0, x1] = barEdges(time, bucket, bucketMs);
      let below = 0;
      return names
        .filter((name) => (bucket.byReplica[name] ?? 0) > 0)
        .map((name) => {
          const n = bucket.byReplica[name] ?? 0;
          const yTop = value.y(below + n);
          const yBottom = value.y(below);
          below += n;
          return `<rect x="${x0.toFixed(1)}" y="${yTop.toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${(yBottom - yTop).toFixed(1)}" fill="${colours.get(name)}"><title>${esc(`${bucketSpan(bucket, bucketMs)} · ${name}: ${fmtInt(n)} requests`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const killed = new Map(run.killEvents.map((k) => [k.replica, k]));
  const replacing = new Map(run.killEvents.filter((k) => k.replacement).map((k) => [k.replacement as string, k]));
  const svg = chartFrame({
    run, time, value, height: REQUESTS_HEIGHT, className: 'chart-requests', labelledKills: true,
    title: `Requests per replica over time, ${run.name}`,
    yLabel: `requests per ${fmtSeconds(bucketMs)}`,
    formatY: fmtInt,
    body: bars || noData(time, REQUESTS_HEIGHT, 'no requests recorded'),
  });
  const items = names.map((name) => {
    const k = killed.get(name);
    const r = replacing.get(name);
    const notes = [r ? `started at ${fmtSeconds(r.atMs)}` : '', k ? `killed at ${fmtSeconds(k.atMs)}` : ''].filter(Boolean);
    return { colour: colours.get(name) ?? '#999', label: name, note: notes.length ? `(${notes.join(', ')})` : '' };
  });
  return figure('Who answered: requests per replica', svg, legend(items));
}

/** p50 and p99 latency per bucket as two lines. */
export function latencyChart(run: RunReport): string {
  const time = timeAxis(run);
  const { bucketMs, buckets } = run.timeline;
  const value = valueAxis(maxOf(buckets.map((b) => Math.max(b.p50, b.p99))), LATENCY_HEIGHT, false);
  const line = (key: 'p50' | 'p99', colour: string) => {
    if (buckets.length === 0) return '';
    const points = buckets.map((b) => [time.x(b.atMs + bucketMs / 2).toFixed(1), value.y(b[key]).toFixed(1)] as const);
    const dots = buckets
      .map((b, i) => {
        const [cx, cy] = points[i] ?? ['0', '0'];
        return `<circle cx="${cx}" cy="${cy}" r="2.2" fill="${colour}"><title>${esc(`${bucketSpan(b, bucketMs)} · ${key} ${fmtMs(b[key])}`)}</title></circle>`;
      })
      .join('');
    return `<path d="M${points.map((p) => p.join(',')).join('L')}" class="series-line series-${key}" stroke="${colour}"/>${dots}`;
  };
  const svg = chartFrame({
    run, time, value, height: LATENCY_HEIGHT, className: 'chart-latency', labelledKills: false,
    title: `Latency over time, ${run.name}`,
    yLabel: 'latency (ms)',
    body: buckets.length ? line('p99', P99_COLOUR) + line('p50', P50_COLOUR) : noData(time, LATENCY_HEIGHT, 'no requests recorded'),
  });
  const items = [
    { colour: P50_COLOUR, label: 'p50 (median)', line: true },
    { colour: P99_COLOUR, label: 'p99 (1 in 100 requests is slower)', line: true },
  ];
  return figure('How slow: latency per time bucket', svg, legend(items));
}

/** Failed attempts per bucket: what a client saw before its retry succeeded (or not). */
export function failuresChart(run: RunReport): string {
  const time = timeAxis(run);
  const { bucketMs, buckets } = run.timeline;
  const total = buckets.reduce((a, b) => a + b.failed, 0);
  const value = valueAxis(maxOf(buckets.map((b) => b.failed)), FAILURES_HEIGHT, false);
  const bars = buckets
    .filter((b) => b.failed > 0)
    .map((b) => {
      const [x0, x1] = barEdges(time, b, bucketMs);
      const y = value.y(b.failed);
      return `<rect x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${(x1 - x0).toFixed(1)}" height="${(value.y(0) - y).toFixed(1)}" fill="${FAILURE_COLOUR}"><title>${esc(`${bucketSpan(b, bucketMs)} · ${fmtInt(b.failed)} failed attempts`)}</title></rect>`;
    })
    .join('');
  const svg = chartFrame({
    run, time, value, height: FAILURES_HEIGHT, className: 'chart-failures', labelledKills: false,
    title: `Failed attempts over time, ${run.name}`,
    yLabel: 'failed attempts',
    formatY: fmtInt,
    body: bars || noData(time, FAILURES_HEIGHT, 'no failed attempts'),
  });
  const items = [{ colour: FAILURE_COLOUR, label: `failed attempts (${fmtInt(total)} in this run)` }];
  return figure('What failed: attempts that got an error or no answer', svg, legend(items));
}

function figure(caption: string, svg: string, legendHtml: string): string {
  return `<figure class="chart-figure"><figcaption>${esc(caption)}</figcaption>${svg}${legendHtml}</figure>`;
}
