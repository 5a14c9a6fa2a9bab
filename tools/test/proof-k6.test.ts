// The report of a k6 run (tools/proof/k6-*.ts), from a recorded summary and time series of
// 03-pod-deletion (fixtures/k6/). The assertions hold for any such run against the stateless
// release with nothing lost, so a fresh recording can replace the fixture: nothing lost, every
// session on ≥ 2 pods per service, thresholds listed and held, a timeline with pods in it, and
// what k6 cannot show said on the page and in report.json. Then bad input (each error names the
// file and the fault), and mutants of the recording that must fail the run.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k6ReportFromFiles, parseK6Config } from '../proof/k6-cli.ts';
import { K6InputError, readK6Summary, readK6TimeSeries } from '../proof/k6-results.ts';
import type { NotMeasured, ProofReport, RunReport } from '../proof/report-types.ts';
import { NOT_MEASURED_WORDS } from '../proof/words.ts';
import { writeReport } from '../proof/write-report.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const FIXTURES = join(HERE, 'fixtures/k6');
const SUMMARY = join(FIXTURES, '03-pod-deletion.summary.json');
// Recorded gzipped (2 MB of NDJSON, 73 KB packed); the tests read and vary it as k6 writes it, plain.
const TIMESERIES_GZ = join(FIXTURES, '03-pod-deletion.timeseries.json.gz');
let TIMESERIES: string;
const NODE = process.execPath;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'anypod-k6-report-'));
  TIMESERIES = join(work, '03-pod-deletion.timeseries.json');
  await writeFile(TIMESERIES, gunzipSync(await readFile(TIMESERIES_GZ)));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const runOf = (report: ProofReport): RunReport => {
  expect(report.runs).toHaveLength(1);
  return report.runs[0] as RunReport;
};
const checkOf = (run: RunReport, id: string) => run.checks.find((c) => c.id === id);
const ALWAYS: NotMeasured[] = ['deletions', 'attempts-during-deletions', 'routing', 'cross-user-history', 'traces', 'comparison'];

