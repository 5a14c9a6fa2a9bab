// Helpers for the cluster's own tests (tools/test/cluster/*.test.ts): a small keep-alive load
// that records every request, a throwaway account (@anypod/auth/testing's), and for the outage
// tests a Postgres of the test's own and the proof's shoppers with their history check. Real
// HTTP on loopback, real servers, nothing mocked.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { checkHistory, isWrite, type CheckResult } from '@anypod/scenarios';
import { freePort } from '@anypod/platform/testing/processes';
import { testEnv } from '@anypod/platform/testing/env';
import { runLoad, type LoadResult as DriverResult } from '../load/driver.ts';
import { finalRead, type FinalReadResult } from '../load/final-read.ts';
import { createHttpClient, type HttpClient } from '../load/http-client.ts';
import { REPO_ROOT } from './paths.ts';
import type { Cluster } from './types.ts';

export interface RequestRecord {
  client: number;
  method: string;
  path: string;
  startMs: number;
  endMs: number;
  /** 0 when the request failed at the socket */
  status: number;
  servedBy: string | null;
  error?: string;
}

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** statuses that count as success (default: 200) */
  ok?: number[];
}

export interface LoadResult {
  records: RequestRecord[];
  failures: RequestRecord[];
  byReplica: Record<string, number>;
}

/**
 * `clients` concurrent keep-alive clients, each one HTTP/1.1 connection (undici Client,
 * pipelining 1), sending `next(i, n)` back to back until stop() is called. A failure is a
 * socket error or a status outside the request's `ok` list.
 */
export function keepAliveLoad(baseUrl: string, clients: number, next: (client: number, n: number) => LoadRequest): { stop: () => Promise<LoadResult>; records: RequestRecord[] } {
  const records: RequestRecord[] = [];
  const oks = new Map<RequestRecord, number[]>();
  let stopping = false;
  const run = async (i: number) => {
    const client = new Client(baseUrl, { pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
    for (let n = 0; !stopping; n++) {
      const req = next(i, n);
      const record: RequestRecord = { client: i, method: req.method, path: req.path, startMs: Date.now(), endMs: 0, status: 0, servedBy: null };
      try {
        const res = await client.request({ method: req.method, path: req.path, headers: req.headers, body: req.body });
        await res.body.text();
        record.status = res.statusCode;
        const servedBy = res.headers['x-served-by'];
        record.servedBy = typeof servedBy === 'string' ? servedBy : null;
      } catch (error) {
        record.error = (error as Error).message;
      }
      record.endMs = Date.now();
      records.push(record);
      oks.set(record, req.ok ?? [200]);
    }
    await client.close();
  };
  const running = Array.from({ length: clients }, (_, i) => run(i));
  return {
    records,
    async stop() {
      stopping = true;
      await Promise.all(running);
      const failures = records.filter((r) => !(oks.get(r) ?? [200]).includes(r.status));
      const byReplica: Record<string, number> = {};
      for (const r of records) if (r.servedBy) byReplica[r.servedBy] = (byReplica[r.servedBy] ?? 0) + 1;
      return { records, failures, byReplica };
    },
  };
}

// Accounts through the Ingress: the one users-and-tokens module every service's tests use too.
export { newAccount, TEST_PASSWORD } from '@anypod/auth/testing';

/**
 * The environment of a standalone auth process (outside a cluster) on the local infra: the
 * services' own test environment, plus the PATH and HOME a child started with a clean env needs.
 */
export function standaloneAuthEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...testEnv({ LOG_LEVEL: 'info', ...overrides }) };
}

/**
 * Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes, for what a test
 * waits to see (a Prometheus target, a span in Jaeger); the error says what was last seen.
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'nothing yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Dependency outages under load (tools/test/cluster/outages-*.test.ts): the test's own Postgres,
// the shoppers of the proof with their history check, and every answer they got.

/** Runs one of tools/infra's scripts with extra env; rejects with its output when it fails. */
function infraScript(script: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'tools/infra', script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`tools/infra/${script} ${args.join(' ')} exited with ${String(code)}:\n${output.slice(-3000)}`))));
  });
}

