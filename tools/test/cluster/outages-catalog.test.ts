// Catalog unreachable from cart, under load, through a local cluster: cart's CATALOG_URL goes
// through a link the test controls (the rest of the cluster still reaches catalog through the
// Ingress), which first refuses connections (nothing there) and then delivers requests but loses
// every answer (the reservation takes effect, cart never learns it). Either way a checkout fails
// cleanly — 503 + Retry-After as problem+json, the documented answer, no order, the cart intact —
// and a later retry with the same Idempotency-Key orders once and takes the stock once, however
// many reservation calls landed before. The shoppers' checkouts meanwhile are retried by them and
// nothing they were told is lost (the proof's history check); no replica exits.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@anypod/platform/testing/processes';
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import { send } from '@anypod/scenarios/api-client';
import { login } from '@anypod/scenarios/requests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { eventually, newAccount, lossesIn, shopDuring, shoppingSummary } from '../../cluster/testing.ts';
import type { Cluster, ClusterEvent } from '../../cluster/types.ts';

/** how long each kind of unreachability lasts: well inside the shoppers' 30 s retry deadline */
const PHASE_MS = 5_000;
/** Stock of the test's product: below the shoppers' minimum (20), so only this test orders it. */
const STOCK = 10;
const QUANTITY = 2;

const runDir = mkdtempSync(join(tmpdir(), 'anypod-outages-catalog-'));
let link: TcpLink;
let cluster: Cluster;
let admin: string;
let productId: string | undefined;
const events: ClusterEvent[] = [];
/** set when the test passed: a failed run keeps its run directory (replica logs, nginx logs, events) */
let passed = false;

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}
async function call(method: string, path: string, token: string, extra: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...extra.headers };
  if (extra.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${cluster.ingressUrl}${path}`, { method, headers, body: extra.body === undefined ? undefined : JSON.stringify(extra.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
const checkout = (token: string, key: string) => call('POST', '/cart/checkout', token, { headers: { 'idempotency-key': key } });
const stock = async () => (await call('GET', `/catalog/products/${productId}`, admin)).json.stock as number;
const orders = async (token: string) => (await call('GET', '/cart/orders', token)).json.orders as Array<{ id: string; lines: Array<{ productId: string; quantity: number }> }>;
const cartLines = async (token: string) => (await call('GET', '/cart', token)).json.lines as Array<{ productId: string; quantity: number }>;

beforeAll(async () => {
  const ingressPort = await freePort();
  link = await tcpLink(ingressPort);
  cluster = await startCluster({
    replicas: 2,
    ingressPort,
    runDir,
    // Only cart reads CATALOG_URL: its calls to catalog go through the link, everyone else's straight to the Ingress.
    env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000', CATALOG_URL: `http://127.0.0.1:${link.port}` },
    onEvent: (event) => events.push(event),
  });
  // The seed's admin (services/auth/prisma/seed.ts, same defaults) creates the test's product.
  const email = process.env.ADMIN_EMAIL ?? 'admin@anypod.local';
  const signedIn = await send(cluster.ingressUrl, login(email, process.env.ADMIN_PASSWORD ?? 'anypod-admin-local'));
  if (signedIn.status !== 200) throw new Error(`the seed's admin ${email} cannot sign in (HTTP ${signedIn.status}): run make seed (tools/infra/seed.sh)`);
  admin = (JSON.parse(signedIn.body) as { accessToken: string }).accessToken;
  const categories = (await call('GET', '/catalog/categories', admin)).json.items as Array<{ id: string }>;
  const categoryId = categories[0]?.id;
  if (!categoryId) throw new Error('the catalog has no categories: run make seed (tools/infra/seed.sh)');
  const created = await call('POST', '/catalog/products', admin, {
    body: { id: `outage-${Date.now().toString(36)}-${process.pid}`, name: 'Outage test kettle', description: 'Made by outages-catalog.test.ts; ordered only by it.', categoryId, priceCents: 1234, stock: STOCK },
  });
  if (created.status !== 201) throw new Error(`creating the test product answered ${created.status}: ${JSON.stringify(created.json)}`);
  productId = created.json.id as string;
}, 240_000);
afterAll(async () => {
  if (productId && cluster) {
    const current = await fetch(`${cluster.ingressUrl}/catalog/products/${productId}`);
    const etag = current.headers.get('etag');
    if (etag) await call('DELETE', `/catalog/products/${productId}`, admin, { headers: { 'if-match': etag } });
  }
  await cluster?.stop();
  await link?.close();
  if (passed) rmSync(runDir, { recursive: true, force: true });
  else console.log(`the cluster's logs and events are kept in ${runDir}`);
});

