// Hostile clients against ONE replica, straight at its port (like a pod reached from inside the
// cluster, past the Ingress), while keep-alive clients use the service through the Ingress:
// oversized bodies (413) and headers (431), slowloris sockets trickling headers or a body (408,
// closed after the server's timeouts), and a burst of connections beyond the replica's cap
// (answered or closed at once). What a user would notice is asserted: problem+json answers,
// no crash (the pid alive, no `replica-exited`), memory: the attacked replica's peak RSS (from
// /proc) beyond that of a replica with the same load and no attack stays inside the chart's
// headroom, and no failed request through the Ingress — but for a POST nginx sent on a new
// connection to the target while the burst held it at its cap (see refusedAtCap) — with the other
// replica serving throughout.
// The limits are the services' own (packages/platform/src/server-limits.ts), at their real values.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverOptions } from '@anypod/platform/server-options';
import { SERVER_LIMITS } from '@anypod/platform/server-limits';
import { openRaw, parseResponse, responseOf, trickle, type RawConnection, type RawResponse } from '@anypod/platform/testing/raw-http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../cluster/process-utils.ts';
import { keepAliveLoad, type LoadRequest, type LoadResult, type RequestRecord } from '../../cluster/testing.ts';
import type { Cluster, ClusterEvent, ReplicaInfo, ServiceName } from '../../cluster/types.ts';
import { startTestCluster } from './test-cluster.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-abuse-'));
const SERVICES: ServiceName[] = ['auth', 'catalog', 'cart'];
// Memory a replica may gain under attack: the headroom the chart's memory limit (384 MiB) leaves
// above the peak RSS measured under load (254 MiB, helm/anypod/values.yaml). More, and
// Kubernetes would OOM-kill the pod an attacker aims at.
const HEADROOM_BYTES = 128 * 1024 * 1024;
// The body limit every service runs with (Fastify's bodyLimit).
const BODY_LIMIT = serverOptions({ logLevel: 'silent', service: 'abuse', podName: 'abuse' }).bodyLimit as number;
// How late after its timeout a slow socket may be cut: two sweeps of the check interval and the
// scheduling noise of two busy cores.
const CUT_SLACK_MS = 2 * SERVER_LIMITS.timeoutCheckIntervalMs + 3_000;
const BURST = 2_000;

const events: ClusterEvent[] = [];
let cluster: Cluster;
let target: ReplicaInfo;
let load: { stop: () => Promise<LoadResult> };
/** each auth replica's RSS when the attacks start, by pid */
const rssBefore = new Map<number, number>();
const conns: RawConnection[] = [];
/** When the burst held the target at its connection cap (from the first connect to the last close). */
const burstWindow = { startMs: Infinity, endMs: -Infinity };
// How long after the burst's sockets are closed the replica may still count them (its close events).
const BURST_CLOSE_SLACK_MS = 1_000;

/**
 * The one failure the Ingress may show: a POST answered 502 while the target was at its cap. A
 * replica at its cap closes every new connection at once, the Ingress's too, and nginx opens one
 * whenever it renews a keep-alive connection (keepalive_requests) or needs one more. A GET on it
 * is retried on the other replica; a POST is not (it may have been applied; only the client may
 * resend it, with the same Idempotency-Key where the API has one), so nginx answers 502 itself
 * (no replica's X-Served-By).
 */
const refusedAtCap = (r: RequestRecord) => r.method === 'POST' && r.status === 502 && r.servedBy === null && r.startMs <= burstWindow.endMs + BURST_CLOSE_SLACK_MS && r.endMs >= burstWindow.startMs;

/** The load through the Ingress: auth's JWKS, and a POST nginx must not retry (answered 401). */
function ingressRequests(client: number, n: number): LoadRequest {
  return (client + n) % 2
    ? { method: 'GET', path: '/auth/.well-known/jwks.json' }
    : { method: 'POST', path: '/auth/refresh', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: 'not-a-real-refresh-token-0123456789' }), ok: [401] };
}

/** A field of /proc/<pid>/status in bytes (VmRSS: resident now; VmHWM: the peak since the last reset). */
function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

