// The Sobek harness (tools/go/k6-harness) on small fixture scripts against a real loopback HTTP
// server: k6's semantics for per-VU module state, executors, k6/http, cookies, checks, metrics,
// thresholds, handleSummary, --out json and k6's exit codes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goToolPathAsync } from '../go/go-tools.ts';
import { spawnHarness, type HarnessProcess } from '../load-tests/harness.ts';

const FIXTURES = join(import.meta.dirname, 'k6-harness');

type Run = HarnessProcess;
interface Line { type: 'Metric' | 'Point'; metric: string; data: { type?: string; value?: number; tags?: Record<string, string> | null; time?: string; thresholds?: string[] } }

let server: Server;
let base = '';
let refusedUrl = '';
let work = '';

function runHarness(fixture: string, args: string[] = []): Promise<Run> {
  return spawnHarness(['run', '--quiet', ...args, join(FIXTURES, fixture)], { cwd: work });
}

function results(run: Run): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const m of run.stderr.matchAll(/RESULT (\{.*\}) source=console/g)) {
    const { name, value } = JSON.parse(m[1] ?? '') as { name: string; value: unknown };
    out.set(name, value);
  }
  return out;
}

function jsonLines(path: string): Line[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
}

const points = (lines: Line[], metric: string) => lines.filter((l) => l.type === 'Point' && l.metric === metric);

