// The routes `make bench` loads, the same list on every path (one replica directly, the local
// Ingress, the real cluster's controller, one pod): what each sends and what it needs prepared.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectStatus, send } from '@anypod/scenarios/api-client';
import { listProducts, login, register } from '@anypod/scenarios/requests';
import type { BenchContext } from './context.ts';
import type { LoadSpec, RequestSpec } from './load.ts';
import { failuresNote, type LoadFigures } from './results.ts';

export interface RouteScenario {
  /** 'catalog cached GET', ... */
  subject: string;
  load: Omit<LoadSpec, 'baseUrl' | 'durationS' | 'warmupS' | 'connections'>;
  /** how one "request" of this scenario is counted, when it is not one HTTP request */
  note?: string;
}

/** A listing with a query, as the shop's search page sends it: one cache entry per distinct query. */
const LISTING_QUERY = '/catalog/products?minPrice=1000&maxPrice=20000&sort=price&pageSize=20';
/** Products a cart's adds cycle through (a line holds at most 1,000 units, a cart 100 lines). */
const PRODUCTS_PER_CART = 50;
const PASSWORD = 'bench password, long enough';
/** A run checks out a few thousand units over hundreds of products: far below this each. */
const CHECKOUT_MIN_STOCK = 100;

/**
 * Prepares, through `ingressUrl`, what the routes need — an account per connection (so
 * connections act as different shoppers) and product ids — and returns the scenarios.
 */
export async function prepareRouteScenarios(ctx: BenchContext, ingressUrl: string): Promise<RouteScenario[]> {
  // Checkouts buy one unit each: only products with plenty left, so no shopper's cart holds one
  // that sells out mid-run (its every later checkout would be a 409, rightly).
  const products = await productsInStock(ingressUrl, { minStock: CHECKOUT_MIN_STOCK, pages: 11 });
  if (products.length < PRODUCTS_PER_CART) throw new Error(`the catalog has ${products.length} products with ${CHECKOUT_MIN_STOCK} or more units, the bench needs ${PRODUCTS_PER_CART}: load the seed data again (make seed restores stock)`);
  const tokens: string[] = [];
  for (let i = 0; i < ctx.connections; i++) tokens.push(await newShopper(ingressUrl));
  // Checkout's shoppers start with empty carts: the adders' carts hold hundreds of units over 50
  // products, and checking those out would buy whole products out (then every later checkout of
  // that cart is a rightful 409).
  const checkoutTokens: string[] = [];
  for (let i = 0; i < ctx.connections; i++) checkoutTokens.push(await newShopper(ingressUrl));
  ctx.log(`routes: ${tokens.length + checkoutTokens.length} shoppers registered, ${products.length} products to add`);
  const json = { 'content-type': 'application/json', accept: 'application/json' };
  const add: RequestSpec = { method: 'POST', path: '/cart/items', headers: json, body: JSON.stringify({ productId: products[0], quantity: 1 }), idempotencyKey: true, rotate: { field: 'productId', values: products.slice(0, PRODUCTS_PER_CART) } };
  return [
    cachedProductGet(products[0]!),
    { subject: 'catalog listing (query)', load: { requests: [{ method: 'GET', path: LISTING_QUERY, headers: { accept: 'application/json' } }] } },
    { subject: 'auth GET /me (token only)', load: { requests: [{ method: 'GET', path: '/auth/me', headers: { accept: 'application/json' } }], tokens } },
    { subject: 'cart add (Idempotency-Key)', load: { requests: [add], tokens } },
    {
      subject: 'checkout (after an add)',
      // A checkout needs something in the cart: each connection adds one unit of the next product, then checks out.
      load: { requests: [{ ...add, rotate: { field: 'productId', values: products } }, { method: 'POST', path: '/cart/checkout', headers: json, body: '{}', idempotencyKey: true }], tokens: checkoutTokens },
      note: 'add + checkout pairs; req/s counts both',
    },
  ];
}

/** A route row's note: how the scenario counts, and the statuses of whatever failed. */
export function routeNote(scenario: RouteScenario, load: LoadFigures): string | undefined {
  const expected = scenario.load.expectStatus;
  const failures = failuresNote(load, expected ? (status) => expected.includes(status) : undefined);
  return [scenario.note, failures].filter(Boolean).join('; ') || undefined;
}

/** The catalog's cached read of one product: the route the limit and the telemetry cost are about. */
export function cachedProductGet(productId: string): RouteScenario {
  return { subject: 'catalog cached GET', load: { requests: [{ method: 'GET', path: `/catalog/products/${productId}`, headers: { accept: 'application/json' } }] } };
}

/**
 * Ids of products, by name, with at least `minStock` units (the seed data has 1,100 with 50–500
 * each, restored by every `make seed`), from the first `pages` pages of 100.
 */
export async function productsInStock(baseUrl: string, { minStock = 1, pages = 1 } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; page <= pages; page++) {
    const { json } = await expectStatus<{ items: Array<{ id: string; stock: number }> }>(baseUrl, listProducts({ sort: 'name', pageSize: 100, page }), 200);
    const { items } = json;
    ids.push(...items.filter((p) => p.stock >= minStock).map((p) => p.id));
    if (items.length < 100) break;
  }
  return ids;
}

/** Registers a fresh shopper and logs in (waiting out a login rate limit): its access token. */
async function newShopper(baseUrl: string): Promise<string> {
  const email = `bench-${randomUUID()}@example.test`;
  await expectStatus(baseUrl, register(email, PASSWORD), 201);
  for (let attempt = 0; ; attempt++) {
    const answer = await send(baseUrl, login(email, PASSWORD));
    if (answer.status === 200) return (JSON.parse(answer.body) as { accessToken: string }).accessToken;
    if (answer.status !== 429 || attempt >= 5) throw new Error(`login answered ${answer.status}: ${answer.body}`);
    await sleep(Math.min(60, Number(answer.headers['retry-after'] ?? 5)) * 1000);
  }
}
