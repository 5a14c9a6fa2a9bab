// Tracing in the production build (dist/, what the images run): a bundle that loses an
// instrumentation — OpenTelemetry patches http, undici, pg and ioredis as they load — must fail
// here. At checkout cart serves HTTP, calls catalog (undici), queries Postgres (pg, under Prisma)
// and checks the token denylist in Redis (ioredis); every one of them must show up as spans
// carrying the pod name, flushed when the replica stops. And what cart puts on the wire to
// catalog: the user's own Authorization header and a W3C traceparent in the caller's trace,
// added by the undici instrumentation (not by cart's code), so one trace spans client → cart →
// catalog. The real catalog answers; a gate in front of it records the headers each call carried.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCatalog, type TestCatalog } from './catalog-fixture.ts';
import { startCatalogGate, type CatalogGate } from './catalog-gate.ts';
import { newKey } from './helper.ts';
import { call, startCart } from './replicas.ts';

let authService: TestAuth;
let catalog: TestCatalog;
let gate: CatalogGate;
let cart: ServiceProcess;
let collector: Server;

interface ExportRequest {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ scope: { name: string }; spans: Array<{ name: string; traceId: string }> }>;
  }>;
}
const exported: ExportRequest[] = [];

beforeAll(async () => {
  authService = await startTestAuth();
  const admin = await authService.user('admin');
  catalog = await startTestCatalog({ jwksUrl: authService.jwksUrl, adminToken: admin.token });
  gate = await startCatalogGate(catalog.url);
  // An OTLP/HTTP (JSON) receiver that keeps what cart exports.
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') exported.push(JSON.parse(body) as ExportRequest);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  cart = await startCart('cart-traced', {
    AUTH_JWKS_URL: authService.jwksUrl,
    CATALOG_URL: gate.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Spans leave only with the flush on shutdown: the test sees exactly what a stopped pod sends.
    OTEL_BSP_SCHEDULE_DELAY: '60000',
  });
});
afterAll(async () => {
  if (cart) await stopService(cart);
  await gate?.close();
  await Promise.all([catalog?.stop(), authService?.stop()]);
  await new Promise((resolve) => collector?.close(resolve));
});

describe('checkout on the wire', { tags: ['timing'] }, () => {
  it("forwards the user's token and continues the caller's trace into catalog, on every call", async () => {
    const { token } = await authService.user();
    const product = await catalog.product({ stock: 5, priceCents: 100 });
    await call(cart, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: product, quantity: 2 } });
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const res = await call(cart, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': newKey(), traceparent: `00-${traceId}-${parentSpanId}-01` } });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({ lines: [{ productId: product, quantity: 2, unitPriceCents: 100 }], totalCents: 200 });

    // Reserve, then confirm: both carry the user's identity and the caller's trace.
    expect(gate.seen.map((call) => `${call.method} ${call.path.replace(/order-[0-9a-f-]+/, 'ID')}`)).toEqual([
      'POST /catalog/stock/reservations',
      'POST /catalog/stock/reservations/ID/confirm',
    ]);
    for (const { headers } of gate.seen) {
      expect(headers.authorization).toBe(`Bearer ${token}`);
      const traceparent = String(headers.traceparent);
      expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(traceparent).not.toContain(parentSpanId); // cart's own client span is the parent
    }
  });

  it('exports spans from http, undici, pg and ioredis with the pod name, flushed when the replica stops', async () => {
    const exit = await stopService(cart);
    expect(exit.code, cart.output()).toBe(0);
    const resources = exported.flatMap((r) => r.resourceSpans);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      const attributes = Object.fromEntries(resource.resource.attributes.map((a) => [a.key, a.value.stringValue]));
      expect(attributes).toMatchObject({ 'service.name': 'cart', 'k8s.pod.name': 'cart-traced', 'service.instance.id': 'cart-traced' });
    }
    const scopes = new Set(resources.flatMap((r) => r.scopeSpans.filter((s) => s.spans.length > 0).map((s) => s.scope.name)));
    for (const instrumentation of ['http', 'undici', 'pg', 'ioredis']) {
      expect([...scopes], `spans from @opentelemetry/instrumentation-${instrumentation}`).toContain(`@opentelemetry/instrumentation-${instrumentation}`);
    }
  });
});
