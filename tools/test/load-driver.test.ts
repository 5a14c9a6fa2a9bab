// The Node load driver over real HTTP (undici, keep-alive) against the API model from
// @anypod/scenarios' tests, served by node:http on 127.0.0.1 with faults that really drop the
// connection: the history it records must check out, and every bound must hold.
//
// Runs whose assertions depend on what happens before the end of the duration use a virtual
// clock (virtualRun): what they do is decided by events, not by how much fits in a second of
// this machine's time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkHistory, sessionStats } from '@anypod/scenarios';
import type { HttpRequest, HttpResponse } from '@anypod/scenarios/requests';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeShop } from '../../packages/scenarios/test/fake-shop.ts';
import { runLoad, type LoadProgress } from '../load/driver.ts';
import { finalRead } from '../load/final-read.ts';
import { assertLoopback, createHttpClient, type HttpClient } from '../load/http-client.ts';

const servers: Server[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Serves the shop; a dropped answer destroys the socket after the effect (or before it). */
async function serve(shop: FakeShop | ((req: HttpRequest) => 'hang')): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const request: HttpRequest = { method: req.method as HttpRequest['method'], path: req.url ?? '/', headers, ...(body ? { body } : {}) };
      if (typeof shop === 'function') return; // never answers
      const { response, drop } = shop.handle(request);
      if (drop) return req.socket.destroy();
      res.writeHead(response.status, response.headers).end(response.body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function clockFrom(): () => number {
  const t0 = performance.now();
  return () => performance.now() - t0;
}

/**
 * A run on a virtual clock that only the answers and the test move: +1 ms per answer, and a jump
 * to the end of the duration when the test calls endDuration(). The clock never moves inside a
 * synchronous turn of the driver, so the reading with which a journey decides that time is not
 * up and the reading the driver stamps on the attempt it then sends are the same value.
 *
 * `seen` runs as each answer is handed to the driver; `settled` runs in a macrotask after it. By
 * then the driver has handled every answer handed over so far (each resumes it in a microtask,
 * and microtasks drain before the next macrotask), so what `seen` recorded is exactly what the
 * driver has counted.
 */
function virtualRun(http: HttpClient, durationMs: number, hooks: { seen: (request: HttpRequest, response: HttpResponse) => void; settled: () => void }) {
  let now = 0;
  let measuredFromMs: number | undefined;
  const client: HttpClient = {
    close: () => http.close(),
    async send(request) {
      const response = await http.send(request);
      now++;
      hooks.seen(request, response);
      setImmediate(hooks.settled);
      return response;
    },
  };
  return {
    client,
    clock: () => now,
    onMeasuredStart: (atMs: number) => (measuredFromMs = atMs),
    get measuring() {
      return measuredFromMs !== undefined;
    },
    /** the duration is over from now on */
    endDuration: () => {
      if (measuredFromMs !== undefined) now = Math.max(now, measuredFromMs + durationMs);
    },
  };
}

/** The account a request acts as (its body, token or cookie names it), if it names one. */
const userOf = (request: HttpRequest): string | undefined => /vu\d+-drv\d+/.exec(JSON.stringify(request))?.[0];
const isCartWrite = (request: HttpRequest): boolean => request.method !== 'GET' && request.path.startsWith('/cart/');
const ok = (response: HttpResponse): boolean => response.status >= 200 && response.status < 300;

describe('runLoad + finalRead', { tags: ['timing'] }, () => {
  it('drives virtual users for the duration and records a history that checks out', async () => {
    // Progress reports come when the test advances this (fake) interval, at points where it
    // knows what the driver has seen.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const vus = 4;
    const durationMs = 1_500;
    const progressEveryMs = 400;
    const replicas = ['cart-a', 'cart-b'];
    const shop = new FakeShop({ replicas });
    const http = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });

    // What the wire showed, to hold the driver's accounting against.
    let window = new Set<string>();
    const windows: string[][] = [];
    const replicasPerUser = new Map<string, Set<string>>();
    let acknowledgedWrites = 0;
    const progress: LoadProgress[] = [];
    const report = (): void => {
      windows.push([...window].sort());
      window = new Set();
      vi.advanceTimersByTime(progressEveryMs);
    };
    const run = virtualRun(http, durationMs, {
      seen: (request, response) => {
        const replica = response.status !== 0 ? response.headers['x-served-by'] : undefined;
        const user = userOf(request);
        if (replica !== undefined) {
          window.add(replica);
          if (user !== undefined) replicasPerUser.set(user, (replicasPerUser.get(user) ?? new Set()).add(replica));
        }
        if (isCartWrite(request) && ok(response)) acknowledgedWrites++;
      },
      settled: () => {
        // Three reports: one once both replicas answered, one right after it (nothing new: the
        // window must have been reset), and one once both answered again.
        if (windows.length === 0 && window.size === replicas.length) {
          report();
          report();
        } else if (windows.length === 2 && window.size === replicas.length) {
          report();
        }
        // The duration ends once the run has done what the assertions below look at.
        const everyUserOnEveryReplica = replicasPerUser.size === vus && [...replicasPerUser.values()].every((seen) => seen.size === replicas.length);
        if (run.measuring && windows.length === 3 && acknowledgedWrites > 10 && everyUserOnEveryReplica) run.endDuration();
      },
    });
    const load = await runLoad({
      client: run.client,
      vus,
      durationMs,
      clock: run.clock,
      onMeasuredStart: run.onMeasuredStart,
      runId: 'drv1',
      progressEveryMs,
      onProgress: (p) => progress.push(p),
      behaviour: { thinkMs: [5, 15] },
    });
    // It stopped by itself at the end of the duration: not cut off at the drain deadline.
    expect(load.truncated).toBe(false);
    expect(load.endedAtMs).toBeGreaterThanOrEqual(load.measuredFromMs + durationMs);
    expect(load.sessions).toHaveLength(vus);
    expect(load.requests).toBe(load.operations.reduce((n, op) => n + op.attempts.length, 0));
    expect(Object.keys(load.servedBy).sort()).toEqual(replicas);
    expect(sessionStats(load.operations).minDistinctPods).toBe(2);
    // Each report names exactly the replicas that answered since the previous one.
    expect(progress.map((p) => p.replicasSeen)).toEqual(windows);
    expect(progress).toHaveLength(3);
    expect(progress.at(-1)?.replicasSeen).toEqual(replicas);
    // Attempt times are ms since the run start. Sign-in is its own phase; the duration is shopping.
    const starts = load.operations.flatMap((op) => op.attempts.map((a) => a.startMs));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0);
    expect(load.measuredFromMs).toBeGreaterThan(0);
    // No operation starts once the duration is over (retries of one already under way may).
    const firstStarts = load.operations.flatMap((op) => (op.attempts[0] ? [op.attempts[0].startMs] : []));
    expect(Math.max(...firstStarts)).toBeLessThan(load.measuredFromMs + durationMs);
    const first = (kind: string) => load.operations.filter((op) => op.kind === kind).map((op) => op.attempts[0]?.startMs ?? 0);
    expect(Math.max(...first('register'))).toBeLessThan(load.measuredFromMs);
    expect(Math.min(...first('browse'))).toBeGreaterThanOrEqual(load.measuredFromMs);

    shop.faultsOn = false;
    const read = await finalRead({ client: http, sessions: load.sessions });
    expect(read.failures).toEqual([]);
    expect(read.finals).toHaveLength(vus);
    const result = checkHistory(load.operations, read.finals);
    expect(result.anomalies).toEqual([]);
    // Every write the shop acknowledged is in the history as acknowledged, and there were some.
    expect(result.writes.acknowledged).toBe(acknowledgedWrites);
    expect(result.writes.acknowledged).toBeGreaterThan(10);
    await http.close();
  });

  it('records dropped connections as indeterminate attempts and retries them to a clean history', async () => {
    const shop = new FakeShop({ fault: (r, n) => (r.method !== 'GET' && n % 5 === 0 ? 'drop-after' : n % 17 === 0 ? 'drop-before' : undefined) });
    const client = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });
    const load = await runLoad({ client, vus: 3, durationMs: 1_500, clock: clockFrom(), runId: 'drv2', behaviour: { thinkMs: [5, 15] } });
    const dropped = load.operations.flatMap((op) => op.attempts).filter((a) => a.status === 0);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((a) => a.servedBy === undefined && typeof a.error === 'string')).toBe(true);
    shop.faultsOn = false;
    const read = await finalRead({ client, sessions: load.sessions });
    const result = checkHistory(load.operations, read.finals);
    expect(result.anomalies).toEqual([]);
    await client.close();
  });

  it('catches the stateful failure end to end: per-replica carts lose acknowledged writes', async () => {
    const shop = new FakeShop({ stateful: true });
    const client = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });
    const load = await runLoad({ client, vus: 3, durationMs: 1_000, clock: clockFrom(), runId: 'drv3', behaviour: { thinkMs: [5, 15] } });
    const read = await finalRead({ client, sessions: load.sessions });
    expect(checkHistory(load.operations, read.finals).writes.lost).toBeGreaterThan(0);
    expect(load.observations.some((o) => o.type === 'missing-lines')).toBe(true);
    await client.close();
  });

  it('starts shopping without a VU that cannot sign in', async () => {
    const shop = new FakeShop();
    const original = shop.handle.bind(shop);
    // vu2's password is never accepted.
    shop.handle = (r) => (r.path === '/auth/login' && r.body?.includes('"vu2-') ? { response: { status: 401, headers: {}, body: '{}' }, drop: false } : original(r));
    const http = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });
    // Sign-in answers: register, login and cookie login for vu1 and vu3; register and five
    // refused logins for vu2. Nobody shops before all of them, so they are the first twelve.
    const signInAnswers = 3 + (1 + 5) + 3;
    let answers = 0;
    let vu1Added = false;
    let startedWithLastSignIn: boolean | undefined;
    const durationMs = 500;
    const run = virtualRun(http, durationMs, {
      seen: (request, response) => {
        answers++;
        if (answers === signInAnswers) setImmediate(() => (startedWithLastSignIn = run.measuring));
        if (request.path === '/cart/items' && userOf(request)?.startsWith('vu1-') && ok(response)) vu1Added = true;
      },
      settled: () => {
        if (vu1Added) run.endDuration();
      },
    });
    const load = await runLoad({ client: run.client, vus: 3, durationMs, clock: run.clock, onMeasuredStart: run.onMeasuredStart, runId: 'drv5', rampUpMs: 0, signInTimeoutMs: 20_000 });
    // Shopping started in the turn that handled the last sign-in answer (vu2 giving up), not
    // when the sign-in bound ran out.
    expect(startedWithLastSignIn).toBe(true);
    const vu2 = load.operations.filter((op) => op.vu === 2);
    expect(vu2.filter((op) => op.kind === 'login')).toHaveLength(5);
    expect(vu2.every((op) => op.kind === 'register' || op.kind === 'login')).toBe(true);
    expect(load.operations.some((op) => op.vu === 1 && op.kind === 'add' && op.outcome === 'ok')).toBe(true);
    await http.close();
  });

  it('stops at its request bound, recording the operation it cut short', async () => {
    const client = createHttpClient({ baseUrl: await serve(new FakeShop()), timeoutMs: 2_000 });
    const load = await runLoad({ client, vus: 2, durationMs: 10_000, clock: clockFrom(), runId: 'drv4', maxRequests: 30, rampUpMs: 0 });
    expect(load.truncated).toBe(true);
    expect(load.requests).toBeLessThanOrEqual(31);
    await client.close();
  });

  it('bounds every attempt in time: a server that never answers gives status 0 after the timeout', async () => {
    const timeoutMs = 300;
    const timers = vi.spyOn(AbortSignal, 'timeout');
    const client = createHttpClient({ baseUrl: await serve(() => 'hang'), timeoutMs });
    const res = await client.send({ method: 'GET', path: '/cart', headers: {} });
    // The server never answers: only the attempt's bound can end it, and it is the configured one.
    expect(res.status).toBe(0);
    expect(res.error).toMatch(/TIMEOUT/);
    expect(timers.mock.calls).toEqual([[timeoutMs]]);
    await client.close();
  });

  it('reports a refused connection as not sent', async () => {
    // Port 0 is never a listening port (binding it means "any port"): the kernel refuses the
    // connection every time, unlike a port just closed, which another process may have taken.
    const client = createHttpClient({ baseUrl: 'http://127.0.0.1:0', timeoutMs: 1_000 });
    const res = await client.send({ method: 'POST', path: '/cart/items', headers: {}, body: '{}' });
    expect(res).toMatchObject({ status: 0, error: 'ECONNREFUSED', notSent: true });
    await client.close();
  });

  it('only ever talks to loopback', () => {
    expect(() => assertLoopback('http://example.com')).toThrow(/only http:\/\/127.0.0.1/);
    expect(() => assertLoopback('http://10.0.0.1:8080')).toThrow();
    expect(() => assertLoopback('https://127.0.0.1')).toThrow();
    expect(assertLoopback('http://127.0.0.1:8080').port).toBe('8080');
    expect(() => createHttpClient({ baseUrl: 'http://192.168.1.1' })).toThrow();
  });
});
