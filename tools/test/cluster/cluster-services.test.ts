// All three services in one local cluster, wired the way the runner wires them: catalog and
// cart verify tokens with the JWKS they fetch through the Ingress, and cart reaches catalog
// through the Ingress too (like ClusterIP Services). One shopper's path crosses all of them.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { newAccount } from '../../cluster/testing.ts';
import type { Cluster } from '../../cluster/types.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-cluster-services-'));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ replicas: 2, ingressPort: 0, runDir, env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' } });
}, 240_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (method === 'POST') headers['idempotency-key'] = randomUUID();
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${cluster.ingressUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, servedBy: res.headers.get('x-served-by') ?? '', json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('auth + catalog + cart behind one Ingress', { tags: ['timing'] }, () => {
  it('a shopper logs in, browses, adds to the cart and checks out: every hop through nginx', async () => {
    expect(cluster.replicas().map((r) => r.service).sort()).toEqual(['auth', 'auth', 'cart', 'cart', 'catalog', 'catalog']);
    const { accessToken } = await newAccount(cluster.ingressUrl, 'services');

    const products = await call('GET', '/catalog/products?pageSize=20', accessToken);
    expect(products.status).toBe(200);
    expect(products.servedBy).toMatch(/^catalog-/);
    const items = products.json.items as { id: string; stock: number }[];
    const product = items.find((p) => p.stock > 0);
    if (!product) throw new Error('the catalog has no product in stock: seed it first (make seed)');

    const added = await call('POST', '/cart/items', accessToken, { productId: product.id, quantity: 1 });
    expect(added.status).toBe(200);
    expect(added.servedBy).toMatch(/^cart-/);

    // Checkout: cart asks catalog (through the Ingress, with the shopper's token, which catalog
    // verifies against the JWKS it fetched through the Ingress) to reserve stock and fix prices.
    const order = await call('POST', '/cart/checkout', accessToken);
    expect(order.status).toBe(201);
    expect((await call('GET', '/cart/orders', accessToken)).status).toBe(200);

    const log = readFileSync(cluster.ingress.accessLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { method: string; uri: string; served_by: string });
    // The cart-to-catalog call went through the Ingress (it is in its access log, served by catalog).
    expect(log.some((l) => l.method === 'POST' && l.uri.startsWith('/catalog/') && l.served_by.startsWith('catalog-'))).toBe(true);
    expect(log.some((l) => l.uri === '/auth/.well-known/jwks.json' && l.served_by.startsWith('auth-'))).toBe(true);
  });
});
