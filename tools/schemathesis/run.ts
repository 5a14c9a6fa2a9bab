// One Schemathesis run against one service's OpenAPI document, through a cluster's Ingress, as
// two users (WFC auth: alice sends every request, bob probes alice's objects — the
// object_level_authorization check), read back from its JSON and HAR reports rather than its
// console text. What the run found is split three ways, so one can never hide another:
//   failures       the API broke a check (the test wants 0)
//   runtimeErrors  Schemathesis's own "Runtime Error"s (its generator), counted and printed apart
//   otherErrors    every other error (network, schema, health check, server unavailable): the
//                  API or the run is broken, the test fails on them like on a failure
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RUNTIME_ERROR = 'Runtime Error';

export interface FailureGroup {
  code: string;
  title: string;
  count: number;
  operations: string[];
}

export interface SchemathesisResult {
  service: string;
  operations: number;
  testCases: number;
  /** HTTP requests Schemathesis sent (its HAR report's entries) */
  requests: number;
  failures: FailureGroup[];
  runtimeErrors: number;
  otherErrors: { title: string; count: number }[];
  exitCode: number | null;
  seconds: number;
  /** its console output, for the test's message when something is wrong */
  output: string;
}

export interface SchemathesisRun {
  ingressUrl: string;
  /** the service's prefix without the slash: auth, catalog, cart */
  service: string;
  /** bearer tokens of two different users */
  users: { alice: string; bob: string };
  seed: number;
  maxExamples: number;
  /** the run is killed after this long and reported as timed out */
  timeoutMs: number;
  /** where the config, the users file and the reports go */
  workDir: string;
}

/** The venv's schemathesis, or an error that says how to create it. */
export function schemathesisBin(): string {
  const dir = spawnSync('bash', [join(HERE, 'venv.sh'), '--path'], { encoding: 'utf8' }).stdout.trim();
  const bin = join(dir, 'bin', 'schemathesis');
  if (!dir || !existsSync(join(dir, '.anypod-stamp')) || !existsSync(bin)) {
    throw new Error(`Schemathesis is not installed at ${dir || '(unknown)'}: run \`make test-setup\` (or \`bash tools/schemathesis/venv.sh\`)`);
  }
  return bin;
}

/** tools/schemathesis/schemathesis.toml plus the two users (WFC auth file, alice pinned). */
function writeConfig(run: SchemathesisRun): string {
  const usersPath = join(run.workDir, 'users.json');
  const header = (token: string) => [{ name: 'Authorization', value: `Bearer ${token}` }];
  writeFileSync(usersPath, JSON.stringify({ auth: [{ name: 'alice', fixedHeaders: header(run.users.alice) }, { name: 'bob', fixedHeaders: header(run.users.bob) }] }));
  const configPath = join(run.workDir, 'schemathesis.toml');
  const base = readFileSync(join(HERE, 'schemathesis.toml'), 'utf8');
  writeFileSync(configPath, `${base}\n[auth.wfc]\npath = ${JSON.stringify(usersPath)}\nuser = "alice"\npeers = ["alice", "bob"]\n`);
  return configPath;
}

export async function runSchemathesis(run: SchemathesisRun): Promise<SchemathesisResult> {
  const bin = schemathesisBin();
  mkdirSync(run.workDir, { recursive: true });
  const jsonPath = join(run.workDir, 'report.json');
  const harPath = join(run.workDir, 'requests.har');
  const args = [
    '--config-file', writeConfig(run),
    'run', `${run.ingressUrl}/${run.service}/openapi.json`,
    '--url', run.ingressUrl,
    '--checks', 'all',
    // Every test case runs even after one failed, so one run lists every defect, not the first per operation.
    '--continue-on-failure',
    '--max-examples', String(run.maxExamples),
    '--seed', String(run.seed),
    // One worker: the same seed then sends the same requests in the same order on every run.
    '--workers', '1',
    '--request-timeout', '10',
    '--report', 'json,har',
    '--report-json-path', jsonPath,
    '--report-har-path', harPath,
    '--output-truncate', 'false',
  ];
  const started = Date.now();
  // In the run's own folder: Schemathesis keeps a cache of earlier crashes in ./.schemathesis and
  // replays them first, which would make a run depend on the ones before it (and litter the clone).
  const child = spawn(bin, args, { cwd: run.workDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, run.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;
  if (timedOut) throw new Error(`Schemathesis against ${run.service} passed its time cap (${run.timeoutMs / 1000} s) and was killed:\n${output.slice(-4000)}`);
  if (!existsSync(jsonPath)) throw new Error(`Schemathesis against ${run.service} wrote no report (exit ${exitCode}):\n${output.slice(-4000)}`);

  const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
    operations: { tested: number } | null;
    test_cases: { generated: number };
    failures: FailureGroup[];
    errors: { title: string; count: number }[];
  };
  const har = existsSync(harPath) ? (JSON.parse(readFileSync(harPath, 'utf8')) as { log: { entries: unknown[] } }) : { log: { entries: [] } };
  return {
    service: run.service,
    operations: report.operations?.tested ?? 0,
    testCases: report.test_cases.generated,
    requests: har.log.entries.length,
    failures: report.failures.map(({ code, title, count, operations }) => ({ code, title, count, operations })),
    runtimeErrors: report.errors.filter((e) => e.title === RUNTIME_ERROR).reduce((sum, e) => sum + e.count, 0),
    otherErrors: report.errors.filter((e) => e.title !== RUNTIME_ERROR),
    exitCode,
    seconds,
    output,
  };
}