export interface OwnPostgres {
  /** the port the server listens on (its data directory is keyed by it, so a restart keeps it) */
  readonly port: number;
  /** the connection URL for the server at `port` (default: its own port) — e.g. a ServiceAddress's */
  url(port?: number): Promise<string>;
  /** starts it (initialising the data directory the first time), or does nothing when it runs */
  start(): Promise<void>;
  /** a fast shutdown (pg_ctl stop -m fast): sessions are terminated, nothing acknowledged is lost */
  stop(): Promise<void>;
  /** stops it and deletes its data directory */
  remove(): Promise<void>;
}

/**
 * A Postgres cluster of the test's own, made and driven by tools/infra/postgres.sh (the same
 * server, settings and login as the shared one) on a free port, with its data in a fresh
 * directory of its own — never the shared server other tests use. Start it before use.
 */
export async function ownPostgres(): Promise<OwnPostgres> {
  const port = await freePort();
  // Its own directory directly under the temporary folder: postgres.sh hands it to the postgres
  // user, who could not reach into a private (0700) directory of this process.
  const runDir = await mkdtemp(join(tmpdir(), 'anypod-own-pg-'));
  const env = { PG_PORT: String(port), ANYPOD_RUN_DIR: runDir };
  const stop = async () => void (await infraScript('postgres.sh', ['stop'], env));
  // pg_ctl detaches the server from this process: a test process that ends without its afterAll
  // (an error, Ctrl-C) still stops it, synchronously, as 'exit' handlers must.
  const stopOnExit = () => {
    try {
      execFileSync('bash', [join(REPO_ROOT, 'tools/infra/postgres.sh'), 'stop'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    } catch {
      // nothing more can be done while exiting
    }
  };
  process.once('exit', stopOnExit);
  return {
    port,
    url: async (at = port) => (await infraScript('postgres.sh', ['url'], { ...env, PG_PORT: String(at) })).trim(),
    start: async () => void (await infraScript('postgres.sh', ['start'], env)),
    stop,
    async remove() {
      process.off('exit', stopOnExit);
      await stop();
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

/** tools/infra/seed.sh into the database at `databaseUrl`: the admin account and the catalog's products. */
export async function seedDatabase(databaseUrl: string): Promise<void> {
  await infraScript('seed.sh', [], { DATABASE_URL: databaseUrl });
}

/** One answer the shoppers got (or a request that got none: status 0). */
export interface Answer {
  method: string;
  /** the path without its query */
  route: string;
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  servedBy: string | undefined;
  /** Date.now() when the answer came */
  atMs: number;
}

/** The load driver's client, keeping every answer (the history keeps statuses, not headers). */
export function recordingClient(client: HttpClient): { client: HttpClient; answers: Answer[] } {
  const answers: Answer[] = [];
  return {
    answers,
    client: {
      close: () => client.close(),
      async send(request) {
        const response = await client.send(request);
        answers.push({
          method: request.method,
          route: request.path.split('?')[0] as string,
          status: response.status,
          contentType: response.headers['content-type'] ?? '',
          retryAfter: response.headers['retry-after'],
          servedBy: response.headers['x-served-by'],
          atMs: Date.now(),
        });
        return response;
      },
    },
  };
}

export interface ShoppingResult {
  load: DriverResult;
  /** every answer of the shopping and of the read-back */
  answers: Answer[];
  read: FinalReadResult;
  /** the Jepsen-style set check of the proof (docs/reliability.md, "Lost writes") */
  check: CheckResult;
}

/**
 * The proof's shoppers (tools/load) through the cluster's Ingress for `durationMs`, while
 * `disrupt` runs: it starts once every shopper has signed in and must end before the shopping
 * does (else the recovery was not under load: an error says so). Then the read-back once the
 * cluster has settled, and the history check.
 */
export async function shopDuring(cluster: Cluster, options: { vus: number; durationMs: number; runId: string; disrupt: () => Promise<void> }): Promise<ShoppingResult> {
  const recording = recordingClient(createHttpClient({ baseUrl: cluster.ingressUrl, timeoutMs: 10_000, connections: options.vus * 2 }));
  const t0 = performance.now();
  let disruption: Promise<void> | undefined;
  let disruptedUntil = 0;
  try {
    const load = await runLoad({
      client: recording.client,
      vus: options.vus,
      durationMs: options.durationMs,
      clock: () => performance.now() - t0,
      runId: options.runId,
      // A bound, whatever the machine's speed (a run here makes a few hundred to a thousand requests).
      maxRequests: 20_000,
      onMeasuredStart: () => {
        disruption = options.disrupt().then(() => void (disruptedUntil = performance.now() - t0));
        // Surfaced below; a rejection must not go unhandled while the shoppers run.
        disruption.catch(() => undefined);
      },
    });
    if (!disruption) throw new Error('the shoppers never started shopping: nothing was disrupted');
    await disruption;
    if (disruptedUntil > load.endedAtMs) throw new Error(`the disruption ended ${((disruptedUntil - load.endedAtMs) / 1000).toFixed(1)} s after the shoppers stopped: lengthen durationMs`);
    await cluster.waitForFullStrength(60_000);
    const writers = new Set(load.operations.filter(isWrite).map((op) => op.user));
    const read = await finalRead({ client: recording.client, sessions: load.sessions.filter((s) => writers.has(s.user)) });
    return { load, answers: recording.answers, read, check: checkHistory(load.operations, read.finals) };
  } finally {
    await recording.client.close();
  }
}

/**
 * Why the shopping does not show that nothing was lost (empty when it does): the read-back read
 * every cart and order, the history check found no lost, duplicated or unexpected write, writes
 * were acknowledged at all, and the request ceiling did not cut the shopping short.
 */
export function lossesIn(result: ShoppingResult): string[] {
  const { read, check, load } = result;
  return [
    ...read.failures.map((failure) => `read-back failed: ${JSON.stringify(failure)}`),
    ...check.anomalies.map((anomaly) => `anomaly: ${JSON.stringify(anomaly)}`),
    ...(check.valid ? [] : [`history check invalid (lost ${check.writes.lost}, duplicated ${check.writes.duplicated}, unexpected ${check.writes.unexpected}, quantity violations ${check.quantityBoundViolations})`]),
    ...(check.writes.acknowledged > 0 ? [] : ['no write was acknowledged: nothing was shown']),
    ...(load.truncated ? ['the shopping hit its request ceiling (truncated)'] : []),
  ];
}

/** One line for the test's output: the size of the shopping and what the history check found. */
export function shoppingSummary(result: ShoppingResult, outage: { fromMs: number; toMs: number }): string {
  const { load, answers, check } = result;
  const inOutage = answers.filter((a) => a.atMs >= outage.fromMs && a.atMs <= outage.toMs);
  const byStatus = (list: Answer[]) => Object.entries(list.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }), {})).map(([s, n]) => `${s}×${n}`).join(' ');
  return [
    `${load.operations.length} operations, ${load.requests} requests, ${answers.length} answers incl. read-back (${byStatus(answers)})`,
    `outage ${((outage.toMs - outage.fromMs) / 1000).toFixed(1)} s: ${inOutage.length} answers (${byStatus(inOutage)})`,
    `writes attempted ${check.writes.attempted}, acknowledged ${check.writes.acknowledged}, lost ${check.writes.lost}, duplicated ${check.writes.duplicated}, unexpected ${check.writes.unexpected}, recovered ${check.writes.recovered}; read-back failures ${result.read.failures.length}`,
  ].join('\n  ');
}
