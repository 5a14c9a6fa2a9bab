// Helpers for the cluster's own tests (tools/test/cluster-*.test.ts): a small keep-alive load
// that records every request, and a throwaway account. Real HTTP on loopback, nothing mocked.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { testEnv } from '@anypod/platform/testing/env';

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

let counter = 0;
export const TEST_PASSWORD = 'correct horse battery staple';

export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${process.pid}-${counter++}@example.test`;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Registers a fresh account through `baseUrl` and logs in: its bearer access token. */
export async function newAccount(baseUrl: string, tag = 'cluster'): Promise<{ email: string; accessToken: string }> {
  const email = uniqueEmail(tag);
  const registered = await postJson(`${baseUrl}/auth/register`, { email, password: TEST_PASSWORD });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${JSON.stringify(registered.json)}`);
  const login = await postJson(`${baseUrl}/auth/login`, { email, password: TEST_PASSWORD });
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${JSON.stringify(login.json)}`);
  return { email, accessToken: login.json.accessToken as string };
}

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