async function raw(port: number): Promise<RawConnection> {
  const conn = await openRaw(port);
  conns.push(conn);
  return conn;
}

function expectProblem(response: RawResponse | undefined, status: number, what: string) {
  expect(response?.status, what).toBe(status);
  expect(response?.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(response?.body ?? '{}'), what).toMatchObject({ type: 'about:blank', status });
}

/** GET /healthz on the target replica itself, answered 200 (a client the attacks must not starve). */
async function targetAnswers(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${target.port}/healthz`, { signal: AbortSignal.timeout(5_000) });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
}

const post = (path: string, body: string, extra = '') => `POST ${path} HTTP/1.1\r\nHost: replica\r\nContent-Type: application/json\r\n${extra}\r\n${body}`;

describe('hostile clients against one replica', { tags: ['timing'] }, () => {
  beforeAll(async () => {
    cluster = await startTestCluster({ services: SERVICES, replicas: 2, runDir, env: { LOG_LEVEL: 'warn' }, onEvent: (e) => events.push(e) });
    target = cluster.replicas('auth')[0] as ReplicaInfo;
    load = keepAliveLoad(cluster.ingressUrl, 4, ingressRequests);
    for (const r of cluster.replicas('auth')) {
      rssBefore.set(r.pid, procBytes(r.pid, 'VmRSS'));
      // Reset the peak (VmHWM) to the current RSS, so the peak read at the end is this run's.
      writeFileSync(`/proc/${r.pid}/clear_refs`, '5');
    }
  });
  afterEach((context) => {
    console.log(`after "${context.task.name.slice(0, 30)}…": ` + cluster.replicas('auth').map((r) => `${r.name} RSS ${procBytes(r.pid, 'VmRSS') >> 20} MiB (peak ${procBytes(r.pid, 'VmHWM') >> 20})`).join(', '));
  });
  afterAll(async () => {
    for (const c of conns) c.socket.destroy();
    await load?.stop();
    await cluster?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('oversized bodies are answered 413 problem+json, declared or chunked, many at once', async () => {
    // 2 MiB: 32 times the limit. The replica reads and discards what arrives after its answer (the
    // lingering close), which is garbage for the heap to collect: larger bodies only add noise to
    // the memory check below.
    const body = `{"email":"a@b.test","password":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    // Like an HTTP client (curl, undici): send the body in pieces and stop once an answer has
    // come. The replica answers 413 as soon as it knows and closes; a client that kept writing
    // into the closed connection would get a reset, which can discard the answer unread.
    const send = async (text: string) => {
      const conn = await raw(target.port);
      for (let at = 0; at < text.length && !parseResponse(conn.received()); at += 64 * 1024) {
        if (!(await conn.write(text.slice(at, at + 64 * 1024)))) break;
      }
      return { response: await responseOf(conn, 15_000) };
    };
    const declared = Array.from({ length: 16 }, () => send(post('/auth/login', body, `Content-Length: ${body.length}\r\n`)));
    const chunked = Array.from({ length: 4 }, () => send(post('/auth/login', `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, 'Transfer-Encoding: chunked\r\n')));
    const results = await Promise.all([...declared, ...chunked]);
    results.forEach((r, i) => expectProblem(r.response, 413, `body ${i}`));
    // Through the Ingress too: nginx buffers the body (up to its own 1 MiB limit) and is still
    // sending it when the replica answers; without the lingering close (server-limits.ts) the
    // replica's reset turned some of these into nginx errors.
    const viaIngress = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const res = await fetch(`${cluster.ingressUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"email":"a@b.test","password":"${'x'.repeat(512 * 1024)}"}` });
        const text = await res.text();
        return { status: res.status, type: res.headers.get('content-type'), problem: (text.startsWith('{') ? JSON.parse(text) : text) as { status?: number } };
      }),
    );
    for (const r of viaIngress) expect(r).toMatchObject({ status: 413, type: expect.stringMatching(/^application\/problem\+json/), problem: { status: 413 } });
    // And a body at the limit is read (the login fails on its merits: 400/401, not 413).
    const atLimit = `{"email":"a@b.test","password":"${'x'.repeat(BODY_LIMIT - 40)}"}`;
    const fits = await send(post('/auth/login', atLimit, `Content-Length: ${atLimit.length}\r\n`));
    expect(fits.response?.status).not.toBe(413);
    expect(fits.response?.status).toBeLessThan(500);
  });

  it('oversized headers are answered 431 problem+json on every service', async () => {
    const header = 'x'.repeat(4 * SERVER_LIMITS.maxHeaderBytes);
    const attacks = Array.from({ length: 20 }, async () => trickle(await raw(target.port), [`GET /healthz HTTP/1.1\r\nHost: replica\r\nCookie: ${header}\r\n\r\n`], 0, 10_000));
    (await Promise.all(attacks)).forEach((r, i) => expectProblem(r.response, 431, `headers ${i}`));
    for (const service of SERVICES) {
      const replica = cluster.replicas(service)[0] as ReplicaInfo;
      const result = await trickle(await raw(replica.port), [`GET /healthz HTTP/1.1\r\nHost: replica\r\nX-Pad: ${'y'.repeat(SERVER_LIMITS.maxHeaderBytes + 1)}\r\n\r\n`], 0, 10_000);
      expectProblem(result.response, 431, service);
    }
  });

  it('slowloris: sockets trickling headers or a body are cut after the timeouts (408), and the replica answers others meanwhile', async () => {
    const headerSockets = 200;
    const bodySockets = 50;
    // Headers: a request line, then one more header line a second, forever (more lines than the timeout lasts).
    const headerLines = ['GET /healthz HTTP/1.1\r\nHost: replica\r\n', ...Array.from({ length: 120 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    const slowHeaders = Array.from({ length: headerSockets }, async () => trickle(await raw(target.port), headerLines, 1_000, CUT_SLACK_MS));
    // A body: complete headers announcing 1 KiB, then one byte a second.
    const declared = 1024;
    const bodyParts = [`POST /auth/login HTTP/1.1\r\nHost: replica\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`, ...Array.from({ length: declared }, () => 'x')];
    const slowBodies = Array.from({ length: bodySockets }, async () => trickle(await raw(target.port), bodyParts, 1_000, CUT_SLACK_MS));
    // A connection that never sends a byte, on one replica of every service: cut after headersTimeout.
    const silent = SERVICES.map(async (service) => trickle(await raw((cluster.replicas(service)[0] as ReplicaInfo).port), [], 0, SERVER_LIMITS.headersTimeoutMs + CUT_SLACK_MS));
    // Meanwhile the target answers a normal client, every half second.
    let attacking = true;
    const probes = (async () => {
      const outcomes: string[] = [];
      while (attacking) {
        outcomes.push(await targetAnswers().then(() => 'ok', (e: Error) => e.message));
        await new Promise((r) => setTimeout(r, 500));
      }
      return outcomes;
    })();
    const [headers, bodies, quiet] = await Promise.all([Promise.all(slowHeaders), Promise.all(slowBodies), Promise.all(silent)]);
    attacking = false;
    const answered = await probes;
    expect(answered.filter((o) => o !== 'ok')).toEqual([]);
    expect(answered.length).toBeGreaterThan(SERVER_LIMITS.requestTimeoutMs / 1000);
    for (const [i, r] of headers.entries()) {
      expectProblem(r.response, 408, `slow headers ${i}`);
      expect(r.closedAfterMs, `slow headers ${i}`).toBeGreaterThanOrEqual(SERVER_LIMITS.headersTimeoutMs - 100);
      expect(r.closedAfterMs, `slow headers ${i}`).toBeLessThanOrEqual(SERVER_LIMITS.headersTimeoutMs + CUT_SLACK_MS);
    }
    for (const [i, r] of bodies.entries()) {
      expectProblem(r.response, 408, `slow body ${i}`);
      expect(r.closedAfterMs, `slow body ${i}`).toBeGreaterThanOrEqual(SERVER_LIMITS.requestTimeoutMs - 100);
      expect(r.closedAfterMs, `slow body ${i}`).toBeLessThanOrEqual(SERVER_LIMITS.requestTimeoutMs + CUT_SLACK_MS);
    }
    for (const [i, r] of quiet.entries()) {
      expect(r.closedAfterMs, `silent connection to ${SERVICES[i]}`).toBeGreaterThanOrEqual(SERVER_LIMITS.headersTimeoutMs - 100);
      expect(r.closedAfterMs, `silent connection to ${SERVICES[i]}`).toBeLessThanOrEqual(SERVER_LIMITS.headersTimeoutMs + CUT_SLACK_MS);
    }
  });

  it(`a burst of ${BURST} connections: each answered or closed at once, never more open than the cap; the replica serves again after`, async () => {
    burstWindow.startMs = Date.now();
    const burst = await Promise.all(Array.from({ length: BURST }, () => raw(target.port)));
    // Every connection asks once, keep-alive, and stays open: the replica's connection count only grows.
    await Promise.all(burst.map((c) => c.write('GET /healthz HTTP/1.1\r\nHost: replica\r\n\r\n')));
    const outcomes = await Promise.all(burst.map((c) => responseOf(c, 30_000)));
    const answered = outcomes.filter((r) => r?.status === 200).length;
    const refused = burst.filter((c, i) => !outcomes[i] && c.isClosed() && c.received() === '').length;
    console.log(`burst of ${BURST} connections to ${target.name}: ${answered} answered 200, ${refused} closed unanswered (cap ${SERVER_LIMITS.maxConnections})`);
    expect(answered + refused).toBe(BURST);
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(SERVER_LIMITS.maxConnections);
    for (const c of burst) c.socket.destroy();
    burstWindow.endMs = Date.now();
    await expect.poll(async () => targetAnswers().then(() => true, () => false), { timeout: 10_000, interval: 200 }).toBe(true);
  });

  it('the replica never crashed, its memory stayed inside the headroom, and the Ingress served everyone, but POSTs that met the cap, while the other replica served throughout', async () => {
    expect(isAlive(target.pid)).toBe(true);
    expect(events.filter((e) => e.type === 'replica-exited')).toEqual([]);
    expect(cluster.replicas('auth').map((r) => r.pid)).toContain(target.pid);
    const result = await load.stop();
    const others = cluster.replicas('auth').filter((r) => r.name !== target.name);
    const atCap = result.failures.filter(refusedAtCap);
    console.log(`through the Ingress during the attacks: ${result.records.length} requests, ${result.failures.length} failed (${atCap.length} of them POSTs answered 502 while the target was at its cap), by replica ${JSON.stringify(result.byReplica)}`);
    expect(result.failures.filter((r) => !refusedAtCap(r)).slice(0, 5)).toEqual([]);
    // Memory: the load alone grows a replica's heap (V8 collects lazily), so the attack's share is
    // the attacked replica's growth beyond that of a replica that had the same load and no attack.
    const control = others[0] as ReplicaInfo;
    const growth = (r: ReplicaInfo) => procBytes(r.pid, 'VmHWM') - (rssBefore.get(r.pid) as number);
    const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
    for (const r of [target, control]) console.log(`${r.name}${r === target ? ' (attacked)' : ' (same load, no attack)'}: RSS ${mib(rssBefore.get(r.pid) as number)} before, peak ${mib(procBytes(r.pid, 'VmHWM'))}, now ${mib(procBytes(r.pid, 'VmRSS'))}`);
    const attackShare = growth(target) - growth(control);
    console.log(`the attacks' share of the peak: ${mib(attackShare)} (headroom ${mib(HEADROOM_BYTES)})`);
    expect(attackShare).toBeLessThanOrEqual(HEADROOM_BYTES);
    for (const other of others) expect(result.byReplica[other.name] ?? 0).toBeGreaterThan(100);
    // The other replicas served across the whole attack, not only before it: in each tenth of the run.
    // A loop, not Math.min(...records): a faster Ingress made >120,000 records, past the spread's stack limit.
    const start = result.records.reduce((min, r) => Math.min(min, r.startMs), Infinity);
    const span = result.records.reduce((max, r) => Math.max(max, r.endMs), -Infinity) - start;
    const tenths = new Set(result.records.filter((r) => others.some((o) => o.name === r.servedBy)).map((r) => Math.min(9, Math.floor(((r.endMs - start) / span) * 10))));
    expect(tenths.size).toBe(10);
  });
});
