// The proof report's traces (issue 12, item 6): reading sessions and a cart → catalog crossing
// from traces (tools/observability/sessions.ts) on hand-made traces, the check and the page built
// from them (checks.ts, render-tables.ts), and traces.ts against a real Jaeger fed by the
// services' production build: two carts, a catalog and auth exporting over OTLP, one user's
// requests spread over both carts and another's kept on one.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startTestCatalog, type TestCatalog } from '@anypod/catalog/testing';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValue, Process, Span, Trace } from '../observability/jaeger-query.ts';
import { startJaeger, type JaegerProcess } from '../observability/jaeger.ts';
import { freePorts } from '../observability/ports.ts';
import { crossingOf, findCrossing, podsBySession, sessionOf, spanTree } from '../observability/sessions.ts';
import { assembleRun } from '../proof/assemble-report.ts';
import type { RunData } from '../proof/run-data.ts';
import { PROOF_RUNS, type RunSpec } from '../proof/runs.ts';
import type { RunReport, RunTraces } from '../proof/report-types.ts';
import { renderReportHtml } from '../proof/render-html.ts';
import { tracesSection } from '../proof/render-tables.ts';
import { sampleReport } from './fixtures/sample-report.ts';
import { notTraced, readRunTraces, traceLink } from '../proof/traces.ts';
import { checkWords } from '../proof/words.ts';

// --- hand-made traces --------------------------------------------------------------------------

interface SpanSpec {
  id: string;
  parent?: string;
  service: string;
  pod: string;
  kind?: 'server' | 'client' | 'internal';
  session?: string;
  name?: string;
  /** µs after the trace began (default: 1 ms per span, in the order given) */
  start?: number;
}

let traceCounter = 0;
/** A trace in Jaeger's model: one process per (service, pod), k8s.pod.name as a process tag, kinds as span.kind tags. */
function trace(specs: SpanSpec[], traceID = (++traceCounter).toString(16).padStart(32, '0')): Trace {
  const processes: Record<string, Process> = {};
  const processOf = (service: string, pod: string): string => {
    const key = `p-${service}-${pod}`;
    processes[key] ??= { serviceName: service, tags: [{ key: 'k8s.pod.name', type: 'string', value: pod }] };
    return key;
  };
  const spans: Span[] = specs.map((s, i) => {
    const tags: KeyValue[] = [];
    if (s.kind && s.kind !== 'internal') tags.push({ key: 'span.kind', type: 'string', value: s.kind });
    if (s.session) tags.push({ key: 'session.id', type: 'string', value: s.session });
    return {
      traceID,
      spanID: s.id,
      operationName: s.name ?? `${s.service} ${s.kind ?? 'internal'}`,
      references: s.parent ? [{ refType: 'CHILD_OF', traceID, spanID: s.parent }] : [],
      startTime: 1_700_000_000_000_000 + (s.start ?? i * 1000),
      duration: 500,
      tags,
      processID: processOf(s.service, s.pod),
      warnings: null,
    };
  });
  return { traceID, spans, processes, warnings: null };
}

/** A cart request of a session served by `pod`: cart's server span (the session on it) and a Redis call. */
const cartRequest = (session: string | undefined, pod: string): Trace =>
  trace([
    { id: 'a1', service: 'cart', pod, kind: 'server', session },
    { id: 'a2', parent: 'a1', service: 'cart', pod, kind: 'client', name: 'get' },
  ]);

/** A checkout: cart's request → handler → client call → catalog's server span, with a sound chain. */
function checkout(overrides: Partial<Record<'server' | 'client', Partial<SpanSpec>>> = {}, extra: SpanSpec[] = []): Trace {
  return trace([
    { id: 'c1', service: 'cart', pod: 'cart-a', kind: 'server', session: 's1', name: 'POST /cart/checkout' },
    { id: 'c2', parent: 'c1', service: 'cart', pod: 'cart-a', name: 'handler - checkout' },
    { id: 'c3', parent: 'c2', service: 'cart', pod: 'cart-a', kind: 'client', name: 'POST', ...overrides.client },
    { id: 'k1', parent: 'c3', service: 'catalog', pod: 'catalog-x', kind: 'server', session: 's1', name: 'POST /catalog/reservations', ...overrides.server },
    { id: 'k2', parent: 'k1', service: 'catalog', pod: 'catalog-x', kind: 'client', name: 'pg.query' },
    ...extra,
  ]);
}

