// `make load-report`: a k6 run's report page, from the files the run left.
//
//   node --import tsx tools/proof/k6-cli.ts --summary <file> [--timeseries <file>] [--name <run name>]
//                                           [--mode shared|memory] [--out <dir>]
//
// --summary: the JSON handleSummary wrote; --timeseries: `k6 run --out json=<file>` (.gz too).
// Without the time series the page has no timeline and no operations by outcome (it says so).
// --mode: where the release under test kept its state — shared (default: must lose nothing) or
// memory (the stateful release: must show its failure).
// Writes <out>/report.json and report.html (default out/proof-k6). Exit status: 0 when the run
// met its expectation, 1 when not, 2 on bad usage or unreadable input.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { REPO_ROOT } from '../cluster/paths.ts';
import { parseOrUsage, readInput } from '../config/cli-input.ts';
import { finishReport, runIfMain } from './cli.ts';
import { K6InputError, readK6Summary, readK6TimeSeries } from './k6-results.ts';
import { k6Report, seriesCollector, type K6Series } from './k6-run.ts';
import type { Mode, ProofReport } from './report-types.ts';

const USAGE = 'usage: node --import tsx tools/proof/k6-cli.ts --summary <file> [--timeseries <file>] [--name <run name>] [--mode shared|memory] [--out <dir>]';

export interface K6CliConfig {
  summary: string;
  timeseries?: string;
  name: string;
  mode: Mode;
  outDir: string;
}

/** The flags (no environment variables: make load-report passes them). */
const K6InputSchema = Type.Object({
  summary: Type.String({ minLength: 1, maxLength: 4096, flag: '--summary <file>', description: 'the JSON the script’s handleSummary wrote' }),
  timeseries: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, flag: '--timeseries', description: 'a file' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 128, flag: '--name', description: 'a run name' })),
  mode: Type.Union([Type.Literal('shared'), Type.Literal('memory')], { default: 'shared', flag: '--mode', description: 'shared or memory' }),
  out: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, flag: '--out', description: 'a directory' })),
});

export function parseK6Config(argv: string[]): K6CliConfig {
  const input = readInput(K6InputSchema, { argv });
  return {
    summary: input.summary,
    ...(input.timeseries ? { timeseries: input.timeseries } : {}),
    name: input.name ?? (input.mode === 'shared' ? 'k6-stateless' : 'k6-stateful'),
    mode: input.mode,
    outDir: input.out ?? join(REPO_ROOT, 'out/proof-k6'),
  };
}

/** Reads both files (the time series streamed) and makes the report. */
export async function k6ReportFromFiles(config: Omit<K6CliConfig, 'outDir'>, generatedAt = new Date()): Promise<ProofReport> {
  const summary = await readK6Summary(config.summary);
  let series: K6Series | undefined;
  if (config.timeseries) {
    const collector = seriesCollector();
    series = collector.series(await readK6TimeSeries(config.timeseries, collector.visit));
  }
  const files = { summary: config.summary, ...(config.timeseries ? { timeseries: config.timeseries } : {}) };
  // replicasPerService: k6 cannot know the cluster's replica count; the page does not show it for k6 runs.
  return k6Report({ name: config.name, mode: config.mode, summary, ...(series ? { series } : {}), files }, generatedAt, { node: process.version, cpus: cpus().length, replicasPerService: 0 });
}

async function main(): Promise<number> {
  const config = parseOrUsage(() => parseK6Config(process.argv.slice(2)), USAGE);
  if (!config) return 2;
  let report: ProofReport;
  try {
    console.log(`reading ${config.summary}${config.timeseries ? ` and ${config.timeseries}` : ''}`);
    report = await k6ReportFromFiles(config);
  } catch (error) {
    if (error instanceof K6InputError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  for (const run of report.runs) console.log(`${run.name}: k6 cannot show ${run.source?.notMeasured.join(', ') ?? 'nothing missing'} (see the page)`);
  return finishReport(config.outDir, report);
}

runIfMain(import.meta.url, main);
