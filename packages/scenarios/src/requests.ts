// Request builders for every public API call the scenarios make (architecture.md, "Public API").
// Each returns plain data — method, path, headers, body as the exact bytes to send — so any
// client can send it: the Node load driver (undici) here, k6's http.request in load-tests/.
// The body is serialised once, here: a retry sends the same bytes, which is what an
// Idempotency-Key promises the server ("same key + same body").
// Plain ES module: no Node built-ins (k6 imports it).

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** path and query, relative to the Ingress, e.g. /catalog/products?page=2 */
  path: string;
  headers: Record<string, string>;
  /** JSON text, already serialised */
  body?: string;
  /** a longer bound than the client's default, for requests that are slow by design */
  timeoutMs?: number;
}

/** What a client hands back for one attempt. Header names are lower case. */
export interface HttpResponse {
  /** HTTP status, or 0 when no answer came (socket error, timeout) */
  status: number;
  headers: Record<string, string>;
  /** the response body as text ('' when none) */
  body: string;
  /** for status 0: the error code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, ...) */
  error?: string;
  /** true when the request certainly never reached a server (connection refused) */
  notSent?: boolean;
}

export type Query = Record<string, string | number | undefined>;

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

function json(method: HttpMethod, path: string, body: unknown, headers: Record<string, string> = {}): HttpRequest {
  return { method, path, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

function get(path: string, headers: Record<string, string> = {}): HttpRequest {
  return { method: 'GET', path, headers: { accept: 'application/json', ...headers } };
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** `?a=1&b=x` from the defined entries, in the given order (URLSearchParams is not in k6). */
export function queryString(query: Query): string {
  const parts = Object.entries(query)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

// --- auth ---------------------------------------------------------------------------------

/**
 * Password hashing is slow on purpose (scrypt at OWASP's cost, a few hundred ms of CPU) and
 * queues behind a bounded number of hashes per replica: a burst of sign-ins waits its turn.
 */
export const PASSWORD_HASHING_TIMEOUT_MS = 15_000;

export const register = (email: string, password: string): HttpRequest => ({
  ...json('POST', '/auth/register', { email, password }),
  timeoutMs: PASSWORD_HASHING_TIMEOUT_MS,
});

export const login = (email: string, password: string, mode: 'token' | 'cookie' = 'token'): HttpRequest => ({
  ...json('POST', '/auth/login', mode === 'token' ? { email, password } : { email, password, mode }),
  timeoutMs: PASSWORD_HASHING_TIMEOUT_MS,
});

export const refresh = (refreshToken: string): HttpRequest => json('POST', '/auth/refresh', { refreshToken });

/** GET /auth/me with a bearer token, or with a session cookie value (cookie-mode login). */
export function me(credential: { accessToken: string } | { sessionCookie: string }): HttpRequest {
  return 'accessToken' in credential ? get('/auth/me', bearer(credential.accessToken)) : get('/auth/me', { cookie: credential.sessionCookie });
}

/** Sign out: revokes the token's login on every replica, or the cookie's session (204). */
export function logout(credential: { accessToken: string } | { sessionCookie: string }): HttpRequest {
  const headers = 'accessToken' in credential ? bearer(credential.accessToken) : { cookie: credential.sessionCookie };
  return { method: 'POST', path: '/auth/logout', headers: { accept: 'application/json', ...headers } };
}

/** The public keys every service verifies access tokens with. */
export const jwks = (): HttpRequest => get('/auth/.well-known/jwks.json');

/** A service's OpenAPI document (auth, catalog, cart). */
export const openApi = (service: string): HttpRequest => get(`/${service}/openapi.json`);

// --- catalog ------------------------------------------------------------------------------

export interface ProductQuery {
  q?: string;
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  sort?: string;
  page?: number;
  pageSize?: number;
}

/** The whole query in the URL: any replica can answer it, and a cache can key on it. */
export const listProducts = (query: ProductQuery = {}): HttpRequest =>
  get(
    `/catalog/products${queryString({
      q: query.q,
      category: query.category,
      minPrice: query.minPrice,
      maxPrice: query.maxPrice,
      sort: query.sort,
      page: query.page,
      pageSize: query.pageSize,
    })}`,
  );

export const getProduct = (id: string, ifNoneMatch?: string): HttpRequest =>
  get(`/catalog/products/${encodeURIComponent(id)}`, ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {});

export const listCategories = (): HttpRequest => get('/catalog/categories');

// --- cart ---------------------------------------------------------------------------------

export const getCart = (token: string): HttpRequest => get('/cart', bearer(token));

export const addItem = (token: string, item: { productId: string; quantity: number }, idempotencyKey: string): HttpRequest =>
  json('POST', '/cart/items', { productId: item.productId, quantity: item.quantity }, { ...bearer(token), 'idempotency-key': idempotencyKey });

/** Edits existing state: If-Match is required (428 without, 412 when stale). */
export function setItemQuantity(token: string, productId: string, quantity: number, ifMatch: string, idempotencyKey?: string): HttpRequest {
  return json('PATCH', `/cart/items/${encodeURIComponent(productId)}`, { quantity }, {
    ...bearer(token),
    'if-match': ifMatch,
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  });
}

export function removeItem(token: string, productId: string, ifMatch: string, idempotencyKey?: string): HttpRequest {
  return {
    method: 'DELETE',
    path: `/cart/items/${encodeURIComponent(productId)}`,
    headers: { accept: 'application/json', ...bearer(token), 'if-match': ifMatch, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
  };
}

export const checkout = (token: string, idempotencyKey: string): HttpRequest =>
  json('POST', '/cart/checkout', {}, { ...bearer(token), 'idempotency-key': idempotencyKey });

/** Newest first; the cart answers at most `limit` (default 20, at most 100). */
export const listOrders = (token: string, limit?: number): HttpRequest => get(`/cart/orders${queryString({ limit })}`, bearer(token));

export const getOrder = (token: string, id: string): HttpRequest => get(`/cart/orders/${encodeURIComponent(id)}`, bearer(token));

/** /cart/items/5b1f…?x=1 → /cart/items/:id: the route a path belongs to, without ids or query (one series per route, not per product). */
export function routeOf(path: string): string {
  const [bare = ''] = path.split('?');
  return bare.replace(/^\/(catalog\/products|cart\/items|cart\/orders)\/[^/]+/, '/$1/:id');
}

// --- responses ----------------------------------------------------------------------------

/** The JSON body, or undefined when it is not JSON (an nginx error page, an empty body). */
export function parseJson<T>(response: HttpResponse): T | undefined {
  if (response.body === '') return undefined;
  try {
    return JSON.parse(response.body) as T;
  } catch {
    return undefined;
  }
}

/** The `name=value` of a Set-Cookie header, for sending back as Cookie (a client's cookie jar, minimal). */
export function cookieFrom(response: HttpResponse, name: string): string | undefined {
  const header = response.headers['set-cookie'];
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*[^;=,\s]+=)/)) {
    const pair = part.trim().split(';')[0] ?? '';
    if (pair.startsWith(`${name}=`)) return pair;
  }
  return undefined;
}