/** The documented answer of a checkout that could not reach catalog (services/cart/src/routes/orders.ts). */
function expectCleanFailure(answer: Answer) {
  const seen = `${answer.status} ${JSON.stringify(Object.fromEntries(answer.headers))} ${JSON.stringify(answer.json)}`;
  expect(answer.status, seen).toBe(503);
  expect(answer.headers.get('content-type'), seen).toMatch(/^application\/problem\+json/);
  expect(Number(answer.headers.get('retry-after')), seen).toBeGreaterThanOrEqual(1);
  expect(answer.json, seen).toMatchObject({ status: 503, detail: expect.stringMatching(/catalog is unavailable.*Nothing was ordered/) });
}

describe('catalog unreachable from cart, under load', { tags: ['timing'] }, () => {
  it('checkout fails cleanly with 503 + Retry-After and no order; a later retry with the same key orders once and reserves once', async () => {
    const user = await newAccount(cluster.ingressUrl, 'outage-catalog');
    const added = await call('POST', '/cart/items', user.accessToken, { body: { productId, quantity: QUANTITY }, headers: { 'idempotency-key': randomUUID() } });
    expect(added.status).toBe(200);
    const key = randomUUID();

    const pids = cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort();
    const eventsBefore = events.length;
    const outage = { fromMs: 0, toMs: 0 };
    const seen: Record<string, unknown> = {};
    let refused: Answer | undefined;
    let lost: Answer | undefined;
    const result = await shopDuring(cluster, {
      vus: 4,
      durationMs: 24_000,
      runId: `catalog${Date.now().toString(36)}`,
      disrupt: async () => {
        await sleep(3_000);
        // 1. Nothing there: cart's connections to catalog are reset and refused.
        outage.fromMs = Date.now();
        link.set('refuse');
        refused = await checkout(user.accessToken, key);
        seen.refused = { orders: (await orders(user.accessToken)).length, cart: await cartLines(user.accessToken), stock: await stock() };
        await sleep(Math.max(0, outage.fromMs + PHASE_MS - Date.now()));
        // 2. Requests arrive and reserve, answers are lost: cart gives up after its catalog budget.
        const losingFrom = Date.now();
        link.set('lose-answers');
        lost = await checkout(user.accessToken, key);
        seen.lost = { orders: (await orders(user.accessToken)).length, cart: await cartLines(user.accessToken) };
        // The reservation did land (once, whatever the number of attempts): its stock is held.
        seen.heldStock = await eventually('the lost reservation holds its stock', async () => ((await stock()) === STOCK - QUANTITY ? STOCK - QUANTITY : undefined), 10_000).catch(async () => stock());
        await sleep(Math.max(0, losingFrom + PHASE_MS - Date.now()));
        link.set('pass');
        outage.toMs = Date.now();
        // 3. Later, the same key again: one order, the stock taken once; again: the same order, replayed.
        seen.retried = await checkout(user.accessToken, key);
        seen.replayed = await checkout(user.accessToken, key);
        // Read at once, while the lost attempt's reservation would still be held (catalog holds
        // stock for cart's work deadline, ~9 s): a retry that reserved anew would show here
        // before the sweep returned the first hold.
        seen.stockAfterRetry = await stock();
      },
    });
    console.log(`catalog unreachable from cart under load:\n  ${shoppingSummary(result, outage)}`);

    expectCleanFailure(refused as Answer);
    expectCleanFailure(lost as Answer);
    const line = [{ productId, quantity: QUANTITY }];
    // No order, the cart untouched, no stock taken while nothing reached catalog.
    expect(seen.refused).toEqual({ orders: 0, cart: line, stock: STOCK });
    expect(seen.lost).toEqual({ orders: 0, cart: line });
    expect(seen.heldStock).toBe(STOCK - QUANTITY);

    const retried = seen.retried as Answer;
    const replayed = seen.replayed as Answer;
    expect(retried.status, JSON.stringify(retried.json)).toBe(201);
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json.id).toBe(retried.json.id);
    const placed = await orders(user.accessToken);
    expect(placed.map((o) => ({ id: o.id, lines: o.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) }))).toEqual([{ id: retried.json.id, lines: line }]);
    expect(await cartLines(user.accessToken)).toEqual([]);
    // Reserved once: the stock went down by the order's quantity, not once per call that landed.
    expect(seen.stockAfterRetry).toBe(STOCK - QUANTITY);
    expect(await stock()).toBe(STOCK - QUANTITY);

    // The shoppers: their checkouts met the same 503s (and nothing else failed) …
    const failed = result.answers.filter((a) => a.status === 0 || a.status >= 500);
    expect(failed.filter((a) => !(a.status === 503 && a.route === '/cart/checkout' && a.contentType.startsWith('application/problem+json') && Number(a.retryAfter) >= 1))).toEqual([]);
    expect(failed.length).toBeGreaterThan(0);
    // … they retried with their keys, and nothing they were told is lost or doubled.
    expect(lossesIn(result)).toEqual([]);

    expect(events.slice(eventsBefore).filter((e) => e.type !== 'ingress-reloaded')).toEqual([]);
    expect(cluster.replicas().map((r) => `${r.name}:${r.pid}`).sort()).toEqual(pids);
    passed = true;
  });
});