beforeAll(async () => {
  // Built (or found) once, before the first test's clock starts.
  await goToolPathAsync('k6-harness');
  work = mkdtempSync(join(tmpdir(), 'k6-harness-test-'));
  server = createServer((req, res) => {
    if (req.url === '/hello') {
      res.setHeader('X-Served-By', 'pod-a');
      res.setHeader('X-Multi', ['one', 'two']);
      res.setHeader('Set-Cookie', 'sid=abc123; Path=/; HttpOnly');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    } else if (req.url === '/cookies') {
      res.end(req.headers.cookie ?? '');
    } else if (req.url === '/echo') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(`${req.method} ${req.headers['content-type']} ${body}`));
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free: nothing listens there, so connecting is refused.
  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(spare.address() as AddressInfo).port}/`;
  await new Promise<void>((resolve) => spare.close(() => resolve()));
}, 600_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('k6-harness', () => {
  it('gives each VU its own module state; per-vu-iterations runs exactly vus × iterations', async () => {
    const out = join(work, 'isolation.ndjson');
    const run = await runHarness('isolation.js', ['--out', `json=${out}`]);
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = jsonLines(out);
    expect(points(lines, 'iterations')).toHaveLength(12);
    const maxByVu = new Map<string, number>();
    for (const p of points(lines, 'vu_iterations_seen')) {
      const vu = p.data.tags?.vu ?? '';
      maxByVu.set(vu, Math.max(maxByVu.get(vu) ?? 0, p.data.value ?? 0));
    }
    // Shared module state would count to 12 in one VU.
    expect(Object.fromEntries(maxByVu)).toEqual({ 1: 4, 2: 4, 3: 4 });
    expect(points(lines, 'iteration_mismatches').every((p) => p.data.value === 0)).toBe(true);
    // k6's JSON output: a Metric line before a metric's first Point, RFC3339 times with ns.
    const firstMetric = lines.findIndex((l) => l.type === 'Metric' && l.metric === 'vu_iterations_seen');
    const firstPoint = lines.findIndex((l) => l.type === 'Point' && l.metric === 'vu_iterations_seen');
    expect(firstMetric).toBeGreaterThanOrEqual(0);
    expect(firstMetric).toBeLessThan(firstPoint);
    expect(lines[firstMetric]?.data).toMatchObject({ type: 'trend', contains: 'default', thresholds: [] });
    expect(points(lines, 'iterations')[0]?.data.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    expect(points(lines, 'iterations')[0]?.data.tags).toMatchObject({ scenario: 'each' });
  });

  it('shares the iterations of shared-iterations across its VUs', async () => {
    const out = join(work, 'shared.ndjson');
    const run = await runHarness('shared.js', ['--out', `json=${out}`]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(points(jsonLines(out), 'iterations')).toHaveLength(10);
    // exec.scenario.iterationInTest numbers the iterations across the VUs: 0..9, each once.
    expect(points(jsonLines(out), 'iteration_in_test').map((p) => p.data.value).sort((a, b) => Number(a) - Number(b))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('stops constant-vus at its duration, interrupting an iteration after gracefulStop; handleSummary gets k6\'s data', async () => {
    const summary = join(work, 'summary.json');
    const missing = join(work, 'no/such/folder/summary.json');
    const run = await runHarness('constant.js', ['-e', `SUMMARY_PATH=${summary}`, '-e', `MISSING_PATH=${missing}`]);
    expect(run.exitCode, run.stderr).toBe(0);
    // Like k6: no folder is made for an output; the failure is logged, the other outputs written.
    expect(existsSync(missing)).toBe(false);
    expect(run.stderr).toContain(`could not open '${missing}'`);
    const data = JSON.parse(readFileSync(summary, 'utf8')) as {
      metrics: Record<string, { type: string; contains: string; values: Record<string, number> }>;
      root_group: { name: string; path: string; id: string; groups: unknown[]; checks: unknown[] };
      options: { summaryTrendStats: string[] }; state: { testRunDurationMs: number; isStdOutTTY: boolean };
    };
    // VU 1 iterates every 0.1 s for 1 s; VU 2's 600 s sleep is cut after the 0.5 s graceful stop.
    expect(data.metrics.iterations?.values.count).toBeGreaterThanOrEqual(5);
    expect(data.state.testRunDurationMs).toBeGreaterThanOrEqual(1000);
    expect(data.state.testRunDurationMs).toBeLessThan(30_000);
    expect(data.metrics.iteration_duration).toMatchObject({ type: 'trend', contains: 'time' });
    expect(Object.keys(data.metrics.iteration_duration?.values ?? {}).sort()).toEqual(['avg', 'max', 'med', 'min', 'p(90)', 'p(95)']);
    expect(data.root_group).toMatchObject({ name: '', path: '', groups: [], checks: [] });
    expect(data.options.summaryTrendStats).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
    expect(data.state.isStdOutTTY).toBe(false);
  });

  it('makes real loopback requests with k6\'s response, cookies, error codes, checks and tags', async () => {
    const out = join(work, 'http.ndjson');
    const run = await runHarness('http.js', ['-e', `BASE_URL=${base}`, '-e', `REFUSED_URL=${refusedUrl}`, '--out', `json=${out}`]);
    expect(run.exitCode, run.stderr).toBe(0);
    const r = results(run);
    expect(r.get('hello')).toEqual({
      status: 200, servedBy: 'pod-a', multi: 'one, two', body: { ok: true }, url: `${base}/hello`, method: 'GET',
      error: '', error_code: 0, cookie: 'abc123', durationOk: true,
      timingKeys: ['blocked', 'connecting', 'duration', 'receiving', 'sending', 'tls_handshaking', 'waiting'],
    });
    expect(r.get('jarCookie')).toBe('sid=abc123');
    expect(r.get('freshJarCookie')).toBe('');
    expect(r.get('notFound')).toEqual({ status: 404 });
    expect(r.get('refused')).toMatchObject({ status: 0, error_code: 1212 });
    expect(r.get('outside')).toMatchObject({ status: 0, error_code: 1110 });
    expect((r.get('outside') as { error: string }).error).toContain('192.0.2.10');
    expect(r.get('echo')).toBe('POST application/json {"a":1}');

    const lines = jsonLines(out);
    const reqs = points(lines, 'http_reqs');
    expect(reqs).toHaveLength(7);
    const hello = reqs.find((p) => p.data.tags?.name === 'hello');
    expect(hello?.data.tags).toMatchObject({ method: 'GET', url: `${base}/hello`, status: '200', expected_response: 'true', scenario: 'default', group: '::api' });
    const refused = reqs.find((p) => p.data.tags?.url === refusedUrl);
    expect(refused?.data.tags).toMatchObject({ status: '0', error_code: '1212', expected_response: 'false' });
    const failed = points(lines, 'http_req_failed');
    expect(failed.map((p) => p.data.value)).toEqual([0, 0, 0, 1, 1, 1, 0]);
    const checks = points(lines, 'checks');
    expect(checks.map((p) => [p.data.tags?.check, p.data.tags?.group, p.data.value])).toEqual([
      ['status is 200', '::api', 1], ['is served', '::api', 1], ['is 200 (fails)', '', 0],
    ]);
    expect(points(lines, 'group_duration')[0]?.data.tags).toMatchObject({ group: '::api' });
    for (const metric of ['http_req_duration', 'http_req_waiting', 'http_req_sending', 'http_req_receiving', 'http_req_blocked', 'http_req_connecting', 'data_sent', 'data_received']) {
      expect(points(lines, metric).length, metric).toBeGreaterThan(0);
    }
    expect(points(lines, 'data_received').reduce((s, p) => s + (p.data.value ?? 0), 0)).toBeGreaterThan(0);
  });

  it('passes submetric thresholds that hold (exit 0) and fails those that do not (exit 99)', async () => {
    const pass = await runHarness('thresholds.js', ['-e', 'WANT=4']);
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stdout).toContain('✓ anypod_operations{outcome:ok}');
    const fail = await runHarness('thresholds.js', ['-e', 'WANT=5']);
    expect(fail.exitCode, fail.stderr).toBe(99);
    expect(fail.stdout).toContain('✗ anypod_operations{outcome:ok}');
    expect(fail.stderr).toContain('count==5');
  });

  // k6's exit codes for a script it refuses (104: invalid config) or that breaks (107: script error).
  it.each([
    ['rejects a threshold on an unknown metric', 'unknown-metric.js', 104, 'anypod_never_defined'],
    ['rejects a malformed threshold expression', 'bad-expression.js', 104, 'p95 < 500'],
    ['exits on an exception in setup', 'setup-throws.js', 107, 'setup broke on purpose'],
    ['exits on an unsupported import', 'bad-import.js', 107, 'k6/ws'],
  ] as const)('%s (exit %i)', async (_label, fixture, exitCode, said) => {
    const run = await runHarness(fixture);
    expect(run.exitCode).toBe(exitCode);
    expect(run.stderr).toContain(said);
  });

  it('exits 108 on exec.test.abort(), stopping the VU at once and still running teardown', async () => {
    const run = await runHarness('abort.js');
    expect(run.exitCode, run.stderr).toBe(108);
    const r = results(run);
    expect(r.get('iter')).toBe(0);
    expect(r.get('teardown')).toBe(true);
    expect(run.stderr).toContain('enough');
  });
});
