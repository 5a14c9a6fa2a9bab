// An in-process model of the public API (auth, catalog, cart) with the semantics the journeys
// rely on — Idempotency-Key replay, If-Match/ETag, 409 for an empty checkout — plus switches to
// break it on purpose: per-replica state (the stateful mode) and injected faults (a connection
// dropped before or after the effect, a 503). Tests drive journeys against it without a cluster.
// Not a *.test.ts file, so vitest does not run it; the tools tests serve it over real HTTP.
import type { HttpRequest, HttpResponse } from '../src/requests.ts';

export type Fault = 'drop-before' | 'drop-after' | '503' | undefined;

export interface FakeShopOptions {
  replicas?: string[];
  /** state per replica (STATE_STORE=memory) instead of shared */
  stateful?: boolean;
  /** decides a fault for the n-th request (1-based) */
  fault?: (request: HttpRequest, n: number) => Fault;
  products?: number;
}

interface Cart {
  version: number;
  lines: Map<string, number>;
}

interface Order {
  id: string;
  lines: Array<{ productId: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  createdAt: string;
}

interface Store {
  carts: Map<string, Cart>;
  orders: Map<string, Order[]>;
  keys: Map<string, { fingerprint: string; response: HttpResponse }>;
  sessions: Set<string>;
}

const CATEGORIES = ['kitchen', 'garden', 'books', 'toys'];

export class FakeShop {
  readonly replicas: string[];
  private readonly stores = new Map<string, Store>();
  private readonly users = new Map<string, string>();
  private readonly products: Array<{ id: string; name: string; categoryId: string; priceCents: number; stock: number }>;
  private turn = 0;
  private count = 0;
  /** false: no faults (for the read-back, after "the cluster has settled") */
  faultsOn = true;
  /** every effect applied, for assertions: "add u1 sku-00001 2" */
  readonly applied: string[] = [];

  constructor(private readonly options: FakeShopOptions = {}) {
    this.replicas = options.replicas ?? ['cart-a', 'cart-b', 'cart-c'];
    this.products = Array.from({ length: options.products ?? 200 }, (_, i) => ({
      id: `sku-${String(i + 1).padStart(5, '0')}`,
      name: `Product ${['Alpha', 'Bravo', 'Charlie', 'Delta'][i % 4]} ${i + 1}`,
      categoryId: CATEGORIES[i % CATEGORIES.length] as string,
      priceCents: 100 + ((i * 37) % 5000),
      stock: 1000,
    }));
  }

  private store(replica: string): Store {
    const key = this.options.stateful ? replica : 'shared';
    let s = this.stores.get(key);
    if (!s) {
      s = { carts: new Map(), orders: new Map(), keys: new Map(), sessions: new Set() };
      this.stores.set(key, s);
    }
    return s;
  }

  /** Round-robin over the replicas, like the Ingress. Returns the answer and whether the connection drops. */
  handle(request: HttpRequest): { response: HttpResponse; drop: boolean } {
    const n = ++this.count;
    const replica = this.replicas[this.turn++ % this.replicas.length] as string;
    const fault = this.faultsOn ? this.options.fault?.(request, n) : undefined;
    if (fault === 'drop-before') return { response: { status: 0, headers: {}, body: '', error: 'ECONNRESET' }, drop: true };
    if (fault === '503') return { response: this.json(503, { title: 'Service Unavailable' }, replica, { 'retry-after': '0' }), drop: false };
    const response = this.route(request, replica);
    if (fault === 'drop-after') return { response: { status: 0, headers: {}, body: '', error: 'ECONNRESET' }, drop: true };
    return { response, drop: false };
  }

  private json(status: number, body: unknown, replica: string, headers: Record<string, string> = {}): HttpResponse {
    return { status, headers: { 'content-type': 'application/json', 'x-served-by': replica, ...headers }, body: body === undefined ? '' : JSON.stringify(body) };
  }

  private problem(status: number, title: string, replica: string, headers: Record<string, string> = {}): HttpResponse {
    return this.json(status, { type: 'about:blank', title, status }, replica, headers);
  }

