// `make demo`: runs the proof and writes out/proof/report.{json,html}.
//
//   node --import tsx tools/proof/cli.ts [--duration S] [--kill-every S] [--vus N] [--replicas N]
//                                        [--runs LIST] [--min-kills N] [--seed N] [--out DIR]
//
// Every flag has an environment variable (flags win): PROOF_DURATION_S, PROOF_KILL_EVERY_S,
// PROOF_VUS, REPLICAS, PROOF_RUNS, PROOF_MIN_KILLS, PROOF_SEED, PROOF_OUT_DIR.
// PROOF_RUNS is a comma-separated subset of the runs, by name (stateless-graceful, ...), short
// name (graceful, sigkill, hang, memory, sticky) or letter (a, b, c, d, e).
// Exit status: 0 when the verdict is pass, 1 when a stateless run failed its checks, 2 on bad usage.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { parseOrUsage, readInput, UsageError } from '../config/cli-input.ts';
import { PROOF_RUNS, type RunSpec } from './runs.ts';
import { checkWords } from './words.ts';
import type { ProofReport, RunReport } from './report-types.ts';
import { runProof } from './run-proof.ts';
import { writeReport } from './write-report.ts';
import { REPO_ROOT } from '../cluster/paths.ts';

const ALIASES: Record<string, string> = {
  a: 'stateless-graceful',
  graceful: 'stateless-graceful',
  b: 'stateless-sigkill',
  sigkill: 'stateless-sigkill',
  c: 'stateless-hang',
  hang: 'stateless-hang',
  d: 'stateful-round-robin',
  memory: 'stateful-round-robin',
  'round-robin': 'stateful-round-robin',
  e: 'stateful-sticky',
  sticky: 'stateful-sticky',
};

/** A run catalogue and the short names it accepts: the local proof's, or tools/kube's. */
export interface RunCatalogue {
  runs: readonly RunSpec[];
  aliases: Record<string, string>;
  /** where report.json and report.html go by default */
  outDir: string;
}

export const LOCAL_CATALOGUE: RunCatalogue = { runs: PROOF_RUNS, aliases: ALIASES, outDir: join(REPO_ROOT, 'out/proof') };

export function selectRuns(list: string | undefined, catalogue: RunCatalogue = LOCAL_CATALOGUE): RunSpec[] {
  const { runs, aliases } = catalogue;
  if (list === undefined || list.trim() === '' || list.trim() === 'all') return [...runs];
  const names = list.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).map((s) => aliases[s] ?? s);
  const unknown = names.filter((n) => !runs.some((r) => r.name === n));
  if (unknown.length > 0) throw new UsageError(`PROOF_RUNS/--runs: unknown run(s) ${unknown.join(', ')}; choose from ${runs.map((r) => r.name).join(', ')} (or ${Object.keys(aliases).join(', ')})`);
  // Always in the proof's order, whatever order they were listed in.
  return runs.filter((r) => names.includes(r.name));
}

/** The proof's settings: each an environment variable and a flag (the flag wins). */
const ProofInputSchema = Type.Object({
  PROOF_DURATION_S: Type.Number({ minimum: 1, default: 45, flag: '--duration', description: 'a number ≥ 1 (seconds per run)' }),
  PROOF_KILL_EVERY_S: Type.Number({ minimum: 0.5, default: 10, flag: '--kill-every', description: 'a number ≥ 0.5 (seconds between deletions)' }),
  PROOF_VUS: Type.Integer({ minimum: 1, default: 16, flag: '--vus', description: 'an integer ≥ 1 (virtual users)' }),
  REPLICAS: Type.Integer({ minimum: 2, default: 3, flag: '--replicas', description: 'an integer ≥ 2 (replicas per service)' }),
  PROOF_MIN_KILLS: Type.Integer({ minimum: 0, default: 3, flag: '--min-kills', description: 'an integer ≥ 0 (deletions a run must have)' }),
  PROOF_SEED: Type.Integer({ minimum: 0, default: 1, flag: '--seed', description: 'an integer ≥ 0' }),
  PROOF_RUNS: Type.Optional(Type.String({ maxLength: 1024, flag: '--runs', description: 'a comma-separated list of runs' })),
  PROOF_OUT_DIR: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, flag: '--out', description: 'a directory' })),
});

export interface CliConfig {
  durationS: number;
  killEveryS: number;
  vus: number;
  replicas: number;
  minKills: number;
  seed: number;
  runs: RunSpec[];
  outDir: string;
}