describe('sessions from traces (sessions.ts)', () => {
  it('groups traces by the session.id on the service’s spans and lists the distinct pods of that service', () => {
    const repeated = cartRequest('s1', 'cart-a');
    const traces = [
      repeated,
      repeated, // read twice (the sample and the session's own query): counted once
      cartRequest('s1', 'cart-b'),
      cartRequest('s1', 'cart-a'),
      cartRequest('s2', 'cart-c'),
      cartRequest(undefined, 'cart-d'), // anonymous: no session
      checkout(), // s1, cart-a; its catalog pod is not a cart pod
    ];
    expect(podsBySession(traces, 'cart')).toEqual([
      { sessionId: 's1', traceIds: expect.any(Array), pods: ['cart-a', 'cart-b'] },
      { sessionId: 's2', traceIds: [expect.any(String)], pods: ['cart-c'] },
    ]);
    expect(podsBySession(traces, 'cart')[0]?.traceIds).toHaveLength(4);
    // Grouped by catalog's spans instead: only the checkout's catalog pod.
    expect(podsBySession(traces, 'catalog')).toEqual([{ sessionId: 's1', traceIds: [expect.any(String)], pods: ['catalog-x'] }]);
  });

  it('gives a trace no session when the service’s spans carry none, or disagree', () => {
    expect(sessionOf(cartRequest(undefined, 'cart-a'), 'cart')).toBeUndefined();
    const mixed = trace([
      { id: 'x1', service: 'cart', pod: 'cart-a', kind: 'server', session: 's1' },
      { id: 'x2', parent: 'x1', service: 'cart', pod: 'cart-a', session: 's2' },
    ]);
    expect(sessionOf(mixed, 'cart')).toBeUndefined();
    expect(podsBySession([mixed], 'cart')).toEqual([]);
    // A session only on another service's span is not the service's.
    const onCatalog = trace([
      { id: 'y1', service: 'cart', pod: 'cart-a', kind: 'server' },
      { id: 'y2', parent: 'y1', service: 'catalog', pod: 'catalog-x', kind: 'server', session: 's9' },
    ]);
    expect(sessionOf(onCatalog, 'cart')).toBeUndefined();
  });

  it('accepts a trace crossing cart → catalog whose links hold, with the path from cart’s request to catalog’s span', () => {
    const crossing = crossingOf(checkout(), 'cart', 'catalog');
    expect(crossing).toBeDefined();
    expect(crossing?.entry.spanID).toBe('c1');
    expect(crossing?.call.client.spanID).toBe('c3');
    expect(crossing?.call.server.spanID).toBe('k1');
    expect(crossing?.path.map((s) => s.spanID)).toEqual(['c1', 'c2', 'c3', 'k1']);
    expect(crossingOf(checkout(), 'catalog', 'cart')).toBeUndefined();
  });

  it.each<[string, Trace]>([
    ['catalog’s span is the child of cart’s server span, not of a client span', checkout({ server: { parent: 'c1' } })],
    ['catalog’s span is the child of cart’s handler span (internal)', checkout({ server: { parent: 'c2' } })],
    ['catalog’s span names a parent the trace does not hold', checkout({ server: { parent: 'ffffffffffffffff' } })],
    ['catalog’s span is a root (the context did not cross)', checkout({ server: { parent: undefined } })],
    ['catalog’s span is the child of another service’s client span', checkout({ server: { parent: 'z1' } }, [{ id: 'z1', service: 'auth', pod: 'auth-q', kind: 'client' }])],
    ['cart’s client span is cut off from its request (its parent is missing)', checkout({ client: { parent: 'eeeeeeeeeeeeeeee' } })],
    ['cart’s client span hangs under a span of another service', checkout({ client: { parent: 'z2' } }, [{ id: 'z2', parent: 'c1', service: 'auth', pod: 'auth-q', kind: 'internal' }])],
    ['the chain loops (a malformed trace)', checkout({ client: { parent: 'k1' } })],
  ])('rejects a crossing whose links do not hold: %s', (_why, bad) => {
    expect(crossingOf(bad, 'cart', 'catalog')).toBeUndefined();
    expect(findCrossing([bad], 'cart', 'catalog')).toBeUndefined();
  });

  it('takes the first call when the request made several (Jaeger lists spans in no particular order)', () => {
    const twoCalls = trace([
      { id: 'd5', parent: 'd2', service: 'cart', pod: 'cart-a', kind: 'client', name: 'POST confirm', start: 9000 },
      { id: 'd6', parent: 'd5', service: 'catalog', pod: 'catalog-x', kind: 'server', name: 'POST /catalog/stock/reservations/:id/confirm', start: 9500 },
      { id: 'd1', service: 'cart', pod: 'cart-a', kind: 'server', name: 'POST /cart/checkout', start: 0 },
      { id: 'd2', parent: 'd1', service: 'cart', pod: 'cart-a', name: 'handler', start: 100 },
      { id: 'd3', parent: 'd2', service: 'cart', pod: 'cart-a', kind: 'client', name: 'POST reserve', start: 1000 },
      { id: 'd4', parent: 'd3', service: 'catalog', pod: 'catalog-x', kind: 'server', name: 'POST /catalog/stock/reservations', start: 1500 },
    ]);
    expect(crossingOf(twoCalls, 'cart', 'catalog')?.path.map((s) => s.spanID)).toEqual(['d1', 'd2', 'd3', 'd4']);
  });

  it('picks the sound crossing with the fewest spans, skipping broken ones', () => {
    const big = checkout({}, [{ id: 'c4', parent: 'c2', service: 'cart', pod: 'cart-a', kind: 'client', name: 'pg' }]);
    const small = checkout();
    const broken = trace([
      { id: 'b1', service: 'cart', pod: 'cart-a', kind: 'server' },
      { id: 'b2', parent: 'b1', service: 'catalog', pod: 'catalog-x', kind: 'server' },
    ]);
    expect(findCrossing([big, broken, small], 'cart', 'catalog')?.trace.traceID).toBe(small.traceID);
    expect(findCrossing([big, broken], 'cart', 'catalog')?.trace.traceID).toBe(big.traceID);
  });

  it('lays a trace out depth-first from its root, every span once, even a looping one', () => {
    expect(spanTree(checkout()).map(({ span, depth }) => `${span.spanID}@${depth}`)).toEqual(['c1@0', 'c2@1', 'c3@2', 'k1@3', 'k2@4']);
    const looping = checkout({ client: { parent: 'k1' } });
    expect(spanTree(looping).map(({ span }) => span.spanID).sort()).toEqual(['c1', 'c2', 'c3', 'k1', 'k2']);
  });
});

