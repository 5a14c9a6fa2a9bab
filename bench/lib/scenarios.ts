// The routes `make bench` loads, the same list on every path (one replica directly, the local
// Ingress, the real cluster's controller, one pod): what each sends and what it needs prepared.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './context.ts';
import type { LoadSpec, RequestSpec } from './load.ts';

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

/**
 * Prepares, through `ingressUrl`, what the routes need — an account per connection (so
 * connections act as different shoppers) and product ids — and returns the scenarios.
 */
export async function prepareRouteScenarios(ctx: BenchContext, ingressUrl: string): Promise<RouteScenario[]> {
  const products = await productsInStock(ingressUrl);
  if (products.length < PRODUCTS_PER_CART) throw new Error(`the catalog has ${products.length} products in stock, the bench needs ${PRODUCTS_PER_CART}: load the seed data (make seed)`);
  const tokens: string[] = [];
  for (let i = 0; i < ctx.connections; i++) tokens.push(await newShopper(ingressUrl));
  ctx.log(`routes: ${tokens.length} shoppers registered, ${products.length} products to add`);
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
      load: { requests: [{ ...add, rotate: { field: 'productId', values: products } }, { method: 'POST', path: '/cart/checkout', headers: json, body: '{}', idempotencyKey: true }], tokens },
      note: 'add + checkout pairs; req/s counts both',
    },
  ];
}

/** The catalog's cached read of one product: the route the limit and the telemetry cost are about. */
export function cachedProductGet(productId: string): RouteScenario {
  return { subject: 'catalog cached GET', load: { requests: [{ method: 'GET', path: `/catalog/products/${productId}`, headers: { accept: 'application/json' } }] } };
}

/** Ids of the first 100 products by name that have stock (the seed data has 1,100). */
export async function productsInStock(baseUrl: string): Promise<string[]> {
  const page = await getJson<{ items: Array<{ id: string; stock: number }> }>(`${baseUrl}/catalog/products?sort=name&pageSize=100`);
  return page.items.filter((p) => p.stock > 0).map((p) => p.id);
}

/** Registers a fresh shopper and logs in (waiting out a login rate limit): its access token. */
async function newShopper(baseUrl: string): Promise<string> {
  const email = `bench-${randomUUID()}@example.test`;
  const registered = await post(`${baseUrl}/auth/register`, { email, password: PASSWORD });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}: ${registered.text}`);
  for (let attempt = 0; ; attempt++) {
    const login = await post(`${baseUrl}/auth/login`, { email, password: PASSWORD });
    if (login.status === 200) return (JSON.parse(login.text) as { accessToken: string }).accessToken;
    if (login.status !== 429 || attempt >= 5) throw new Error(`login answered ${login.status}: ${login.text}`);
    await sleep(Math.min(60, Number(login.retryAfter ?? 5)) * 1000);
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; text: string; retryAfter: string | null }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}
