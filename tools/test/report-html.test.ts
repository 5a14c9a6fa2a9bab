// Opens report.html in a real headless Chromium from file://, the way a reader would, and
// checks what they would notice: the verdict, charts with marks and kill markers, no errors,
// no network, and report text shown as text even when it looks like markup.
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.ts';
import type { ProofReport } from '../proof/report-types.ts';
import { sampleReport } from './fixtures/sample-report.ts';
import { comparisonRows } from '../proof/words.ts';
import { writeReport } from '../proof/write-report.ts';

const SCREENSHOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../out/proof/report.png');
const HOSTILE_REPLICA = '<img src=x onerror=alert(1)>';
const HOSTILE_RUN = '"><script>alert(2)</script>';

let browser: Browser | undefined;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'anypod-report-'));
});

afterAll(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Launched by the first test that needs it; each such test fails (never skips) without Chromium. */
async function getBrowser(): Promise<Browser> {
  browser ??= await launchChromium('the report test needs a real browser');
  return browser;
}

interface Opened {
  page: Page;
  url: string;
  report: ProofReport;
  jsonPath: string;
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
  dialogs: string[];
}

async function open(report: ProofReport, name: string): Promise<Opened> {
  const { htmlPath, jsonPath } = await writeReport(join(workDir, name), report);
  const page = await (await getBrowser()).newPage({ viewport: { width: 1280, height: 900 } });
  const opened: Opened = { page, url: pathToFileURL(htmlPath).href, report, jsonPath, consoleErrors: [], pageErrors: [], requests: [], dialogs: [] };
  page.on('console', (m) => m.type() === 'error' && opened.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => opened.pageErrors.push(e.message));
  page.on('request', (r) => opened.requests.push(r.url()));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(opened.url, { waitUntil: 'load' });
  return opened;
}

function expectQuiet(o: Opened): void {
  expect(o.requests, 'requests other than the page itself').toEqual([o.url]);
  expect(o.pageErrors, 'page errors').toEqual([]);
  expect(o.dialogs, 'dialogs opened by the page').toEqual([]);
  expect(o.consoleErrors, 'console errors').toEqual([]);
}

function replicaNames(run: ProofReport['runs'][number]): Set<string> {
  const names = new Set(run.timeline.buckets.flatMap((b) => Object.keys(b.byReplica)));
  for (const k of run.killEvents) {
    names.add(k.replica);
    if (k.replacement) names.add(k.replacement);
  }
  return names;
}

describe('report.html', () => {
  it('writes report.json that reads back as the same report', async () => {
    const report = sampleReport();
    const { jsonPath, htmlPath } = await writeReport(join(workDir, 'nested', 'proof'), report);
    expect(JSON.parse(await readFile(jsonPath, 'utf8'))).toEqual(report);
    expect((await stat(htmlPath)).size).toBeGreaterThan(10_000);
  });

  it('shows the verdict, every run with its charts and kill markers, offline and without errors', async () => {
    const o = await open(sampleReport(), 'sample');
    const { page, report } = o;
    expectQuiet(o);
    expect(report.runs).toHaveLength(4);

    await expect(page.locator('header.verdict h1').textContent()).resolves.toMatch(/^PASS/);
    expect(await page.locator('header.verdict').getAttribute('data-verdict')).toBe('pass');
    expect(await page.locator('script').count()).toBe(0);
    // Summary: one column per run, and the stateful runs labelled as demonstrations.
    expect(await page.locator('table.summary thead th').count()).toBe(report.runs.length + 1);
    expect(await page.locator('table.summary .badge-demo').count()).toBe(2);
    expect(await page.locator('table.comparison tbody tr').count()).toBe(comparisonRows(report.comparison).length);

    for (const [i, run] of report.runs.entries()) {
      const section = page.locator(`section#run-${i + 1}`);
      expect(await section.getAttribute('data-run')).toBe(run.name);
      const requests = section.locator('svg.chart-requests');
      const latency = section.locator('svg.chart-latency');
      const failures = section.locator('svg.chart-failures');
      expect(await requests.locator('.series rect').count(), `${run.name}: request bars`).toBeGreaterThan(run.timeline.buckets.length);
      expect(await requests.locator('.kill-marker').count(), `${run.name}: kill markers`).toBe(run.killEvents.length);
      expect(await requests.locator('.kill-label').count()).toBe(run.killEvents.length);
      expect(await latency.locator('path.series-line').count(), `${run.name}: p50 and p99 lines`).toBe(2);
      expect(await latency.locator('.kill-guide').count()).toBe(run.killEvents.length);
      const failedBuckets = run.timeline.buckets.filter((b) => b.failed > 0).length;
      expect(await failures.locator('.series rect').count(), `${run.name}: failure bars`).toBe(failedBuckets);
      // Every replica, replacements included, has a legend entry.
      expect(await section.locator('.chart-figure').first().locator('.legend li').count()).toBe(replicaNames(run).size);
      expect(await section.locator('table.checks tbody tr').count()).toBe(run.checks.length);
      // Charts are actually laid out, not collapsed to nothing.
      const box = await requests.boundingBox();
      expect(box?.width ?? 0).toBeGreaterThan(600);
      expect(box?.height ?? 0).toBeGreaterThan(120);
    }

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(100_000);
    await page.close();
  });

  it('shows hostile replica names and run names as text', async () => {
    const report = sampleReport();
    const run = report.runs[0];
    if (!run) throw new Error('sample has no runs');
    const victim = run.killEvents[0]?.replica ?? '';
    const rename = (name: string) => (name === victim ? HOSTILE_REPLICA : name);
    run.name = HOSTILE_RUN;
    for (const k of run.killEvents) k.replica = rename(k.replica);
    for (const b of run.timeline.buckets) b.byReplica = Object.fromEntries(Object.entries(b.byReplica).map(([n, v]) => [rename(n), v]));
    run.anomalies.push({ type: 'lost', user: HOSTILE_RUN, detail: `written on ${HOSTILE_REPLICA} & gone` });
    // What a report holds besides numbers: names and messages from the run, never trusted as markup.
    run.checks.push({ id: 'misrouted-answers', expected: { max: 0 }, actual: 1, pass: false, detail: { exampleKind: '<b>0</b>', exampleServedBy: HOSTILE_REPLICA } });
    run.checks.push({ id: 'run-completed', expected: { min: 1 }, actual: 0, pass: false, detail: { error: '<svg onload=alert(3)>' } });
    report.comparison.stateless?.runs.push({ name: HOSTILE_RUN, routing: 'round-robin', minPods: 2, maxPods: 2, missingReads: 0, imbalance: 1 });

    const o = await open(report, 'hostile');
    const { page } = o;
    expectQuiet(o);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.locator('svg:not(.chart)').count()).toBe(0);
    const section = page.locator('section#run-1');
    expect(await section.getAttribute('data-run')).toBe(HOSTILE_RUN);
    expect(await section.locator('h2').textContent()).toContain(HOSTILE_RUN);
    expect(await section.locator('.kill-marker').first().getAttribute('data-replica')).toBe(HOSTILE_REPLICA);
    expect(await section.locator('.legend li').first().textContent()).toContain(HOSTILE_REPLICA);
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain(`written on ${HOSTILE_REPLICA} & gone`);
    expect(text).toContain('<svg onload=alert(3)>');
    await page.close();
  });
});
