// Tracing in the production build (dist/, what the images run), seen from outside the process:
// what cart and catalog export to an OTLP receiver, what cart puts on the wire to catalog, and
// what it writes to stdout. A bundle that loses an instrumentation — OpenTelemetry patches http,
// undici, pg and ioredis as they load, and @fastify/otel is registered as a plugin — must fail
// here. At checkout cart serves HTTP, calls catalog (undici), queries Postgres (pg, under Prisma)
// and checks the token denylist in Redis (ioredis). The W3C traceparent that takes the caller's
// trace into catalog is added by the undici instrumentation, not by cart's code; a gate in front
// of the real catalog records the headers each call carried.
//
// Spans are batched for a minute (OTEL_BSP_SCHEDULE_DELAY), so they leave only with the flush on
// shutdown: the receiver sees exactly what a stopped pod sends. Beside the traced cart run one
// with no endpoint (tracing off: nothing on the wire, no trace fields in logs, and the SDK not even
// loaded) and one with an endpoint but OTEL_SDK_DISABLED=true. What each loads is reported by a
// probe preloaded into the process (loaded-packages-probe.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { startTestCatalog, type TestCatalog } from '@anypod/catalog/testing';
import { startOtlpReceiver, type OtlpReceiver } from '@anypod/platform/testing/otlp-receiver';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCatalogGate, type CatalogGate } from './catalog-gate.ts';
import { newKey } from './helper.ts';
import { call, startCart } from './replicas.ts';

const NAMESPACE = 'anypod-tracing-test';
const SERVER = 2;
const CLIENT = 3;

let receiver: OtlpReceiver;
let authService: TestAuth;
let catalog: TestCatalog;
const gates: CatalogGate[] = [];
const carts: ServiceProcess[] = [];

/** Settings a traced replica gets: the receiver as endpoint, JSON (what it reads), spans held until shutdown. */
const traced = (receiverUrl: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '60000',
});
/** Tracing off whatever the test runner's own environment says (an empty variable counts as unset). */
const untraced = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };

const PROBE = createRequire(import.meta.url).resolve('@anypod/platform/testing/loaded-packages-probe');
const LOADED = 'loaded-packages: ';
/** The packages a stopped replica loaded, as its probe reported them at exit. */
function loadedPackages(replica: ServiceProcess): string[] {
  const line = replica.output().split('\n').find((l) => l.startsWith(LOADED));
  if (!line) throw new Error(`${replica.name} printed no "${LOADED}" line: was ${PROBE} preloaded?\n${replica.output()}`);
  return JSON.parse(line.slice(LOADED.length)) as string[];
}
/** What tracing would load; only the API (the log mixin reads the active span through it) is always there. */
const tracingPackages = (packages: string[]) => packages.filter((p) => /^@opentelemetry\/|^@fastify\/otel$|-in-the-middle$/.test(p));

async function startGatedCart(name: string, env: Record<string, string>): Promise<{ cart: ServiceProcess; gate: CatalogGate }> {
  const gate = await startCatalogGate(catalog.url);
  gates.push(gate);
  // A long catalog timeout: on a busy machine a retried reservation would add calls and spans
  // that have nothing to do with tracing.
  const cart = await startCart(name, {
    AUTH_JWKS_URL: authService.jwksUrl,
    CATALOG_URL: gate.url,
    CATALOG_TIMEOUT_MS: '5000',
    LOG_LEVEL: 'info',
    POD_NAMESPACE: NAMESPACE,
    NODE_OPTIONS: `--import ${PROBE}`,
    ...env,
  });
  carts.push(cart);
  return { cart, gate };
}

/** A user with one product in the cart, ready for checkout. */
async function userWithCart(cart: ServiceProcess): Promise<{ token: string; productId: string }> {
  const { accessToken: token } = await authService.user();
  const [productId] = (await catalog.createProducts([{ stock: 5, priceCents: 100 }])) as [string];
  const added = await call(cart, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId, quantity: 2 } });
  expect(added.status, added.body).toBe(200);
  return { token, productId };
}