interface SummaryJson {
  metrics: Record<string, { values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}
interface PointJson {
  type: string;
  metric: string;
  data: { value: number; tags: Record<string, string> | null };
}

/** A metric of the recorded summary, which must be there to be changed. */
function metricOf(summary: SummaryJson, name: string): SummaryJson['metrics'][string] {
  const m = summary.metrics[name];
  if (!m) throw new Error(`the recorded summary has no metric ${name}`);
  return m;
}

/** Marks every threshold of a metric crossed (k6's verdict for the changed value). */
function cross(summary: SummaryJson, name: string): void {
  const m = metricOf(summary, name);
  for (const e of Object.keys(m.thresholds ?? {})) (m.thresholds ??= {})[e] = { ok: false };
}

/** A copy of the recording with its summary and/or time series changed, in a fresh folder. */
async function mutant(name: string, change: { summary?: (s: SummaryJson) => void; points?: (p: PointJson) => boolean }): Promise<{ summary: string; timeseries: string }> {
  const summary = JSON.parse(await readFile(SUMMARY, 'utf8')) as SummaryJson;
  change.summary?.(summary);
  const lines = (await readFile(TIMESERIES, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const out: string[] = [];
  for (const line of lines) {
    const entry = JSON.parse(line) as PointJson;
    // a change returns true when it altered this point; then the line is written anew
    out.push(entry.type === 'Point' && change.points?.(entry) ? JSON.stringify(entry) : line);
  }
  const files = { summary: join(work, `${name}.summary.json`), timeseries: join(work, `${name}.timeseries.json`) };
  await writeFile(files.summary, JSON.stringify(summary));
  await writeFile(files.timeseries, `${out.join('\n')}\n`);
  return files;
}

describe('a recorded k6 run of 03-pod-deletion as a report', () => {
  let report: ProofReport;
  let run: RunReport;
  let html: string;
  let json: ProofReport;
  beforeAll(async () => {
    report = await k6ReportFromFiles({ summary: SUMMARY, timeseries: TIMESERIES, name: 'k6-pod-deletion', mode: 'shared' });
    run = runOf(report);
    const { htmlPath, jsonPath } = await writeReport(join(work, 'recorded'), report);
    html = await readFile(htmlPath, 'utf8');
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as ProofReport;
  });

  it('passes: nothing lost, unexpected or duplicated, and real work was done', () => {
    expect(run.writes).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(run.writes.acknowledged).toBeGreaterThan(0);
    expect(run.writes.attempted).toBeGreaterThanOrEqual(run.writes.acknowledged);
    expect(run.quantityBoundViolations).toBe(0);
    expect(run.sessions.lostSessions).toBe(0);
    expect(run.checks.filter((c) => !c.pass)).toEqual([]);
    expect(run.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['lost-writes', 'unexpected-writes', 'duplicated-writes', 'final-read', 'sessions-on-several-pods']));
    expect(run.pass).toBe(true);
    expect(report.verdict).toBe('pass');
  });

  it('counts requests and users as k6 did, and latency from the time series', () => {
    expect(run.attempts.total).toBeGreaterThan(0);
    expect(run.attempts.failed).toBeLessThanOrEqual(run.attempts.total);
    expect(run.virtualUsers).toBeGreaterThan(0);
    expect(run.durationMs).toBeGreaterThan(0);
    expect(run.source?.usersChecked).toBeGreaterThanOrEqual(run.virtualUsers);
    expect(run.latencyMs.p50).toBeGreaterThan(0);
    expect(run.latencyMs.p99).toBeGreaterThanOrEqual(run.latencyMs.p50);
    expect(run.operations.total).toBeGreaterThan(0);
    expect(run.operations.acknowledged + run.operations.failed + run.operations.indeterminate).toBe(run.operations.total);
  });

  it('serves every session from ≥ 2 pods of every service', () => {
    const pods = run.source?.podsPerSession ?? {};
    expect(Object.keys(pods).sort()).toEqual(['auth', 'cart', 'catalog']);
    for (const [service, p] of Object.entries(pods)) {
      expect(p.min, service).toBeGreaterThanOrEqual(2);
      expect(p.sessions, service).toBeGreaterThan(0);
    }
    expect(run.sessions.minDistinctPods).toBeGreaterThanOrEqual(2);
  });

  it('lists every threshold of the summary with k6’s verdict, all held', async () => {
    const summary = await readK6Summary(SUMMARY);
    const expected = Object.entries(summary.metrics).flatMap(([metric, m]) => Object.keys(m.thresholds ?? {}).map((e) => `${metric} ${e}`));
    const thresholds = run.source?.thresholds ?? [];
    expect(thresholds.map((t) => `${t.metric} ${t.expression}`).sort()).toEqual(expected.sort());
    expect(thresholds.map((t) => t.metric)).toEqual(expect.arrayContaining(['anypod_writes_lost', 'anypod_pods_per_session{service:cart}', 'http_req_duration{service:cart}']));
    expect(thresholds.filter((t) => !t.ok)).toEqual([]);
    for (const t of thresholds) expect(html).toContain(`data-threshold="${t.metric.replace(/"/g, '&quot;')} ${t.expression.replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`);
  });

  it('has a timeline: buckets with the pods that answered, failures adding up to the failed attempts', () => {
    const { buckets } = run.timeline;
    expect(buckets.length).toBeGreaterThan(1);
    const pods = new Set(buckets.flatMap((b) => Object.keys(b.byReplica)));
    expect(pods.size).toBeGreaterThanOrEqual(3 * 2);
    for (const service of ['auth', 'catalog', 'cart']) expect([...pods].some((p) => p.startsWith(`${service}-`)), service).toBe(true);
    expect(buckets.reduce((a, b) => a + b.failed, 0)).toBe(run.attempts.failed);
    expect(buckets.some((b) => b.p99 > 0)).toBe(true);
    expect(html).toContain('class="chart chart-requests"');
    for (const pod of pods) expect(html).toContain(pod);
  });

  it('says what a k6 run cannot show, on the page and in report.json, instead of zeros', () => {
    const notMeasured = json.runs[0]?.source?.notMeasured ?? [];
    expect(notMeasured).toEqual(expect.arrayContaining(ALWAYS));
    // given both files, the timeline and the operations are measured
    expect(notMeasured).not.toContain('timeline');
    expect(notMeasured).not.toContain('operations-by-outcome');
    expect(run.killEvents).toEqual([]);
    expect(run.anomalies).toEqual([]);
    expect(run.traces).toBeUndefined();
    expect(html).toContain('data-section="cannot-show"');
    for (const gap of notMeasured) {
      expect(html).toContain(`<li data-not-measured="${gap}">`);
      expect(html).toContain(NOT_MEASURED_WORDS[gap].slice(0, 40));
    }
    // the summary table says "not measured" where the proof's own runs have deletion numbers
    for (const gap of ['deletions', 'attempts-during-deletions', 'routing', 'traces']) expect(html).toContain(`<td class="muted not-measured" data-not-measured="${gap}">not measured</td>`);
    expect(html).not.toContain('pod kills');
    expect(html).toContain('make load-report');
  });

  it('renders a page without NaN, Infinity or undefined, scripts or stateless-vs-stateful comparison', () => {
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('Stateless vs stateful');
  });
});

describe('a k6 run with only its summary', () => {
  it('says the timeline and the operations by outcome need the time series, and takes latency from the summary', async () => {
    const report = await k6ReportFromFiles({ summary: SUMMARY, name: 'summary-only', mode: 'shared' });
    const run = runOf(report);
    const summary = await readK6Summary(SUMMARY);
    expect(run.source?.notMeasured).toEqual(expect.arrayContaining([...ALWAYS, 'timeline', 'operations-by-outcome']));
    expect(run.timeline.buckets).toEqual([]);
    expect(run.latencyMs.p50).toBeCloseTo(summary.metrics.http_req_duration?.values.med ?? NaN, 0);
    expect(run.attempts.total).toBe(summary.metrics.http_reqs?.values.count);
    // the writes and pods per session are counters and thresholded submetrics: in the summary alone too
    expect(run.writes.lost).toBe(0);
    expect(run.sessions.minDistinctPods).toBeGreaterThanOrEqual(2);
    expect(run.pass).toBe(true);
    const html = (await readFile((await writeReport(join(work, 'summary-only'), report)).htmlPath, 'utf8'));
    expect(html).toContain('<li data-not-measured="timeline">');
    expect(html).toContain('data-not-measured="operations-by-outcome">not measured</td>');
  });
});

describe('bad input', () => {
  it('names a missing file and which file it should be', async () => {
    const missing = join(work, 'nope.json');
    await expect(readK6Summary(missing)).rejects.toThrow(new K6InputError(`${missing}: no such file (the k6 summary: the JSON handleSummary writes)`));
    await expect(readK6TimeSeries(missing, () => {})).rejects.toThrow(new K6InputError(`${missing}: no such file (the k6 time series: k6 run --out json=<file>)`));
  });

  it('reads a gzipped time series (k6 gzips it when the file name ends in .gz) like the plain one', async () => {
    const gz = join(work, 'timeseries.json.gz');
    await writeFile(gz, gzipSync(await readFile(TIMESERIES)));
    const count = async (file: string) => {
      let n = 0;
      const info = await readK6TimeSeries(file, () => n++);
      return { n, points: info.points, firstMs: info.firstMs };
    };
    const plain = await count(TIMESERIES);
    expect(plain.n).toBeGreaterThan(0);
    expect(await count(gz)).toEqual(plain);
  });

  it('names the line that is not JSON', async () => {
    const lines = (await readFile(TIMESERIES, 'utf8')).split('\n');
    const file = join(work, 'broken.timeseries.json');
    await writeFile(file, [...lines.slice(0, 4), '{"type":"Point","data":{"time":', ...lines.slice(4)].join('\n'));
    const error = await readK6TimeSeries(file, () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(K6InputError);
    expect((error as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: not JSON`));
  });

  it('refuses a point before its metric is declared, a time that is not one, and an unknown line type', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['undeclared', '{"type":"Point","data":{"time":"2025-11-30T10:00:00Z","value":1,"tags":null},"metric":"http_reqs"}', /:1: a point of "http_reqs" before its Metric line/],
      ['bad-time', '{"type":"Metric","data":{"type":"counter","contains":"default"},"metric":"x"}\n{"type":"Point","data":{"time":"yesterday","value":1,"tags":null},"metric":"x"}', /:2: "data.time" is "yesterday", not an RFC 3339 time/],
      ['bad-type', '{"type":"Sample","data":{},"metric":"x"}', /:1: "type" is "Sample", not "Metric" or "Point"/],
      ['bad-value', '{"type":"Metric","data":{"type":"trend","contains":"time"},"metric":"x"}\n{"type":"Point","data":{"time":"2025-11-30T10:00:00Z","value":"fast","tags":null},"metric":"x"}', /:2: "data.value" is "fast", not a number/],
    ];
    for (const [name, text, message] of cases) {
      const file = join(work, `${name}.json`);
      await writeFile(file, `${text}\n`);
      await expect(readK6TimeSeries(file, () => {}), name).rejects.toThrow(message);
    }
  });

  it('refuses a summary without metrics, without its duration, or with a metric k6 would not write', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['no-metrics', { root_group: {}, state: { testRunDurationMs: 1 } }, /: no "metrics" object; is this the data handleSummary receives/],
      ['not-object', [1, 2], /: a k6 summary is a JSON object, this is an array/],
      ['no-duration', { metrics: {}, state: {} }, /: no number at "state.testRunDurationMs"/],
      ['bad-metric', { metrics: { http_reqs: { type: 'histogram', values: {} } }, state: { testRunDurationMs: 1 } }, /: metric "http_reqs": "type" is "histogram"/],
      ['bad-threshold', { metrics: { x: { type: 'counter', values: { count: 1 }, thresholds: { 'count==0': true } } }, state: { testRunDurationMs: 1 } }, /: metric "x": threshold "count==0" has no boolean "ok"/],
    ];
    for (const [name, data, message] of cases) {
      const file = join(work, `${name}.summary.json`);
      await writeFile(file, JSON.stringify(data));
      const error = await readK6Summary(file).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(K6InputError);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message.startsWith(`${file}:`), name).toBe(true);
    }
    const notJson = join(work, 'text.summary.json');
    await writeFile(notJson, 'checks.....: 100.00%');
    await expect(readK6Summary(notJson)).rejects.toThrow(/text\.summary\.json: not JSON/);
  });

  it('the CLI exits 2 with the error on bad input or usage, and writes the page on good input', () => {
    const cli = (args: string[]) => spawnSync(NODE, ['--import', 'tsx', 'tools/proof/k6-cli.ts', ...args], { cwd: REPO, encoding: 'utf8' });
    const missing = cli(['--summary', join(work, 'absent.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('absent.json: no such file');
    const usage = cli(['--timeseries', TIMESERIES]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--summary <file> is required');
    expect(() => parseK6Config(['--summary', SUMMARY, '--mode', 'sticky'])).toThrow('--mode must be shared or memory, got "sticky"');
    const out = join(work, 'cli-out');
    const ok = cli(['--summary', SUMMARY, '--timeseries', TIMESERIES, '--out', out]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`report: ${join(out, 'report.html')}`);
  });
});

describe('mutants of the recording fail the run', () => {
  it('a lost write (k6 crossed its threshold) fails the run, its check and its threshold', async () => {
    const files = await mutant('lost', {
      summary: (s) => {
        metricOf(s, 'anypod_writes_lost').values.count = 1;
        cross(s, 'anypod_writes_lost');
      },
    });
    const report = await k6ReportFromFiles({ ...files, name: 'lost', mode: 'shared' });
    const run = runOf(report);
    expect(report.verdict).toBe('fail');
    expect(run.pass).toBe(false);
    expect(run.writes.lost).toBe(1);
    expect(checkOf(run, 'lost-writes')).toMatchObject({ actual: 1, pass: false });
    expect(run.source?.thresholds.find((t) => t.metric === 'anypod_writes_lost')).toMatchObject({ ok: false, value: 1 });
  });

  it('a lost write is caught by the report’s own check even when the script had no threshold on it', async () => {
    const files = await mutant('lost-unguarded', {
      summary: (s) => {
        const lost = metricOf(s, 'anypod_writes_lost');
        lost.values.count = 1;
        delete lost.thresholds;
      },
    });
    const run = runOf(await k6ReportFromFiles({ ...files, name: 'lost-unguarded', mode: 'shared' }));
    expect(run.source?.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(checkOf(run, 'lost-writes')).toMatchObject({ actual: 1, pass: false });
    expect(run.pass).toBe(false);
  });

  it('a session served by one cart pod fails sessions-on-several-pods', async () => {
    let changed = 0;
    const files = await mutant('one-pod', {
      points: (p) => {
        if (changed > 0 || p.metric !== 'anypod_pods_per_session' || p.data.tags?.service !== 'cart') return false;
        p.data.value = 1;
        return ++changed > 0;
      },
    });
    expect(changed).toBe(1);
    const run = runOf(await k6ReportFromFiles({ ...files, name: 'one-pod', mode: 'shared' }));
    expect(run.source?.podsPerSession.cart?.min).toBe(1);
    expect(checkOf(run, 'sessions-on-several-pods')).toMatchObject({ actual: 1, pass: false });
    expect(run.pass).toBe(false);
  });

  it('a crossed latency threshold alone fails a stateless run', async () => {
    const files = await mutant('slow', {
      summary: (s) => cross(s, 'http_req_duration{service:cart}'),
    });
    const run = runOf(await k6ReportFromFiles({ ...files, name: 'slow', mode: 'shared' }));
    expect(run.checks.every((c) => c.pass)).toBe(true);
    expect(run.pass).toBe(false);
  });

  it('the same clean run, claimed against the stateful release, fails: no failure was shown', async () => {
    const report = await k6ReportFromFiles({ summary: SUMMARY, timeseries: TIMESERIES, name: 'stateful', mode: 'memory' });
    const run = runOf(report);
    expect(run.expectation).toBe('demonstrates-failure');
    expect(checkOf(run, 'stateful-failure-shown')).toMatchObject({ actual: 0, pass: false });
    expect(report.verdict).toBe('fail');
  });
});
