// The Node load driver over real HTTP (undici, keep-alive) against the API model from
// @anypod/scenarios' tests, served by node:http on 127.0.0.1 with faults that really drop the
// connection: the history it records must check out, and every bound must hold.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkHistory, sessionStats } from '@anypod/scenarios';
import type { HttpRequest } from '@anypod/scenarios/requests';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeShop } from '../../packages/scenarios/test/fake-shop.ts';
import { runLoad, type LoadProgress } from '../load/driver.ts';
import { finalRead } from '../load/final-read.ts';
import { assertLoopback, createHttpClient } from '../load/http-client.ts';

const servers: Server[] = [];
afterEach(async () => {
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

describe('runLoad + finalRead', () => {
  it('drives virtual users for the duration and records a history that checks out', async () => {
    const shop = new FakeShop({ replicas: ['cart-a', 'cart-b'] });
    const client = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });
    const progress: LoadProgress[] = [];
    const started = performance.now();
    const load = await runLoad({ client, vus: 4, durationMs: 1_500, clock: clockFrom(), runId: 'drv1', progressEveryMs: 400, onProgress: (p) => progress.push(p), behaviour: { thinkMs: [5, 15] } });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(load.truncated).toBe(false);
    expect(load.sessions).toHaveLength(4);
    expect(load.requests).toBe(load.operations.reduce((n, op) => n + op.attempts.length, 0));
    expect(Object.keys(load.servedBy).sort()).toEqual(['cart-a', 'cart-b']);
    expect(sessionStats(load.operations).minDistinctPods).toBe(2);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)?.replicasSeen).toEqual(['cart-a', 'cart-b']);
    // Attempt times are ms since the run start. Sign-in is its own phase; the duration is shopping.
    const starts = load.operations.flatMap((op) => op.attempts.map((a) => a.startMs));
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0);
    expect(load.measuredFromMs).toBeGreaterThan(0);
    expect(Math.max(...starts)).toBeLessThan(load.measuredFromMs + 1_500);
    const first = (kind: string) => load.operations.filter((op) => op.kind === kind).map((op) => op.attempts[0]?.startMs ?? 0);
    expect(Math.max(...first('register'))).toBeLessThan(load.measuredFromMs);
    expect(Math.min(...first('browse'))).toBeGreaterThanOrEqual(load.measuredFromMs);

    shop.faultsOn = false;
    const read = await finalRead({ client, sessions: load.sessions });
    expect(read.failures).toEqual([]);
    expect(read.finals).toHaveLength(4);
    const result = checkHistory(load.operations, read.finals);
    expect(result.anomalies).toEqual([]);
    expect(result.writes.acknowledged).toBeGreaterThan(10);
    await client.close();
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
    const client = createHttpClient({ baseUrl: await serve(shop), timeoutMs: 2_000 });
    const load = await runLoad({ client, vus: 3, durationMs: 500, clock: clockFrom(), runId: 'drv5', rampUpMs: 0, signInTimeoutMs: 20_000 });
    expect(load.measuredFromMs).toBeLessThan(10_000);
    const vu2 = load.operations.filter((op) => op.vu === 2);
    expect(vu2.filter((op) => op.kind === 'login')).toHaveLength(5);
    expect(vu2.every((op) => op.kind === 'register' || op.kind === 'login')).toBe(true);
    expect(load.operations.some((op) => op.vu === 1 && op.kind === 'add')).toBe(true);
    await client.close();
  });

  it('stops at its request bound, recording the operation it cut short', async () => {
    const client = createHttpClient({ baseUrl: await serve(new FakeShop()), timeoutMs: 2_000 });
    const load = await runLoad({ client, vus: 2, durationMs: 10_000, clock: clockFrom(), runId: 'drv4', maxRequests: 30, rampUpMs: 0 });
    expect(load.truncated).toBe(true);
    expect(load.requests).toBeLessThanOrEqual(31);
    await client.close();
  });

  it('bounds every attempt in time: a server that never answers gives status 0 after the timeout', async () => {
    const client = createHttpClient({ baseUrl: await serve(() => 'hang'), timeoutMs: 300 });
    const started = performance.now();
    const res = await client.send({ method: 'GET', path: '/cart', headers: {} });
    expect(res.status).toBe(0);
    expect(res.error).toMatch(/TIMEOUT/);
    expect(performance.now() - started).toBeLessThan(2_000);
    await client.close();
  });

  it('reports a refused connection as not sent', async () => {
    const url = await serve(new FakeShop());
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const client = createHttpClient({ baseUrl: url, timeoutMs: 1_000 });
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