/** A W3C traceparent for a new trace, as a traced client would send it. */
function clientTrace() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The JSON log lines of a replica (stdout and stderr). */
function logLines(replica: ServiceProcess): Array<Record<string, unknown>> {
  return replica
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  authService = await startTestAuth();
  // Catalog gets the namespace the way the chart gives it, through OTEL_RESOURCE_ATTRIBUTES as
  // well as POD_NAMESPACE; cart only through POD_NAMESPACE, the way the platform reads it.
  catalog = await startTestCatalog({
    jwksUrl: authService.jwksUrl,
    env: { ...traced(receiver.url), POD_NAMESPACE: NAMESPACE, OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=${NAMESPACE}` },
  });
});
afterAll(async () => {
  await Promise.all(carts.map((cart) => stopService(cart)));
  await Promise.all(gates.map((gate) => gate.close()));
  await Promise.all([catalog?.stop(), authService?.stop()]);
  await receiver?.close();
});

describe('tracing off', { tags: ['timing'] }, () => {
  it('without an endpoint: no instrumentation, nothing on the wire, no trace fields in logs, no noise', async () => {
    const { cart, gate } = await startGatedCart('cart-untraced', untraced);
    const { token } = await userWithCart(cart);
    const caller = clientTrace();
    const res = await call(cart, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': newKey(), traceparent: caller.traceparent } });
    expect(res.status, res.body).toBe(201);
    expect(gate.seen.length).toBeGreaterThan(0);
    for (const { headers } of gate.seen) expect(headers).not.toHaveProperty('traceparent');
    expect((await stopService(cart)).code).toBe(0);
    const lines = logLines(cart);
    expect(lines.filter((line) => line.reqId !== undefined).length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toHaveProperty('trace_id');
    expect(lines.filter((line) => Number(line.level) >= 40), cart.output()).toEqual([]);
    const outputButProbe = cart.output().split('\n').filter((line) => !line.startsWith(LOADED));
    expect(outputButProbe.filter((line) => /opentelemetry|otlp/i.test(line))).toEqual([]);
    expect(tracingPackages(loadedPackages(cart))).toEqual(['@opentelemetry/api']);
  });

  it('with an endpoint and OTEL_SDK_DISABLED=true: nothing exported', async () => {
    const { cart, gate } = await startGatedCart('cart-sdk-disabled', { ...traced(receiver.url), OTEL_SDK_DISABLED: 'true' });
    const { token } = await userWithCart(cart);
    const res = await call(cart, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': newKey() } });
    expect(res.status, res.body).toBe(201);
    expect(gate.seen.length).toBeGreaterThan(0);
    for (const { headers } of gate.seen) expect(headers).not.toHaveProperty('traceparent');
    expect((await stopService(cart)).code).toBe(0);
    expect(receiver.spans().filter((s) => s.resource['k8s.pod.name'] === 'cart-sdk-disabled')).toEqual([]);
    for (const line of logLines(cart)) expect(line).not.toHaveProperty('trace_id');
    expect(tracingPackages(loadedPackages(cart))).toEqual(['@opentelemetry/api']);
  });
});

describe('tracing on: OTEL_EXPORTER_OTLP_ENDPOINT set', { tags: ['timing'] }, () => {
  let cart: ServiceProcess;
  let gate: CatalogGate;
  const checkout = clientTrace();
  const checkoutRequestId = randomUUID();
  const order = clientTrace();
  let orderId = '';

  beforeAll(async () => {
    ({ cart, gate } = await startGatedCart('cart-traced', traced(receiver.url)));
  });

  it("forwards the user's token and continues the caller's trace into catalog, on every call", async () => {
    const { token, productId } = await userWithCart(cart);
    const res = await call(cart, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': newKey(), traceparent: checkout.traceparent, 'x-request-id': checkoutRequestId } });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({ lines: [{ productId, quantity: 2, unitPriceCents: 100 }], totalCents: 200 });
    orderId = res.json().id;
    const fetched = await call(cart, 'GET', `/cart/orders/${orderId}`, { token, headers: { traceparent: order.traceparent } });
    expect(fetched.status, fetched.body).toBe(200);

    // Reserve, then confirm (a retry is the same call again): each carries the user's identity and the caller's trace.
    expect([...new Set(gate.seen.map((c) => `${c.method} ${c.path.replace(/order-[0-9a-f-]+/, 'ID')}`))]).toEqual([
      'POST /catalog/stock/reservations',
      'POST /catalog/stock/reservations/ID/confirm',
    ]);
    for (const { headers } of gate.seen) {
      expect(headers.authorization).toBe(`Bearer ${token}`);
      expect(headers.traceparent).toMatch(new RegExp(`^00-${checkout.traceId}-[0-9a-f]{16}-01$`));
      expect(headers.traceparent).not.toContain(checkout.spanId); // cart's own client span is the parent
    }
  });

  it('exports nothing before shutdown, then every buffered span on SIGTERM', async () => {
    expect(receiver.spans().filter((s) => s.resource['k8s.pod.name'] === 'cart-traced')).toEqual([]);
    const exit = await stopService(cart);
    expect(exit.code, cart.output()).toBe(0);
    // The probe's control: it does see the SDK where tracing is on.
    expect(tracingPackages(loadedPackages(cart))).toEqual(expect.arrayContaining(['@opentelemetry/sdk-node', '@fastify/otel', '@opentelemetry/instrumentation-undici', 'import-in-the-middle']));
    const exitCatalog = await stopService(catalog.process);
    expect(exitCatalog.code, catalog.process.output()).toBe(0);
    expect(receiver.problems).toEqual([]);
    // The last request before SIGTERM is there, with every instrumentation's spans.
    const spans = receiver.spans().filter((s) => s.resource['k8s.pod.name'] === 'cart-traced');
    expect(spans.some((s) => s.traceId === order.traceId)).toBe(true);
    const scopes = new Set(spans.map((s) => s.scope));
    for (const instrumentation of ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici', '@opentelemetry/instrumentation-pg', '@opentelemetry/instrumentation-ioredis', '@fastify/otel']) {
      expect([...scopes], `spans from ${instrumentation}`).toContain(instrumentation);
    }
  });

  it('puts service, pod and namespace on every span', () => {
    const resources = new Map(receiver.spans().map((s) => [JSON.stringify(s.resource), s.resource]));
    const byPod = (pod: string) => [...resources.values()].filter((r) => r['k8s.pod.name'] === pod);
    expect(byPod('cart-traced').length).toBeGreaterThan(0);
    expect(byPod('catalog-fixture').length).toBeGreaterThan(0);
    for (const resource of byPod('cart-traced')) {
      expect(resource).toMatchObject({ 'service.name': 'cart', 'service.instance.id': 'cart-traced', 'k8s.pod.name': 'cart-traced', 'k8s.namespace.name': NAMESPACE });
    }
    for (const resource of byPod('catalog-fixture')) {
      expect(resource).toMatchObject({ 'service.name': 'catalog', 'service.instance.id': 'catalog-fixture', 'k8s.namespace.name': NAMESPACE });
    }
  });

  it('names request spans by route template (http.route from @fastify/otel), never by the concrete path', () => {
    const serverSpan = (traceId: string, service: string) =>
      receiver.spans().filter((s) => s.traceId === traceId && s.kind === SERVER && s.resource['service.name'] === service && s.scope === '@opentelemetry/instrumentation-http');
    // GET /cart/orders/<uuid>: one series per route, not per order.
    const [get] = serverSpan(order.traceId, 'cart');
    expect(get).toMatchObject({ name: 'GET /cart/orders/:id', parentSpanId: order.spanId, attributes: { 'http.route': '/cart/orders/:id', 'url.path': `/cart/orders/${orderId}` } });
    const fastify = receiver.spans().filter((s) => s.traceId === order.traceId && s.scope === '@fastify/otel');
    expect(fastify.find((s) => s.name === 'request')).toMatchObject({ parentSpanId: get?.spanId, attributes: { 'http.route': '/cart/orders/:id' } });
    expect(fastify.some((s) => s.name.startsWith('handler - '))).toBe(true);

    // Checkout, across both services: client → cart (server) → cart's undici client span →
    // catalog (server), in the caller's trace, each server span named by its template.
    const [cartServer] = serverSpan(checkout.traceId, 'cart');
    expect(cartServer).toMatchObject({ name: 'POST /cart/checkout', parentSpanId: checkout.spanId, attributes: { 'http.route': '/cart/checkout' } });
    const catalogServers = serverSpan(checkout.traceId, 'catalog');
    expect([...new Set(catalogServers.map((s) => s.name))].sort()).toEqual(['POST /catalog/stock/reservations', 'POST /catalog/stock/reservations/:reservationId/confirm']);
    const cartClients = new Map(receiver.spans().filter((s) => s.traceId === checkout.traceId && s.kind === CLIENT && s.scope === '@opentelemetry/instrumentation-undici').map((s) => [s.spanId, s]));
    for (const server of catalogServers) {
      expect(cartClients.get(server.parentSpanId), `${server.name}'s parent is a client span of cart's`).toMatchObject({ resource: { 'service.name': 'cart' } });
    }
  });

  it("writes the request's trace and span ids on each of its log lines, and none at start-up or shutdown", () => {
    const lines = logLines(cart);
    const ofCheckout = lines.filter((line) => line.reqId === checkoutRequestId);
    expect(ofCheckout.length, cart.output()).toBeGreaterThanOrEqual(2); // "incoming request", "request completed"
    const exported = new Set(receiver.spans().filter((s) => s.traceId === checkout.traceId).map((s) => s.spanId));
    for (const line of ofCheckout) {
      expect(line).toMatchObject({ trace_id: checkout.traceId, trace_flags: '01' });
      expect(exported, `span_id of "${String(line.msg)}" is a span cart exported`).toContain(line.span_id);
    }
    // Start-up and shutdown happen outside any request. (A line without reqId may still belong to
    // a request: plugins log through fastify.log, and those lines carry the trace too.)
    const outsideRequests = lines.filter((line) => /^(Server listening|shutdown)/.test(String(line.msg)));
    expect(outsideRequests.length, cart.output()).toBeGreaterThanOrEqual(3);
    for (const line of outsideRequests) expect(line).not.toHaveProperty('trace_id');
  });
});