  private route(req: HttpRequest, replica: string): HttpResponse {
    const [path = '', query = ''] = req.path.split('?');
    const body = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
    const store = this.store(replica);
    if (req.method === 'POST' && path === '/auth/register') {
      const email = String(body.email);
      if (this.users.has(email)) return this.problem(409, 'exists', replica);
      this.users.set(email, String(body.password));
      return this.json(201, { id: email, email, role: 'user' }, replica);
    }
    if (req.method === 'POST' && path === '/auth/login') {
      const email = String(body.email);
      if (this.users.get(email) !== body.password) return this.problem(401, 'Wrong email or password.', replica);
      if (body.mode === 'cookie') {
        const sid = `s-${email}-${this.count}`;
        store.sessions.add(sid);
        return this.json(200, { user: { id: email, email, role: 'user' }, sessionExpiresAt: new Date(0).toISOString() }, replica, { 'set-cookie': `anypod_session=${sid}; Path=/; HttpOnly` });
      }
      return this.json(200, { tokenType: 'Bearer', accessToken: `tok.${email}`, expiresIn: 300, refreshToken: `ref.${email}.${this.count}` }, replica);
    }
    if (req.method === 'POST' && path === '/auth/refresh') {
      const email = String(body.refreshToken).split('.').slice(1, -1).join('.');
      return this.json(200, { tokenType: 'Bearer', accessToken: `tok.${email}`, expiresIn: 300, refreshToken: `ref.${email}.${this.count}` }, replica);
    }
    if (req.method === 'GET' && path === '/auth/me') {
      const sid = req.headers.cookie?.replace(/^anypod_session=/, '');
      if (!sid || !store.sessions.has(sid)) return this.problem(401, 'Sign in first', replica);
      return this.json(200, { id: 'x', email: 'x', role: 'user' }, replica);
    }
    if (req.method === 'GET' && path === '/catalog/products') {
      const params = parseQuery(query);
      let items = this.products.filter((p) => !params.get('category') || p.categoryId === params.get('category'));
      const q = params.get('q');
      if (q) items = items.filter((p) => p.name.toLowerCase().includes(q));
      const min = Number(params.get('minPrice') ?? 0);
      const max = Number(params.get('maxPrice') ?? Infinity);
      items = items.filter((p) => p.priceCents >= min && p.priceCents <= max);
      const page = Number(params.get('page') ?? 1);
      const pageSize = Number(params.get('pageSize') ?? 20);
      return this.json(200, { items: items.slice((page - 1) * pageSize, page * pageSize), page, pageSize, total: items.length }, replica);
    }

    const auth = req.headers.authorization;
    if (!path.startsWith('/cart')) return this.problem(404, 'Not Found', replica);
    if (!auth?.startsWith('Bearer tok.')) return this.problem(401, 'Unauthorized', replica);
    const user = auth.slice('Bearer tok.'.length);
    const cart = store.carts.get(user) ?? { version: 0, lines: new Map<string, number>() };
    const cartBody = () => ({ lines: [...cart.lines].map(([productId, quantity]) => ({ productId, quantity })), version: cart.version, updatedAt: null });
    const etag = () => `"v${cart.version}"`;

    if (req.method === 'GET' && path === '/cart') return this.json(200, cartBody(), replica, { etag: etag() });
    if (req.method === 'GET' && path === '/cart/orders') return this.json(200, { orders: [...(store.orders.get(user) ?? [])].reverse() }, replica);

    // Writes: Idempotency-Key replay first (same key + same request → the stored answer).
    const key = req.headers['idempotency-key'];
    const fingerprint = `${req.method} ${path} ${req.body ?? ''}`;
    const recordId = `${user} ${key}`;
    if (key) {
      const earlier = store.keys.get(recordId);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) return this.problem(422, 'key reused', replica);
        return { ...earlier.response, headers: { ...earlier.response.headers, 'x-served-by': replica, 'idempotent-replayed': 'true' } };
      }
    } else if (req.method === 'POST') {
      return this.problem(400, 'Idempotency-Key required', replica);
    }
    const remember = (response: HttpResponse): HttpResponse => {
      if (key) store.keys.set(recordId, { fingerprint, response });
      store.carts.set(user, cart);
      return response;
    };

    if (req.method === 'POST' && path === '/cart/items') {
      const productId = String(body.productId);
      const quantity = Number(body.quantity);
      cart.lines.set(productId, (cart.lines.get(productId) ?? 0) + quantity);
      cart.version++;
      this.applied.push(`add ${user} ${productId} ${quantity}`);
      return remember(this.json(200, cartBody(), replica, { etag: etag() }));
    }
    const item = /^\/cart\/items\/(.+)$/.exec(path);
    if (item && (req.method === 'PATCH' || req.method === 'DELETE')) {
      const productId = decodeURIComponent(item[1] as string);
      const ifMatch = req.headers['if-match'];
      if (!ifMatch) return this.problem(428, 'If-Match required', replica);
      if (ifMatch !== etag()) return this.problem(412, 'stale', replica, { etag: etag() });
      if (!cart.lines.has(productId)) return this.problem(404, 'no such line', replica);
      if (req.method === 'PATCH') cart.lines.set(productId, Number(body.quantity));
      else cart.lines.delete(productId);
      cart.version++;
      this.applied.push(`${req.method === 'PATCH' ? 'set' : 'remove'} ${user} ${productId}${req.method === 'PATCH' ? ` ${body.quantity}` : ''}`);
      return remember(this.json(200, cartBody(), replica, { etag: etag() }));
    }
    if (req.method === 'POST' && path === '/cart/checkout') {
      if (cart.lines.size === 0) return this.problem(409, 'The cart is empty.', replica);
      const lines = [...cart.lines].map(([productId, quantity]) => ({ productId, quantity, unitPriceCents: 100 }));
      const order: Order = { id: `order-${user}-${key}`, lines, totalCents: lines.reduce((a, l) => a + l.quantity * 100, 0), createdAt: new Date(0).toISOString() };
      store.orders.set(user, [...(store.orders.get(user) ?? []), order]);
      cart.lines.clear();
      cart.version++;
      this.applied.push(`checkout ${user} ${order.id}`);
      return remember(this.json(201, order, replica));
    }
    return this.problem(404, 'Not Found', replica);
  }
}

/** URLSearchParams is not in this package's lib (no DOM, no Node): a minimal parser. */
function parseQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const [k = '', v = ''] = pair.split('=');
    params.set(decodeURIComponent(k), decodeURIComponent(v));
  }
  return params;
}
