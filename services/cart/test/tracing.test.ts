// What cart puts on the wire to catalog at checkout: the user's own Authorization header, and —
// with tracing on — a W3C traceparent in the caller's trace, added by the OpenTelemetry undici
// instrumentation (not by cart's code), so one trace spans client → cart → catalog. A recording
// stand-in answers for catalog here because only the receiving end can see the headers.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from './helper.ts';
import { call, startCart } from './replicas.ts';

let authService: TestAuth;
let cart: ServiceProcess;
const servers: Server[] = [];
const seenByCatalog: IncomingHttpHeaders[] = [];

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  authService = await startTestAuth();
  // Accepts (and drops) exported spans.
  const collector = await listen((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  // Answers reservations the way catalog does, pricing every unit at 100 cents.
  const catalog = await listen((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seenByCatalog.push(req.headers);
      const { reservationId, lines } = JSON.parse(body) as { reservationId: string; lines: Array<{ productId: string; quantity: number }> };
      const priced = lines.map((line) => ({ ...line, unitPriceCents: 100 }));
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ reservationId, lines: priced, totalCents: 0, createdAt: new Date().toISOString() }));
    });
  });
  cart = await startCart('cart-traced', {
    AUTH_JWKS_URL: authService.jwksUrl,
    CATALOG_URL: catalog,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
});
afterAll(async () => {
  if (cart) await stopService(cart);
  await authService?.stop();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('checkout on the wire', () => {
  it("forwards the user's token and continues the caller's trace into catalog", async () => {
    const { token } = await authService.user();
    await call(cart, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: 'traced-item', quantity: 2 } });
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const res = await call(cart, 'POST', '/cart/checkout', { token, headers: { 'idempotency-key': newKey(), traceparent: `00-${traceId}-${parentSpanId}-01` } });
    expect(res.status, res.body).toBe(201);
    expect(res.json()).toMatchObject({ lines: [{ productId: 'traced-item', quantity: 2, unitPriceCents: 100 }], totalCents: 200 });

    expect(seenByCatalog).toHaveLength(1);
    const headers = seenByCatalog[0] as IncomingHttpHeaders;
    expect(headers.authorization).toBe(`Bearer ${token}`);
    const traceparent = String(headers.traceparent);
    expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(traceparent).not.toContain(parentSpanId); // cart's own client span is the parent
  });
});