// --- the check and the page --------------------------------------------------------------------

const spec = (name: string): RunSpec => PROOF_RUNS.find((r) => r.name === name) as RunSpec;

/** A clean stateless run (two users on two cart replicas each), with the traces given. */
function run(name: string, traces?: RunTraces): RunData {
  const ops = (user: string, vu: number, pods: string[]) => [
    { id: `${user}-login`, vu, user, kind: 'login' as const, outcome: 'ok' as const, attempts: [{ startMs: 0, durationMs: 5, status: 200, servedBy: 'auth-a' }] },
    ...pods.map((servedBy, i) => ({ id: `${user}-add${i}`, vu, user, kind: 'add' as const, outcome: 'ok' as const, productId: `p${i}`, quantity: 1, idempotencyKey: `${user}${i}`, attempts: [{ startMs: 100 * (i + 1), durationMs: 5, status: 200, servedBy }] })),
  ];
  const pods = name.startsWith('stateful-sticky') ? [['cart-a', 'cart-a'], ['cart-b', 'cart-b']] : [['cart-a', 'cart-b'], ['cart-b', 'cart-a']];
  return {
    spec: spec(name),
    durationMs: 1_000,
    virtualUsers: 2,
    operations: [...ops('u1', 1, pods[0] as string[]), ...ops('u2', 2, pods[1] as string[])],
    observations: [],
    finals: ['u1', 'u2'].map((user) => ({ user, cart: [{ productId: 'p0', quantity: 1 }, { productId: 'p1', quantity: 1 }], orders: [] })),
    finalReadFailures: [],
    kills: [1, 2, 3].map((i) => ({ atMs: 100 * i, kind: spec(name).kill, service: 'cart' as const, replica: `cart-o${i}`, replacement: `cart-n${i}`, exitedAtMs: 100 * i + 10, replacementReadyAtMs: 100 * i + 20 })),
    replicaService: { 'auth-a': 'auth', 'cart-a': 'cart', 'cart-b': 'cart' },
    truncated: false,
    minKills: 3,
    ...(traces ? { traces, jaegerUrl: traces.jaegerUrl } : {}),
  };
}

