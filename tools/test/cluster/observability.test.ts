// The local cluster with its observability stack (tools/observability): real Jaeger and real
// Prometheus next to real replicas behind real nginx. After a short load of shoppers (browse,
// add to cart, check out: cart calls catalog), what a user of the dashboards and of Jaeger's UI
// would look at: every replica a Prometheus target labelled namespace/pod/container as on
// Kubernetes; a deleted replica's series going stale and its replacement's appearing; traces
// crossing cart → catalog with the right parent/child links; one shopper's requests on several
// pods; the trace id in the log lines of the replica that served the request.
// One cluster for the whole file. Nothing waits a fixed time: every check polls until it holds
// or its bound passes (scrape interval 2 s, spans exported every 0.5 s).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../cluster/manifests.ts';
import { eventually, newAccount } from '../../cluster/testing.ts';
import type { Cluster, ClusterObservability, ServiceName } from '../../cluster/types.ts';
import { JaegerQuery, parentOf, podOf, podsOf, serviceCalls, serviceOf, spanKind, type Trace } from '../../observability/jaeger-query.ts';
import { PromQL } from '../../observability/promql.ts';
import { isAlive } from '../../cluster/process-utils.ts';
import { startTestCluster } from './test-cluster.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-observability-'));
const SERVICES: ServiceName[] = ['auth', 'catalog', 'cart'];
const NAMESPACE = loadManifests().service('cart').namespace;
const SHOPPERS = 3;
const ROUNDS = 3;
let cluster: Cluster;
let stack: ClusterObservability;
let prom: PromQL;
let jaeger: JaegerQuery;

/** One request the test traced: the W3C trace id it sent, and who served it. */
interface Traced {
  shopper: number;
  traceId: string;
  method: string;
  path: string;
  status: number;
  servedBy: string;
}
const traced: Traced[] = [];


