// The smoke journey: every public route answers, for a fresh user, once — register, both sign-in
// modes, refresh, the catalog with its ETag revalidation, every cart route with Idempotency-Key
// and If-Match, checkout, the orders, sign-out, each service's OpenAPI document. Each step says
// what it expected and what came; a step whose input an earlier step failed to give is reported
// as not run, never silently dropped. One attempt per request: a smoke test reports, it does
// not retry.
import * as api from '../requests.ts';
import { cookieFrom, parseJson, type HttpRequest, type HttpResponse } from '../requests.ts';
import { send, type Step } from './actions.ts';
import { seededRandom } from './random.ts';
import { SESSION_COOKIE } from './shopper.ts';

export interface SmokeStep {
  /** e.g. "PATCH /cart/items/:productId" */
  name: string;
  expected: number[];
  /** 0: no answer, or not run (see detail) */
  status: number;
  ok: boolean;
  servedBy?: string;
  detail?: string;
}

export interface SmokeOptions {
  /** makes the account unique, e.g. "<runId>-vu3-it0" */
  user: string;
  seed: number;
}

type Json = Record<string, unknown>;

export function* smokeJourney(options: SmokeOptions): Step<SmokeStep[]> {
  const random = seededRandom(options.seed);
  // auth stores addresses in lower case and answers /auth/me with that form.
  const email = `smoke-${options.user}@proof.anypod.test`.toLowerCase();
  const password = `pw-${random.uuid()}`;
  const steps: SmokeStep[] = [];

  /** Sends one request and records the step; returns the parsed body when the answer was as expected. */
  function* step(name: string, request: HttpRequest, expected: number[], valid: (body: Json, response: HttpResponse) => boolean = () => true): Step<{ body: Json; response: HttpResponse } | undefined> {
    const { response } = yield* send(request);
    const body = parseJson<Json>(response) ?? {};
    const statusOk = expected.includes(response.status);
    const ok = statusOk && valid(body, response);
    const entry: SmokeStep = { name, expected, status: response.status, ok };
    if (response.headers['x-served-by'] !== undefined) entry.servedBy = response.headers['x-served-by'];
    if (!ok) entry.detail = response.status === 0 ? (response.error ?? 'no answer') : statusOk ? 'unexpected body' : `HTTP ${response.status}`;
    steps.push(entry);
    return ok ? { body, response } : undefined;
  }
  const notRun = (name: string, expected: number[], needs: string): void => {
    steps.push({ name, expected, status: 0, ok: false, detail: `not run: needs ${needs}` });
  };
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

  yield* step('GET /auth/.well-known/jwks.json', api.jwks(), [200], (b) => Array.isArray(b.keys) && b.keys.length > 0);
  for (const service of ['auth', 'catalog', 'cart']) yield* step(`GET /${service}/openapi.json`, api.openApi(service), [200], (b) => typeof b.openapi === 'string');
  yield* step('POST /auth/register', api.register(email, password), [201]);
  const tokens = yield* step('POST /auth/login', api.login(email, password), [200], (b) => str(b.accessToken) !== undefined && str(b.refreshToken) !== undefined);
  let accessToken = str(tokens?.body.accessToken);
  const cookieLogin = yield* step('POST /auth/login (cookie)', api.login(email, password, 'cookie'), [200], (_b, r) => cookieFrom(r, SESSION_COOKIE) !== undefined);
  const cookie = cookieLogin ? cookieFrom(cookieLogin.response, SESSION_COOKIE) : undefined;
  if (cookie) yield* step('GET /auth/me (cookie)', api.me({ sessionCookie: cookie }), [200], (b) => b.email === email);
  else notRun('GET /auth/me (cookie)', [200], 'a session cookie');
  const refreshToken = str(tokens?.body.refreshToken);
  if (refreshToken) {
    const refreshed = yield* step('POST /auth/refresh', api.refresh(refreshToken), [200], (b) => str(b.accessToken) !== undefined);
    accessToken = str(refreshed?.body.accessToken) ?? accessToken;
  } else notRun('POST /auth/refresh', [200], 'a refresh token');
  if (accessToken) yield* step('GET /auth/me', api.me({ accessToken }), [200], (b) => b.email === email);
  else notRun('GET /auth/me', [200], 'an access token');

  const listing = yield* step('GET /catalog/products', api.listProducts({ pageSize: 20, sort: 'name' }), [200], (b) => Array.isArray(b.items) && b.items.length > 0);
  yield* step('GET /catalog/categories', api.listCategories(), [200], (b) => Array.isArray(b.items));
  // Products with stock to spare: a checkout refused for stock would say nothing about the routes.
  const products = ((listing?.body.items ?? []) as Array<{ id?: unknown; stock?: unknown }>)
    .filter((p) => typeof p.id === 'string' && (typeof p.stock !== 'number' || p.stock >= 20))
    .map((p) => p.id as string);
  const [first, second] = random.sample(products, 2);
  if (first) {
    const product = yield* step('GET /catalog/products/:id', api.getProduct(first), [200], (b) => b.id === first);
    const etag = product?.response.headers.etag;
    if (etag) yield* step('GET /catalog/products/:id (If-None-Match)', api.getProduct(first, etag), [304]);
    else notRun('GET /catalog/products/:id (If-None-Match)', [304], 'an ETag');
  } else notRun('GET /catalog/products/:id', [200], 'a product from the listing');

  yield* step('GET /cart (no token)', { method: 'GET', path: '/cart', headers: { accept: 'application/json' } }, [401], (b) => typeof b.title === 'string');
  if (!accessToken || !first || !second) {
    for (const name of ['GET /cart', 'POST /cart/items', 'PATCH /cart/items/:productId', 'DELETE /cart/items/:productId', 'POST /cart/checkout', 'GET /cart/orders', 'GET /cart/orders/:id']) notRun(name, [200], 'an access token and two products');
  } else {
    const token = accessToken;
    yield* step('GET /cart', api.getCart(token), [200], (b) => Array.isArray(b.lines));
    yield* step('POST /cart/items', api.addItem(token, { productId: first, quantity: 1 }, random.uuid()), [200], (b) => Array.isArray(b.lines));
    const added = yield* step('POST /cart/items (second product)', api.addItem(token, { productId: second, quantity: 2 }, random.uuid()), [200]);
    const etag = added?.response.headers.etag;
    const patched = etag ? yield* step('PATCH /cart/items/:productId', api.setItemQuantity(token, first, 3, etag, random.uuid()), [200]) : undefined;
    if (!etag) notRun('PATCH /cart/items/:productId', [200], 'an ETag');
    const etag2 = patched?.response.headers.etag;
    if (etag2) yield* step('DELETE /cart/items/:productId', api.removeItem(token, second, etag2, random.uuid()), [200]);
    else notRun('DELETE /cart/items/:productId', [200], 'an ETag');
    const order = yield* step('POST /cart/checkout', api.checkout(token, random.uuid()), [201], (b) => str(b.id) !== undefined);
    const orderId = str(order?.body.id);
    yield* step('GET /cart/orders', api.listOrders(token), [200], (b) => Array.isArray(b.orders) && (!orderId || (b.orders as Json[]).some((o) => o.id === orderId)));
    if (orderId) yield* step('GET /cart/orders/:id', api.getOrder(token, orderId), [200], (b) => b.id === orderId);
    else notRun('GET /cart/orders/:id', [200], 'an order');
    yield* step('POST /auth/logout', api.logout({ accessToken: token }), [204]);
  }
  if (cookie) yield* step('POST /auth/logout (cookie)', api.logout({ sessionCookie: cookie }), [204]);
  return steps;
}
