// The metrics plugin on a bare Fastify instance, over real HTTP where it matters (a client that
// goes away), and the naming rules every service's /metrics is checked against.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import metrics from '../src/metrics.ts';
import { changes, namingProblems, parseExposition, sampleValue, samplesOf } from '../src/testing/metric-exposition.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A gate a slow route waits on, so a test decides when it answers. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let entered!: () => void;
  const arrived = new Promise<void>((resolve) => (entered = resolve));
  return { open, opened, entered, arrived };
}

async function build(slow = gate()): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(metrics);
  app.get('/items/:id', async () => ({ ok: true }));
  app.post('/items', async (_request, reply) => reply.code(201).send({ ok: true }));
  app.get('/old', async (_request, reply) => reply.redirect('/items/1'));
  app.get('/boom', async () => {
    throw new Error('broken on purpose');
  });
  app.get('/slow', async () => {
    slow.entered();
    await slow.opened;
    return { ok: true };
  });
  await app.ready();
  return app;
}

const scrape = async (target: FastifyInstance) => (await target.inject('/metrics')).body;
const requests = (text: string, method: string, route: string, statusClass: string) => sampleValue(text, 'http_requests_total', { method, route, status_class: statusClass });

describe('HTTP metrics', () => {
  it('start every route at 0 for every status class, before any request', async () => {
    const text = await scrape(await build());
    for (const statusClass of ['2xx', '3xx', '4xx', '5xx']) {
      expect(requests(text, 'GET', '/items/:id', statusClass)).toBe(0);
      expect(requests(text, 'POST', '/items', statusClass)).toBe(0);
    }
    expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
  });

  it('count each request once under its route template and status class, and time it', async () => {
    const target = await build();
    await target.inject('/items/1');
    await target.inject('/items/2');
    await target.inject({ method: 'POST', url: '/items' });
    await target.inject('/old');
    await target.inject('/boom');
    await target.inject('/no/such/path');
    await target.inject({ method: 'DELETE', url: '/items/1' });
    const text = await scrape(target);
    expect(requests(text, 'GET', '/items/:id', '2xx')).toBe(2);
    expect(requests(text, 'POST', '/items', '2xx')).toBe(1);
    expect(requests(text, 'GET', '/old', '3xx')).toBe(1);
    expect(requests(text, 'GET', '/boom', '5xx')).toBe(1);
    expect(requests(text, 'GET', 'unmatched', '4xx')).toBe(1);
    expect(requests(text, 'DELETE', 'unmatched', '4xx')).toBe(1);
    expect(sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/items/:id', status_code: '200' })).toBe(2);
    expect(sampleValue(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/boom', status_code: '500' })).toBe(1);
    // Bounded: the ids requested never become label values.
    expect(text).not.toMatch(/route="\/items\/\d/);
  });

  it('never count /metrics itself, and carry no service or pod label', async () => {
    const target = await build();
    await scrape(target);
    await scrape(target);
    const text = await scrape(target);
    expect(text).not.toContain('route="/metrics"');
    expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
    expect(text).not.toMatch(/[{,](service|pod)="/);
    expect(namingProblems(text)).toEqual([]);
  });

  it('show a request in flight until it is answered, and forget one whose client went away', async () => {
    const slow = gate();
    const target = await build(slow);
    await target.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(target.server.address() as AddressInfo).port}`;

    const answered = target.inject('/slow');
    await slow.arrived;
    expect(sampleValue(await scrape(target), 'http_requests_in_flight')).toBe(1);

    // A client that gives up: its request is still being handled, then the connection closes.
    const controller = new AbortController();
    const abandoned = fetch(`${url}/slow`, { signal: controller.signal }).catch(() => 'aborted');
    await until(async () => sampleValue(await scrape(target), 'http_requests_in_flight') === 2);
    controller.abort();
    expect(await abandoned).toBe('aborted');
    // The server has seen the connection close (only then is this request abandoned for it).
    await until(async () => (await openConnections(target)) === 0);

    slow.open();
    expect((await answered).statusCode).toBe(200);
    await until(async () => sampleValue(await scrape(target), 'http_requests_in_flight') === 0);
  });
});

const openConnections = (target: FastifyInstance) =>
  new Promise<number>((resolve, reject) => target.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

async function until(condition: () => Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('the exposition reader', () => {
  const text = [
    '# HELP demo_requests_total Requests counted for a test',
    '# TYPE demo_requests_total counter',
    'demo_requests_total{route="/a",note="quote \\" and, comma"} 3',
    '# HELP demo_duration_seconds Durations measured for a test',
    '# TYPE demo_duration_seconds histogram',
    'demo_duration_seconds_bucket{le="0.1"} 1',
    'demo_duration_seconds_bucket{le="+Inf"} 2',
    'demo_duration_seconds_sum 0.3',
    'demo_duration_seconds_count 2',
  ].join('\n');

  it('reads label values with escapes, histogram samples under their family, and refuses a missing series', () => {
    expect(sampleValue(text, 'demo_requests_total', { route: '/a', note: 'quote " and, comma' })).toBe(3);
    expect(samplesOf(text, 'demo_duration_seconds').map((s) => s.name)).toEqual(['demo_duration_seconds_bucket', 'demo_duration_seconds_bucket', 'demo_duration_seconds_sum', 'demo_duration_seconds_count']);
    expect(sampleValue(text, 'demo_duration_seconds_bucket', { le: '+Inf' })).toBe(2);
    expect(() => sampleValue(text, 'demo_requests_total', { route: '/b', note: 'x' })).toThrow(/no series/);
    expect(() => sampleValue(text, 'demo_requests_total')).toThrow(/no series/);
    expect([...parseExposition(text).keys()]).toEqual(['demo_requests_total', 'demo_duration_seconds']);
  });

  it('tells what moved between two scrapes, and refuses series that are not there', () => {
    const later = text.replace('} 3', '} 5').replace('demo_duration_seconds_count 2', 'demo_duration_seconds_count 3');
    expect(changes(text, later, 'demo_requests_total')).toEqual({ 'route=/a,note=quote " and, comma': 2 });
    expect(changes(text, later, 'demo_duration_seconds_count')).toEqual({ '': 1 });
    expect(changes(text, text, 'demo_requests_total')).toEqual({});
    // "Nothing moved" must not pass for a family that is not exported at all.
    expect(() => changes(text, text, 'demo_absent_total')).toThrow(/no series/);
  });
});

describe('the naming rules', () => {
  const family = (name: string, type: string, sample: string, help = 'Things counted for this test') => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${sample}\n`;

  it('accept families that follow the conventions', () => {
    expect(namingProblems(family('anypod_reservations_total', 'counter', 'anypod_reservations_total{event="expired"} 1'))).toEqual([]);
    expect(namingProblems(family('process_start_time_seconds', 'gauge', 'process_start_time_seconds 1'))).toEqual([]);
  });

  // Each of these is a mistake the rules exist to catch; each must be reported.
  it.each([
    ['a counter without _total', family('anypod_reservations', 'counter', 'anypod_reservations 1'), /does not end in _total/],
    ['a duration in milliseconds', family('demo_call_duration_ms', 'histogram', 'demo_call_duration_ms_count 1'), /base unit/],
    ['a time without a unit', family('demo_request_latency', 'gauge', 'demo_request_latency 1'), /does not end in _seconds/],
    ['a gauge named like a counter', family('http_requests_in_flight_total', 'gauge', 'http_requests_in_flight_total 1'), /not a counter/],
    ['a pod label', family('anypod_reservations_total', 'counter', 'anypod_reservations_total{event="expired",pod="cart-1"} 1'), /"pod", a label Prometheus attaches/],
    ['a service label', family('http_requests_in_flight', 'gauge', 'http_requests_in_flight{service="cart"} 1'), /"service", a label Prometheus attaches/],
    ['an unbounded label', family('demo_things_total', 'counter', 'demo_things_total{user_id="u-1"} 1'), /"user_id", which is not in the bounded set/],
    ['a label value outside its list', family('anypod_reservations_total', 'counter', 'anypod_reservations_total{event="vanished"} 1'), /event="vanished" is not one of/],
    ['an own family not declared', family('anypod_mystery_total', 'counter', 'anypod_mystery_total 1'), /not declared/],
    ['a declared family of another type', family('http_requests_in_flight', 'counter', 'http_requests_in_flight 1'), /declared as a gauge/],
    ['a raw URL as route', family('http_requests_total', 'counter', 'http_requests_total{method="GET",route="items/1",status_class="2xx"} 1'), /neither a route template/],
    ['a family without help', family('demo_things_total', 'counter', 'demo_things_total 1', ''), /no help text/],
  ])('report %s', (_what, exposition, expected) => {
    expect(namingProblems(exposition).join('\n')).toMatch(expected);
  });
});

describe('metrics disabled (METRICS_ENABLED=false, to measure their cost)', () => {
  it('serve no /metrics and time no request, while the registry still takes the services’ own counters', async () => {
    app = Fastify();
    await app.register(metrics, { enabled: false });
    app.get('/items/:id', async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject('/items/1')).statusCode).toBe(200);
    expect((await app.inject('/metrics')).statusCode).toBe(404);
    expect(app.metrics.getSingleMetric('http_requests_total')).toBeUndefined();
    expect(app.metrics.getSingleMetric('process_cpu_seconds_total')).toBeUndefined();
  });
});
