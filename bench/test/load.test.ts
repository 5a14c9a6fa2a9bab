// The load generator against a small real HTTP server: what it sends is what the scenarios
// promise (a fresh Idempotency-Key per request, one token per connection, rotated bodies), and
// what it reports is what the server saw.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLocal, runLoad } from '../lib/load.ts';
import { planPinning } from '../lib/pinning.ts';

interface Seen {
  key: string | undefined;
  authorization: string | undefined;
  productId: string;
  socket: Socket;
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ key: req.headers['idempotency-key'] as string | undefined, authorization: req.headers.authorization, productId: body ? (JSON.parse(body) as { productId: string }).productId : '', socket: req.socket });
      res.writeHead(req.url === '/teapot' ? 418 : 201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('runLoad', { tags: ['timing'] }, () => {
  it('sends a fresh key per request, one token per connection, rotated bodies; counts what was answered', async () => {
    seen.length = 0;
    const figures = await runLoad(
      {
        baseUrl,
        requests: [{ method: 'POST', path: '/items', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ productId: 'p0', quantity: 1 }), idempotencyKey: true, rotate: { field: 'productId', values: ['p1', 'p2', 'p3'] } }],
        tokens: ['alice', 'bob'],
        connections: 4,
        durationS: 1,
      },
      planPinning(),
    );
    expect(figures.requests).toBeGreaterThan(50);
    // The server may have answered a few requests the generator stopped waiting for at the end.
    expect(seen.length).toBeGreaterThanOrEqual(figures.requests);
    expect(figures.unexpectedStatus).toBe(0);
    expect(figures.byStatus['201']).toBe(figures.requests);
    expect(figures.p50Ms).toBeGreaterThan(0);
    expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms);
    const keys = seen.map((s) => s.key);
    expect(keys.every((k) => k && k.length >= 32)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(seen.map((s) => s.productId))).toEqual(new Set(['p1', 'p2', 'p3']));
    expect(new Set(seen.map((s) => s.authorization))).toEqual(new Set(['Bearer alice', 'Bearer bob']));
    const tokensPerSocket = new Map<Socket, Set<string | undefined>>();
    for (const s of seen) tokensPerSocket.set(s.socket, (tokensPerSocket.get(s.socket) ?? new Set()).add(s.authorization));
    expect([...tokensPerSocket.values()].every((tokens) => tokens.size === 1)).toBe(true);
  });

  it('counts answers with another status than expected', async () => {
    const figures = await runLoad({ baseUrl, requests: [{ method: 'GET', path: '/teapot' }], connections: 2, durationS: 1 }, planPinning());
    expect(figures.unexpectedStatus).toBe(figures.requests);
    expect(figures.byStatus['418']).toBe(figures.requests);
    const accepted = await runLoad({ baseUrl, requests: [{ method: 'GET', path: '/teapot' }], connections: 2, durationS: 1, expectStatus: [418] }, planPinning());
    expect(accepted.unexpectedStatus).toBe(0);
  });

  it('sends nothing beyond loopback and the cluster bridge', () => {
    expect(() => checkLocal('http://example.com/')).toThrow(/refusing/);
    expect(() => checkLocal('http://192.168.1.10:80/')).toThrow(/refusing/);
    expect(() => checkLocal('http://10.244.0.17:3000')).not.toThrow();
    expect(() => checkLocal('http://127.0.0.1:8080')).not.toThrow();
  });
});
