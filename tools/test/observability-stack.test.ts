// The observability stack on its own (tools/observability), without a cluster: real Jaeger and
// real Prometheus on free loopback ports. What the callers rely on: only the listeners asked for,
// spans sent over OTLP/HTTP read back through the query client with their links, Prometheus
// scraping with the labels given, a taken port refused up front, and a stack another process
// started stopped by its recorded pids.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../cluster/process-utils.ts';
import { readObservabilityState, startObservability, stopRecordedObservability, type Observability } from '../observability/index.ts';
import { JaegerQuery, podsOf, serviceCalls, spanKind, type Trace } from '../observability/jaeger-query.ts';
import { PromQL } from '../observability/promql.ts';
import { freePorts } from '../observability/ports.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-observability-stack-'));
let stack: Observability;

beforeAll(async () => {
  const [prometheusPort] = await freePorts(1);
  stack = await startObservability({
    runDir,
    prometheusPort: prometheusPort as number,
    jaegerPort: 0,
    otlpPort: 0,
    scrapeIntervalSeconds: 1,
    // Prometheus scraping itself, labelled the way the local cluster labels a replica.
    scrapeConfigs: [{ job_name: 'self', static_configs: [{ targets: [`127.0.0.1:${prometheusPort}`], labels: { namespace: 'anypod', pod: 'self-abcde', container: 'prometheus' } }] }],
    // The stack outlives the process that started it, as a CLI's would: stopped below by its pids.
    outlive: true,
  }).catch((error: Error) => {
    throw new Error(`the stack did not start: ${error.message}`);
  });
}, 120_000);

afterAll(async () => {
  if (stack) await stopRecordedObservability(runDir);
  rmSync(runDir, { recursive: true, force: true });
});

/** Listening TCP sockets of a process: host:port strings (ss from iproute2). */
function listeners(pid: number): string[] {
  const out = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => line.trim().split(/\s+/)[3] as string)
    .sort();
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  for (;;) {
    const value = await probe().catch((error: Error) => ((last = error.message), undefined));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last})`);
    await sleep(200);
  }
}

const port = (url: string): number => Number(new URL(url).port);

describe('the observability stack', { tags: ['timing'] }, () => {
  it('listens only where it was told: Jaeger on five loopback ports, none of its defaults; Prometheus on one', () => {
    const jaeger = listeners(stack.pids.jaeger);
    expect(jaeger).toHaveLength(5);
    expect(jaeger.every((l) => l.startsWith('127.0.0.1:'))).toBe(true);
    expect(jaeger).toEqual(expect.arrayContaining([`127.0.0.1:${port(stack.jaegerUrl)}`, `127.0.0.1:${port(stack.otlpUrl)}`]));
    const defaults = [4317, 4318, 5778, 5779, 6831, 6832, 8888, 9411, 13133, 14250, 14268, 16685, 16686, 27777, 27778];
    expect(jaeger.filter((l) => defaults.includes(Number(l.split(':')[1])) && ![port(stack.jaegerUrl), port(stack.otlpUrl)].includes(Number(l.split(':')[1])))).toEqual([]);
    expect(listeners(stack.pids.prometheus)).toEqual([`127.0.0.1:${port(stack.prometheusUrl)}`]);
  });

  it('a call from one service to another, sent over OTLP/HTTP, reads back with its link and pods', async () => {
    const traceId = randomBytes(16).toString('hex');
    const [entry, client, server] = [randomBytes(8), randomBytes(8), randomBytes(8)].map((b) => b.toString('hex')) as [string, string, string];
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, parentSpanId: string, name: string, kind: number) => ({ traceId, spanId, parentSpanId, name, kind, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n), attributes: [{ key: 'http.route', value: { stringValue: name } }] });
    const resource = (service: string, pod: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }, { key: 'k8s.pod.name', value: { stringValue: pod } }] });
    const body = {
      resourceSpans: [
        // kind 2 = server, 3 = client (OTLP's SpanKind)
        { resource: resource('probe-cart', 'probe-cart-aaaaa'), scopeSpans: [{ spans: [span(entry, '', '/cart/checkout', 2), span(client, entry, 'POST', 3)] }] },
        { resource: resource('probe-catalog', 'probe-catalog-bbbbb'), scopeSpans: [{ spans: [span(server, client, '/catalog/reservations', 2)] }] },
      ],
    };
    const res = await fetch(`${stack.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const jaeger = new JaegerQuery(stack.jaegerUrl);
    const trace = await eventually('the trace in Jaeger', async () => (await jaeger.trace(traceId)) ?? undefined);
    expect(trace.spans).toHaveLength(3);
    const calls = serviceCalls(trace);
    expect(calls.map((c) => [c.from, c.to, c.client.spanID, c.server.spanID])).toEqual([['probe-cart', 'probe-catalog', client, server]]);
    expect(spanKind(calls[0]?.client as Trace['spans'][number])).toBe('client');
    expect([...podsOf(trace)].sort()).toEqual(['probe-cart-aaaaa', 'probe-catalog-bbbbb']);
    expect(await jaeger.services()).toEqual(expect.arrayContaining(['probe-cart', 'probe-catalog']));
    const found = await jaeger.findTraces({ service: 'probe-catalog', tags: { 'http.route': '/catalog/reservations' }, limit: 5 });
    expect(found.map((t) => t.traceID)).toContain(traceId);
    expect(await jaeger.findTraces({ service: 'probe-catalog', tags: { 'http.route': '/nowhere' } })).toEqual([]);
    expect(await jaeger.trace(randomBytes(16).toString('hex'))).toBeNull();
  });

  it('Prometheus scrapes with the labels it was given, and Jaeger’s own metrics', async () => {
    const prom = new PromQL(stack.prometheusUrl);
    const up = await eventually('both jobs up', async () => {
      const samples = await prom.vector('up == 1');
      return samples.length === 2 ? samples : undefined;
    });
    expect(up.map((s) => s.metric.job).sort()).toEqual(['jaeger', 'self']);
    expect(up.find((s) => s.metric.job === 'self')?.metric).toMatchObject({ namespace: 'anypod', pod: 'self-abcde', container: 'prometheus' });
    expect((await prom.targets()).map((t) => t.health)).toEqual(['up', 'up']);
    await expect(prom.vector('rate(up[')).rejects.toThrow(/bad_data/);
  });

  it('refuses a port that is taken, before starting anything', async () => {
    await expect(startObservability({ runDir: join(runDir, 'second'), prometheusPort: port(stack.prometheusUrl), jaegerPort: 0, otlpPort: 0, scrapeConfigs: [] })).rejects.toThrow(
      `in use already: Prometheus 127.0.0.1:${port(stack.prometheusUrl)}`,
    );
    expect(existsSync(join(runDir, 'second', 'observability.json'))).toBe(false);
  });

  it('another process stops it by the pids it recorded', async () => {
    const state = readObservabilityState(runDir);
    expect(state?.pids).toEqual(stack.pids);
    const stopped = await stopRecordedObservability(runDir);
    expect(stopped.sort()).toEqual([stack.pids.prometheus, stack.pids.jaeger].sort());
    expect(isAlive(stack.pids.prometheus) || isAlive(stack.pids.jaeger)).toBe(false);
    expect(readObservabilityState(runDir)).toBeNull();
    expect(await stopRecordedObservability(runDir)).toEqual([]);
  });
});