/** A request through the Ingress that starts a trace of our own (W3C traceparent, sampled), as a traced front end would. */
async function call(shopper: number, method: string, path: string, token: string, body?: unknown): Promise<Traced & { json: Record<string, unknown> }> {
  const traceId = randomBytes(16).toString('hex');
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
  if (method !== 'GET') headers['idempotency-key'] = randomUUID();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${cluster.ingressUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const record: Traced = { shopper, traceId, method, path, status: res.status, servedBy: res.headers.get('x-served-by') ?? '' };
  traced.push(record);
  return { ...record, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A shopper: signs in, then browses, adds a product and checks out, ROUNDS times. */
async function shop(shopper: number): Promise<void> {
  const { accessToken } = await newAccount(cluster.ingressUrl, 'observability');
  for (let round = 0; round < ROUNDS; round++) {
    const products = await call(shopper, 'GET', '/catalog/products?pageSize=20', accessToken);
    const product = (products.json.items as { id: string; stock: number }[] | undefined)?.find((p) => p.stock > 0);
    if (!product) throw new Error('the catalog has no product in stock: seed it first (make seed)');
    const added = await call(shopper, 'POST', '/cart/items', accessToken, { productId: product.id, quantity: 1 });
    if (added.status !== 200) throw new Error(`add to cart answered ${added.status}: ${JSON.stringify(added.json)}`);
    const order = await call(shopper, 'POST', '/cart/checkout', accessToken);
    if (order.status !== 201) throw new Error(`checkout answered ${order.status}: ${JSON.stringify(order.json)}`);
  }
}

beforeAll(async () => {
  cluster = await startTestCluster({
    services: SERVICES,
    replicas: 2,
    runDir,
    // Spans leave a replica every 0.5 s instead of 5 s: the checks find them sooner.
    env: { LOG_LEVEL: 'info', OTEL_BSP_SCHEDULE_DELAY: '500' },
    observability: { prometheusPort: 0, jaegerPort: 0, otlpPort: 0, scrapeIntervalSeconds: 2 },
  });
  stack = cluster.observability as ClusterObservability;
  prom = new PromQL(stack.prometheusUrl);
  jaeger = new JaegerQuery(stack.jaegerUrl);
  await Promise.all(Array.from({ length: SHOPPERS }, (_, i) => shop(i)));
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

/** The pods Prometheus scrapes successfully right now (`up == 1`), by pod, with their labels. */
async function upPods(): Promise<Map<string, Record<string, string>>> {
  const samples = await prom.vector('up{job="anypod"} == 1');
  return new Map(samples.map((s) => [s.metric.pod as string, s.metric]));
}

/** The same trace with every span we expect, or undefined while Jaeger has not received them all. */
async function traceWith(traceId: string, complete: (trace: Trace) => boolean): Promise<Trace | undefined> {
  const trace = await jaeger.trace(traceId);
  return trace && complete(trace) ? trace : undefined;
}

describe('the local cluster with Jaeger and Prometheus', { tags: ['timing'] }, () => {
  it('replicas export to the stack, which runs on the ports it was given', () => {
    expect(traced.every((t) => t.status >= 200 && t.status < 300)).toBe(true);
    expect(isAlive(stack.pids.prometheus) && isAlive(stack.pids.jaeger)).toBe(true);
    const replica = cluster.replicas('cart')[0];
    expect(replica).toBeDefined();
    const env = readFileSync(`/proc/${replica?.pid}/environ`, 'utf8').split('\0');
    expect(env).toContain(`OTEL_EXPORTER_OTLP_ENDPOINT=${stack.otlpUrl}`);
  });

  it('Prometheus has a target per replica, labelled namespace/pod/container as on Kubernetes, each up', async () => {
    const replicas = cluster.replicas();
    const up = await eventually('every replica up in Prometheus', async () => {
      const pods = await upPods();
      return replicas.every((r) => pods.has(r.name)) ? pods : undefined;
    });
    expect([...up.keys()].sort()).toEqual(replicas.map((r) => r.name).sort());
    for (const r of replicas) expect(up.get(r.name)).toMatchObject({ namespace: NAMESPACE, pod: r.name, container: r.service, job: 'anypod', instance: `127.0.0.1:${r.port}` });
    const targets = (await prom.targets()).filter((t) => t.scrapePool === 'anypod');
    expect(targets.map((t) => t.labels.pod).sort()).toEqual(replicas.map((r) => r.name).sort());
    // The services' own series carry the same identity (the request counter of the load above).
    const requests = await prom.vector(`sum by (pod, container) (http_request_duration_seconds_count{namespace="${NAMESPACE}", container="cart"})`);
    expect(requests.map((s) => s.metric.pod).sort()).toEqual(cluster.replicas('cart').map((r) => r.name).sort());
  });

  it('a trace of a checkout covers cart and catalog, and catalog’s server span is the child of cart’s client span', async () => {
    const checkouts = traced.filter((t) => t.path === '/cart/checkout');
    expect(checkouts.length).toBe(SHOPPERS * ROUNDS);
    const first = checkouts[0] as Traced;
    // The entry span is cart's server span, made by the pod the Ingress says served the request.
    // It ends last, so it can reach Jaeger in a later batch than the cart → catalog spans: the
    // trace is complete only when both are there.
    const entryOf = (t: Trace) => t.spans.find((s) => spanKind(s) === 'server' && serviceOf(t, s) === 'cart' && !parentOf(t, s));
    const trace = await eventually(`trace ${first.traceId} with cart's entry span and cart → catalog`, () =>
      traceWith(first.traceId, (t) => entryOf(t) !== undefined && serviceCalls(t).some((c) => c.from === 'cart' && c.to === 'catalog')),
    );
    const services = new Set(trace.spans.map((s) => serviceOf(trace, s)));
    expect([...services]).toEqual(expect.arrayContaining(['cart', 'catalog']));
    const entry = entryOf(trace);
    expect(entry).toBeDefined();
    expect(podOf(trace, entry!)).toBe(first.servedBy);
    for (const call of serviceCalls(trace).filter((c) => c.from === 'cart' && c.to === 'catalog')) {
      expect(spanKind(call.client)).toBe('client');
      expect(spanKind(call.server)).toBe('server');
      expect(call.server.references).toContainEqual(expect.objectContaining({ refType: 'CHILD_OF', spanID: call.client.spanID }));
      expect(podOf(trace, call.server)).toMatch(/^catalog-/);
      // cart's client span descends from the request's own server span in cart.
      let span = parentOf(trace, call.client);
      while (span && span !== entry) span = parentOf(trace, span);
      expect(span).toBe(entry);
    }
  });

  it('one shopper’s traces carry several pods of one service (k8s.pod.name), as the Ingress saw', async () => {
    const mine = traced.filter((t) => t.shopper === 0 && t.path.startsWith('/cart/'));
    const traces = await Promise.all(mine.map((t) => eventually(`trace ${t.traceId}`, () => traceWith(t.traceId, (trace) => podsOf(trace, 'cart').size > 0))));
    const cartPods = new Set(traces.flatMap((t) => [...podsOf(t, 'cart')]));
    expect(cartPods.size).toBeGreaterThanOrEqual(2);
    expect([...cartPods].sort()).toEqual([...new Set(mine.map((t) => t.servedBy))].sort());
  });

  it('the log lines of a traced request carry its trace id', () => {
    const request = traced.find((t) => t.path === '/cart/checkout') as Traced;
    const replica = cluster.replicas().find((r) => r.name === request.servedBy);
    expect(replica).toBeDefined();
    const lines = readFileSync(replica!.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ofRequest = lines.filter((l) => l.trace_id === request.traceId);
    expect(ofRequest.length).toBeGreaterThan(0);
    expect(ofRequest.every((l) => typeof l.span_id === 'string' && /^[0-9a-f]{16}$/.test(l.span_id))).toBe(true);
  });

  it('after a replica is deleted, its replacement’s series appear and the deleted pod’s stop', async () => {
    const old = cluster.replicas('catalog')[0]?.name as string;
    const { replacement } = await cluster.deleteReplica(old, 'graceful');
    await cluster.waitForFullStrength();
    // The replacement: a target, up, and its own series (the process's start time, as a pod's panel reads it).
    await eventually(`${replacement} up in Prometheus`, async () => ((await upPods()).get(replacement)?.container === 'catalog' ? true : undefined));
    const series = await prom.series([`process_start_time_seconds{pod="${replacement}"}`]);
    expect(series).toContainEqual(expect.objectContaining({ namespace: NAMESPACE, pod: replacement, container: 'catalog' }));
    // The deleted pod: no target any more, and its `up` series ended with a staleness marker —
    // an instant query finds nothing now, though its samples are still in the range before.
    await eventually(`${old} gone from the targets`, async () => ((await prom.targets()).some((t) => t.labels.pod === old) ? undefined : true));
    await eventually(`${old}'s up series stale`, async () => ((await prom.vector(`up{pod="${old}"}`)).length === 0 ? true : undefined), 10_000);
    const history = await prom.matrix(`up{pod="${old}"}[5m]`);
    expect(history).toHaveLength(1);
    expect(history[0]?.values.some(([, value]) => value === '1')).toBe(true);
    expect(await prom.vector(`last_over_time(up{pod="${old}"}[5m])`)).toHaveLength(1);
  });
});