function traced(pods: string[][], over: Partial<RunTraces> = {}): RunTraces {
  const counts = pods.map((p) => p.length);
  return {
    service: 'cart',
    minTracesPerSession: 10,
    tracesRead: 40,
    sessionsFound: pods.length,
    sessionsChecked: pods.length,
    minDistinctPodsPerSession: Math.min(...counts),
    maxDistinctPodsPerSession: Math.max(...counts),
    sessions: pods.map((p, i) => ({ sessionId: `s${i}`, traces: 20, pods: p })),
    jaegerUrl: 'http://127.0.0.1:16686',
    ...over,
  };
}

const traceCheck = (r: RunReport) => r.checks.find((c) => c.id === 'traced-sessions-on-several-pods');

describe('the traces check and report.json', () => {
  it('passes a stateless run whose every checked session was served by ≥ 2 pods, as its spans say', () => {
    const r = assembleRun(run('stateless-graceful', traced([['cart-a', 'cart-b'], ['cart-a', 'cart-b', 'cart-c']])));
    expect(traceCheck(r)).toMatchObject({ actual: 2, expected: { min: 2 }, pass: true, detail: { sessions: 2, max: 3 } });
    expect(r.pass).toBe(true);
    expect(r.traces).toMatchObject({ sessionsChecked: 2, minDistinctPodsPerSession: 2 });
    expect(checkWords(traceCheck(r)!).actual).toBe('min 2, max 3 over 2 sessions');
  });

  it('fails a stateless run one of whose sessions stayed on one pod', () => {
    const r = assembleRun(run('stateless-sigkill', traced([['cart-a', 'cart-b'], ['cart-a']])));
    expect(traceCheck(r)).toMatchObject({ actual: 1, pass: false });
    expect(r.pass).toBe(false);
  });

  it.each<[string, RunTraces]>([
    ['Jaeger did not answer', { ...notTraced(), reason: 'jaeger-unreachable', error: 'fetch failed', jaegerUrl: 'http://127.0.0.1:9' }],
    ['Jaeger held no trace', { ...notTraced(), reason: 'no-traces', jaegerUrl: 'http://127.0.0.1:9' }],
    ['no sampled session had enough traces', { ...notTraced(), reason: 'too-few-traces', tracesRead: 12, sessionsFound: 4 }],
  ])('fails a traced stateless run when the traces said nothing (%s), saying why, never with a made-up number', (why, traces) => {
    const r = assembleRun(run('stateless-graceful', traces));
    expect(traceCheck(r)).toMatchObject({ actual: 0, pass: false, detail: { sessions: 0, reason: traces.reason } });
    expect(r.traces).toMatchObject({ sessionsChecked: 0, minDistinctPodsPerSession: 0, maxDistinctPodsPerSession: 0, reason: traces.reason });
    expect(checkWords(traceCheck(r)!).actual).toContain(why);
  });

  it('has no traces check for a run without a Jaeger, and says it was not traced', () => {
    const r = assembleRun(run('stateless-graceful'));
    expect(traceCheck(r)).toBeUndefined();
    expect(r.pass).toBe(true);
    expect(r.traces).toMatchObject({ sessionsChecked: 0, minDistinctPodsPerSession: 0, reason: 'not-traced' });
  });

  it('only shows a stateful run’s traces (sticky: one pod per session), without checking them', () => {
    const r = assembleRun({ ...run('stateful-sticky', traced([['cart-a'], ['cart-b']])), minKills: 1 });
    expect(traceCheck(r)).toBeUndefined();
    expect(r.traces?.maxDistinctPodsPerSession).toBe(1);
  });
});

