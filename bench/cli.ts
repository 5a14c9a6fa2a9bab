// `make bench`: how close each service runs to the stack's own limit, what telemetry costs, how
// fast replicas start and how much memory they take — on processes and on real pods. Prints
// progress, then the tables and the targets; writes <out>/results.json.
//
//   node --import tsx bench/cli.ts [--quick] [--only STAGES] [--skip STAGES] [--duration S] [--connections N] [--out DIR]
//
// Stages, in order: limit, routes, telemetry, jwt, cold-start, footprint, kube (the one-node
// Kubernetes: brought up and taken down by the stage when none is running; root). Postgres and
// Redis must be running with the seed data (make bench does that). Exit status: 0 when every
// stage measured, 1 when one could not (its error is in the output and results.json), 2 for bad
// arguments. Whether a target was met never changes the exit status: the figures are the result.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { REPO_ROOT } from '@anypod/tools/cluster/paths.ts';
import { parseOrUsage, readInput, UsageError } from '@anypod/tools/config/cli-input.ts';
import type { BenchContext, Stage } from './lib/context.ts';
import { planPinning, pinProcess } from './lib/pinning.ts';
import { renderTables, renderTargets, type BenchResults, type Measurement } from './lib/results.ts';
import { evaluateTargets } from './lib/targets.ts';

/** Every stage, in the order it runs; loaded when it runs. */
export const STAGES: ReadonlyArray<{ name: string; load: () => Promise<Stage> }> = [
  { name: 'limit', load: async () => (await import('./stages/limit.ts')).limitStage },
  { name: 'routes', load: async () => (await import('./stages/routes.ts')).routesStage },
  { name: 'telemetry', load: async () => (await import('./stages/telemetry.ts')).telemetryStage },
  { name: 'jwt', load: async () => (await import('./stages/jwt.ts')).jwtStage },
  { name: 'cold-start', load: async () => (await import('./stages/cold-start.ts')).coldStartStage },
  { name: 'footprint', load: async () => (await import('./stages/footprint.ts')).footprintStage },
  { name: 'kube', load: async () => (await import('./stages/kube.ts')).kubeStage },
];
const STAGE_NAMES = STAGES.map((s) => s.name);

export interface BenchOptions {
  quick: boolean;
  stages: string[];
  durationS: number;
  connections: number;
  outDir: string;
}

/** The flags, read by the tools' one input reader (no environment variables: make bench passes BENCH_ARGS as flags). */
const BenchInputSchema = Type.Object({
  quick: Type.Boolean({ default: false, flag: '--quick' }),
  only: Type.Optional(Type.String({ flag: '--only', description: 'stages, comma-separated' })),
  skip: Type.Optional(Type.String({ flag: '--skip', description: 'stages, comma-separated' })),
  // No default here: it depends on --quick (2 s, else 10 s).
  duration: Type.Optional(Type.Number({ exclusiveMinimum: 0, flag: '--duration', description: 'a positive number' })),
  connections: Type.Integer({ minimum: 1, default: 16, flag: '--connections', description: 'a positive integer' }),
  out: Type.Optional(Type.String({ minLength: 1, flag: '--out', description: 'a directory' })),
});

/** A stage list (--only, --skip): every name must be a stage's — the reader takes the text, this the names. */
function stageList(flag: string, value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !STAGE_NAMES.includes(n));
  if (unknown.length > 0) throw new UsageError(`${flag}: unknown stage ${unknown.join(', ')} (stages: ${STAGE_NAMES.join(', ')})`);
  return names;
}

export function parseOptions(argv: string[]): BenchOptions {
  const input = readInput(BenchInputSchema, { argv });
  const only = input.only === undefined ? STAGE_NAMES : stageList('--only', input.only);
  const skip = input.skip === undefined ? [] : stageList('--skip', input.skip);
  return {
    quick: input.quick,
    stages: STAGE_NAMES.filter((n) => only.includes(n) && !skip.includes(n)),
    durationS: input.duration ?? (input.quick ? 2 : 10),
    connections: input.connections,
    outDir: resolve(input.out ?? join(REPO_ROOT, 'out/bench')),
  };
}

function machine(): BenchResults['machine'] {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10, kernel: release(), node: process.version };
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

export async function runBench(options: BenchOptions, log: (line: string) => void = (line) => console.log(line)): Promise<BenchResults> {
  const started = Date.now();
  const clock = () => {
    const s = Math.round((Date.now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  };
  const pinning = planPinning();
  // Everything this process starts (replicas, nginx, the hello-world) inherits its CPU.
  pinProcess(pinning, process.pid, 'servers');
  const ctx: BenchContext = { quick: options.quick, durationS: options.durationS, warmupS: options.quick ? 1 : 3, connections: options.connections, pinning, log: (line) => log(`${clock()} ${line}`) };
  log(`pinning: ${pinning.describe}`);
  log(`stages: ${options.stages.join(', ')}; ${options.durationS} s per load run after ${ctx.warmupS} s of warm-up, ${options.connections} connections`);
  const measurements: Measurement[] = [];
  const failures: BenchResults['failures'] = [];
  for (const { name, load } of STAGES.filter((s) => options.stages.includes(s.name))) {
    const stageStarted = Date.now();
    ctx.log(`stage ${name} ...`);
    try {
      measurements.push(...(await (await load())(ctx)));
      ctx.log(`stage ${name} done in ${Math.round((Date.now() - stageStarted) / 1000)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ stage: name, error: error instanceof Error ? error.message : String(error) });
      // A stage whose parts failed one by one (kube) still hands over the rows its other parts measured.
      measurements.push(...((error as { measurements?: Measurement[] }).measurements ?? []));
      ctx.log(`stage ${name} FAILED after ${Math.round((Date.now() - stageStarted) / 1000)} s: ${message}`);
    }
  }
  return {
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['make bench', ...(process.env.BENCH_ARGS ? [`BENCH_ARGS="${process.env.BENCH_ARGS}"`] : [])].join(' '),
    commit: commit(),
    machine: machine(),
    pinning: pinning.describe,
    measurements,
    targets: evaluateTargets(measurements),
    failures,
  };
}

/** The results as the README quotes them: machine, command, tables, targets. */
export function renderResults(results: BenchResults): string {
  const m = results.machine;
  return [
    `${results.finishedAt.slice(0, 10)}, commit ${results.commit}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}; \`${results.command}\``,
    `Pinning: ${results.pinning}.`,
    '',
    renderTables(results.measurements),
    '',
    '### targets',
    '',
    renderTargets(results.targets),
    ...(results.failures.length > 0 ? ['', ...results.failures.map((f) => `**not measured — stage ${f.stage} failed:** ${f.error}`)] : []),
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseOrUsage(
    () => parseOptions(process.argv.slice(2)),
    `usage: node --import tsx bench/cli.ts [--quick] [--only ${STAGE_NAMES.join(',')}] [--skip …] [--duration S] [--connections N] [--out DIR]`,
  );
  if (!options) return 2;
  const results = await runBench(options);
  mkdirSync(options.outDir, { recursive: true });
  const jsonPath = join(options.outDir, 'results.json');
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'results.md'), `${renderResults(results)}\n`);
  console.log('');
  console.log(renderResults(results));
  console.log('');
  console.log(`results: ${jsonPath} (and results.md)`);
  return results.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  process.exitCode = await main();
}
