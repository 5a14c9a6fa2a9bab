// Runs a bundled k6 script in the Sobek harness (tools/go/k6-harness: k6's JavaScript engine
// with the parts of k6's API the scripts use) — how this repository's tests execute the scripts
// in the engine users run them in. The harness is built from source by tools/go/go-tools.sh.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { goToolPathAsync } from '../go/go-tools.ts';
import { readK6Summary, type K6Summary } from '../proof/k6-results.ts';
import { k6Thresholds } from '../proof/k6-run.ts';

export interface HarnessRun {
  /** k6's exit codes: 0 every threshold held, 99 one failed, 104 bad options, 107 script error, 108 aborted */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** handleSummary's JSON (the scripts write SUMMARY_FILE) */
  summary: K6Summary;
  /** the --out json time series (NDJSON) */
  timeseriesPath: string;
  summaryPath: string;
}


export interface HarnessOptions {
  /** out/load-tests/<name>.js */
  bundle: string;
  /** -e pairs: BASE_URL, PROFILE, VUS, ... */
  env: Record<string, string>;
  /** where the summary and the time series go */
  outDir: string;
  /** each line of the harness's progress and log output, as it comes */
  log?: (line: string) => void;
  /** a bound on the whole run; the harness is stopped (SIGTERM) past it */
  timeoutMs?: number;
}

export interface HarnessProcess {
  /** the harness's exit code (k6's codes), 128 when a signal ended it */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the harness binary with these arguments and collects what it printed. K6_HARNESS_BIN: a
 * harness built elsewhere (like JAEGER_BIN for Jaeger); otherwise the pinned build.
 */
export async function spawnHarness(args: string[], options: { cwd?: string; log?: (line: string) => void; timeoutMs?: number } = {}): Promise<HarnessProcess> {
  const binary = process.env.K6_HARNESS_BIN || (await goToolPathAsync('k6-harness'));
  const child = spawn(binary, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.log?.(line);
  });
  const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 600_000);
  // 'close', not 'exit': only then has all of stdout and stderr been read.
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => clearTimeout(timer));
  return { exitCode, stdout, stderr };
}

/** Runs a bundle with its summary and time series written into outDir, and reads the summary back. */
export async function runHarness(options: HarnessOptions): Promise<HarnessRun> {
  await mkdir(options.outDir, { recursive: true });
  const summaryPath = join(options.outDir, 'summary.json');
  const timeseriesPath = join(options.outDir, 'timeseries.json');
  const args = ['run', '--out', `json=${timeseriesPath}`];
  for (const [key, value] of Object.entries({ ...options.env, SUMMARY_FILE: summaryPath })) args.push('-e', `${key}=${value}`);
  args.push(options.bundle);
  const { exitCode, stdout, stderr } = await spawnHarness(args, { ...(options.log ? { log: options.log } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  let summary: K6Summary;
  try {
    // The report's reader: what the tests assert on is what make load-report would read.
    summary = await readK6Summary(summaryPath);
  } catch (error) {
    throw new Error(`the harness wrote no summary (exit ${exitCode}):\n${stdout}\n${stderr.split('\n').slice(-30).join('\n')}`, { cause: error });
  }
  return { exitCode, stdout, stderr, summary, summaryPath, timeseriesPath };
}

/** The thresholds that did not hold, as "metric: expression". */
export function brokenThresholds(summary: K6Summary): string[] {
  return k6Thresholds(summary)
    .filter((t) => !t.ok)
    .map((t) => `${t.metric}: ${t.expression}`);
}