describe('the Traces section of report.html', () => {
  it('shows per session the pods that served it, and the crossing trace span by span with a link into Jaeger', () => {
    const report = sampleReport();
    const html = renderReportHtml(report);
    for (const r of report.runs) {
      const section = tracesSection(r);
      expect(section).toContain('<h3>Traces</h3>');
      for (const s of r.traces?.sessions ?? []) expect(section).toContain(`<code>${s.sessionId}</code>`);
      const call = r.traces?.crossing;
      expect(call).toBeDefined();
      expect(section).toContain(`href="http://127.0.0.1:16686/trace/${call?.traceId}"`);
      expect(section.match(/<tr data-span=/g)).toHaveLength(call?.spans.length ?? -1);
      expect(section.match(/class="on-path"/g)).toHaveLength(call?.spans.filter((s) => s.onPath).length ?? -1);
      expect(html).toContain(section);
    }
    expect(html).toContain('Pods per session, from traces');
  });

  it('says plainly why a run has no traces to show', () => {
    const r = { ...(sampleReport().runs[0] as RunReport), traces: { ...notTraced(), reason: 'jaeger-unreachable' as const, error: 'connect ECONNREFUSED 127.0.0.1:9' } };
    const section = tracesSection(r);
    expect(section).toContain('No session checked from traces: Jaeger did not answer (connect ECONNREFUSED 127.0.0.1:9).');
    expect(section).not.toContain('<table');
    expect(tracesSection({ ...r, traces: undefined })).toContain('Traces were not read for this run');
  });

  it('links only to an http(s) Jaeger and a hex trace id, and shows hostile names as text', () => {
    expect(traceLink('http://127.0.0.1:16686/', 'ab12')).toBeUndefined();
    expect(traceLink('http://127.0.0.1:16686/', '4bf92f3577b34da6a3ce929d0e0e4736')).toBe('http://127.0.0.1:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceLink('javascript:alert(1)', '4bf92f3577b34da6a3ce929d0e0e4736')).toBeUndefined();
    const base = sampleReport().runs[0] as RunReport;
    const traces = base.traces as RunTraces;
    const hostile = '<img src=x onerror=alert(1)>';
    const r: RunReport = {
      ...base,
      traces: {
        ...traces,
        jaegerUrl: 'javascript:alert(1)//',
        sessions: [{ sessionId: hostile, traces: 12, pods: [hostile, 'cart-b'] }],
        crossing: { ...traces.crossing!, spans: traces.crossing!.spans.map((s) => ({ ...s, name: `${s.name}${hostile}`, pod: hostile })) },
      },
    };
    const section = tracesSection(r);
    expect(section).not.toContain('<img');
    expect(section).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(section).not.toContain('href=');
  });
});

// --- against a real Jaeger ---------------------------------------------------------------------

const cartDir = fileURLToPath(new URL('../../services/cart', import.meta.url));
let jaegerDir = '';
let jaeger: JaegerProcess;
let auth: TestAuth;
let catalog: TestCatalog | undefined;
const carts: ServiceProcess[] = [];
let window: { start: Date; end: Date };
/** the session (the token's sid) whose requests went to both carts */
let spreadSession = '';
/** before the brief session's requests: a window without them holds only sessions long enough to check */
let beforeBrief = new Date();

const sidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string }).sid;