/** The proof's settings from the command line, as runProof takes them (run logs under <out>/runs). */
export function runSettings(config: CliConfig) {
  const { runs, durationS, killEveryS, vus, replicas, minKills, seed } = config;
  return { runs, durationS, killEveryS, vus, replicas, minKills, seed, runDir: join(config.outDir, 'runs') };
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, catalogue: RunCatalogue = LOCAL_CATALOGUE): CliConfig {
  const input = readInput(ProofInputSchema, { argv, env });
  return {
    durationS: input.PROOF_DURATION_S,
    killEveryS: input.PROOF_KILL_EVERY_S,
    vus: input.PROOF_VUS,
    replicas: input.REPLICAS,
    minKills: input.PROOF_MIN_KILLS,
    seed: input.PROOF_SEED,
    runs: selectRuns(input.PROOF_RUNS, catalogue),
    outDir: input.PROOF_OUT_DIR ?? catalogue.outDir,
  };
}

// --- the summary printed at the end ----------------------------------------------------------

function status(run: RunReport): string {
  if (run.expectation === 'pass') return run.pass ? 'PASS' : 'FAIL';
  return run.pass ? 'FAILS, AS SHOWN' : 'FAIL (no failure shown)';
}

export function summaryTable(report: ProofReport): string {
  const header = ['run', 'kills', 'attempts (failed, in kills)', 'ops ok/fail/info', 'writes ack', 'lost', 'dup', 'unexp', 'recov', 'pods/session', 'traced pods/session', 'lost sessions', 'p50/p99/p99 kills ms', 'result'];
  const rows = report.runs.map((r) => [
    r.name,
    String(r.kills),
    `${r.attempts.total} (${r.attempts.failed}, ${r.attempts.failedDuringKills}/${r.attempts.duringKills})`,
    `${r.operations.acknowledged}/${r.operations.failed}/${r.operations.indeterminate}`,
    String(r.writes.acknowledged),
    String(r.writes.lost),
    String(r.writes.duplicated),
    String(r.writes.unexpected),
    String(r.writes.recovered),
    `${r.sessions.minDistinctPods}–${r.sessions.maxDistinctPods}`,
    r.traces && r.traces.sessionsChecked > 0 ? `${r.traces.minDistinctPodsPerSession}–${r.traces.maxDistinctPodsPerSession} (${r.traces.sessionsChecked})` : '–',
    `${r.sessions.lostSessions}/${r.sessions.total}`,
    `${r.latencyMs.p50}/${r.latencyMs.p99}/${r.latencyMs.p99DuringKills}`,
    status(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
  const failed = report.runs.flatMap((r) =>
    r.checks
      .filter((c) => !c.pass)
      .map((c) => {
        const words = checkWords(c);
        return `  ${r.name}: ${words.name}: expected ${words.expected}, got ${words.actual}`;
      }),
  );
  if (failed.length > 0) out.push('', 'Checks not met:', ...failed);
  return out.join('\n');
}

const USAGE = 'usage: node --import tsx tools/proof/cli.ts [--duration S] [--kill-every S] [--vus N] [--replicas N] [--runs LIST] [--min-kills N] [--seed N] [--out DIR]';

async function main(): Promise<number> {
  const config = parseOrUsage(() => parseConfig(process.argv.slice(2), process.env), USAGE);
  if (!config) return 2;
  // Loaded here, not at the top: usage errors and the helpers above need no cluster code.
  const { startCluster } = await import('../cluster/index.ts');
  const report = await runProof({
    ...runSettings(config),
    // Jaeger and Prometheus on free ports: a `make up` cluster may hold the usual ones.
    observability: { prometheusPort: 0, jaegerPort: 0, otlpPort: 0 },
    // Spans leave every second rather than every 5 s: each run's traces are read once its last
    // spans are in Jaeger (run-proof.ts waits that long), so a run waits 2 s instead of 6.
    env: { OTEL_BSP_SCHEDULE_DELAY: '1000' },
    startCluster: (options) => startCluster({ ...options, handleSignals: true }),
  });
  return finishReport(config.outDir, report);
}

/**
 * Writes report.json and report.html, prints the summary (and, when given, another report's for
 * comparison) and the verdict; returns the exit status: 0 when the verdict is pass, else 1.
 */
export async function finishReport(outDir: string, report: ProofReport, compare?: { title: string; report: ProofReport }): Promise<number> {
  const { jsonPath, htmlPath } = await writeReport(outDir, report);
  console.log('');
  console.log(summaryTable(report));
  if (compare) {
    console.log('');
    console.log(compare.title);
    console.log(summaryTable(compare.report));
  }
  console.log('');
  console.log(`verdict: ${report.verdict.toUpperCase()}   report: ${htmlPath}   data: ${jsonPath}`);
  return report.verdict === 'pass' ? 0 : 1;
}

/** Runs a CLI's main when its file is the one node was started with, exiting with its status. */
export function runIfMain(moduleUrl: string, main: () => Promise<number>): void {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

runIfMain(import.meta.url, main);