async function cartCall(replica: ServiceProcess, method: string, path: string, token: string, body?: unknown): Promise<number> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (method !== 'GET') headers['idempotency-key'] = randomUUID();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${replica.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe('traces.ts against a real Jaeger fed by the services', { tags: ['timing'] }, () => {
  beforeAll(async () => {
    jaegerDir = mkdtempSync(join(tmpdir(), 'anypod-proof-traces-'));
    const [otlp, query] = (await freePorts(2)) as [number, number];
    jaeger = await startJaeger({ dir: jaegerDir, otlp: { host: '127.0.0.1', port: otlp }, query: { host: '127.0.0.1', port: query } });
    // Spans leave at shutdown (flushed on SIGTERM): the test stops the services, then reads Jaeger.
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '60000', POD_NAMESPACE: 'anypod-proof-traces' };
    auth = await startTestAuth();
    catalog = await startTestCatalog({ jwksUrl: auth.jwksUrl, env: otel });
    for (const name of ['cart-trace-a', 'cart-trace-b']) {
      carts.push(await startService({ name, cwd: cartDir, env: testEnv({ AUTH_JWKS_URL: auth.jwksUrl, CATALOG_URL: catalog.url, ...otel }) }));
    }
    const [a, b] = carts as [ServiceProcess, ServiceProcess];
    const [productId] = (await catalog.createProducts([{ stock: 1000, priceCents: 100 }])) as [string];
    const [spread, pinned, brief] = [await auth.user(), await auth.user(), await auth.user()];
    spreadSession = sidOf(spread.accessToken);
    window = { start: new Date(), end: new Date() };
    const statuses: number[] = [];
    // 12 requests of one session, turn about on both carts, then a checkout (cart → catalog);
    // 12 of another, all on one cart; 3 of a third: too few to say anything.
    for (let i = 0; i < 6; i++) {
      for (const replica of [a, b]) statuses.push(await cartCall(replica, 'POST', '/cart/items', spread.accessToken, { productId, quantity: 1 }));
      statuses.push(await cartCall(a, 'GET', '/cart', pinned.accessToken), await cartCall(a, 'POST', '/cart/items', pinned.accessToken, { productId, quantity: 1 }));
    }
    statuses.push(await cartCall(b, 'POST', '/cart/checkout', spread.accessToken));
    beforeBrief = new Date();
    for (let i = 0; i < 3; i++) statuses.push(await cartCall(b, 'GET', '/cart', brief.accessToken));
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    for (const cart of carts) expect((await stopService(cart)).code).toBe(0);
    await catalog.stop();
    catalog = undefined;
    window.end = new Date();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(carts.map((cart) => stopService(cart)));
    await catalog?.stop();
    await auth?.stop();
    await jaeger?.stop();
    if (jaegerDir) rmSync(jaegerDir, { recursive: true, force: true });
  });

  /** Jaeger stores what it receives in a moment: read until all three sessions and the crossing are there, or 15 s. */
  async function readBack(): Promise<RunTraces> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const traces = await readRunTraces({ jaegerUrl: jaeger.queryUrl, ...window });
      if ((traces.sessionsFound === 3 && traces.sessionsChecked === 2 && traces.crossing) || Date.now() > deadline) return traces;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  it('reads each session’s pods back: the spread one on both carts, the pinned one on one, the brief one left out', async () => {
    const traces = await readBack();
    expect(traces).toMatchObject({ service: 'cart', sessionsFound: 3, sessionsChecked: 2, minDistinctPodsPerSession: 1, maxDistinctPodsPerSession: 2, jaegerUrl: jaeger.queryUrl });
    expect(traces.reason).toBeUndefined();
    expect(traces.sessions.map((s) => s.pods).sort((x, y) => x.length - y.length)).toEqual([['cart-trace-a'], ['cart-trace-a', 'cart-trace-b']]);
    expect(traces.sessions.find((s) => s.sessionId === spreadSession)).toEqual({ sessionId: spreadSession, traces: 13, pods: ['cart-trace-a', 'cart-trace-b'] });
    expect(traces.sessions.map((s) => s.traces).sort((x, y) => x - y)).toEqual([12, 13]);
  });

  it('reads a sampled session in full through its session.id, beyond the few traces the sample held', async () => {
    await readBack();
    // Without the brief session's 3 traces in the window: a sample of 3 could be exactly those
    // (Jaeger's order within a limit is its own), and that session is too short to be checked.
    const traces = await readRunTraces({ jaegerUrl: jaeger.queryUrl, start: window.start, end: beforeBrief, reading: { sampleSize: 3, maxSessions: 1 } });
    expect(traces.sessionsChecked).toBe(1);
    const [session] = traces.sessions;
    expect(session?.traces).toBeGreaterThanOrEqual(12);
    // The sample's 3 traces and that session's own: not every trace of the window.
    expect(traces.tracesRead).toBeLessThanOrEqual(3 + (session?.traces ?? 0));
    expect(traces.tracesRead).toBeLessThan(28);
  });

  it('finds the checkout crossing cart → catalog, its catalog span the child of cart’s client span', async () => {
    const { crossing } = await readBack();
    expect(crossing).toBeDefined();
    const spans = crossing?.spans ?? [];
    const path = spans.filter((s) => s.onPath);
    // The checkout, the only request that calls catalog, made on cart-trace-b in the spread session.
    expect(crossing?.sessionId).toBe(spreadSession);
    expect(path[0]).toMatchObject({ service: 'cart', kind: 'server', pod: 'cart-trace-b', depth: 0 });
    const server = path.at(-1);
    const client = path.at(-2);
    expect(server).toMatchObject({ service: 'catalog', kind: 'server', pod: 'catalog-fixture', parentSpanId: client?.spanId });
    expect(client).toMatchObject({ service: 'cart', kind: 'client' });
    // The trace Jaeger holds is the one reported, and the link opens it.
    const res = await fetch(`${jaeger.queryUrl}/api/traces/${crossing?.traceId}`);
    expect(res.status).toBe(200);
    expect(traceLink(jaeger.queryUrl, crossing?.traceId ?? '')).toBe(`${jaeger.queryUrl}/trace/${crossing?.traceId}`);
  });

  it('says so when Jaeger holds nothing for the window, or does not answer', async () => {
    const before = new Date(window.start.getTime() - 3_600_000);
    expect(await readRunTraces({ jaegerUrl: jaeger.queryUrl, start: before, end: new Date(before.getTime() + 60_000) })).toMatchObject({ sessionsChecked: 0, minDistinctPodsPerSession: 0, reason: 'no-traces' });
    const [closed] = (await freePorts(1)) as [number];
    const unreachable = await readRunTraces({ jaegerUrl: `http://127.0.0.1:${closed}`, ...window, timeoutMs: 2_000 });
    expect(unreachable).toMatchObject({ sessionsChecked: 0, minDistinctPodsPerSession: 0, reason: 'jaeger-unreachable' });
    expect(unreachable.error).toMatch(/fetch failed|ECONNREFUSED/);
    // A stricter rule leaves every session out, and says so.
    expect(await readRunTraces({ jaegerUrl: jaeger.queryUrl, ...window, reading: { minTracesPerSession: 50 } })).toMatchObject({ sessionsChecked: 0, sessionsFound: 3, reason: 'too-few-traces' });
  });
});
