// The virtual user of the proof: one VU = one account = one session, doing what a shopper does
// (architecture.md, "The proof" step 3): register, log in, browse with the whole query in the
// URL, add distinct products with fresh Idempotency-Keys, read the cart from whichever replica
// answers, sometimes edit a line with If-Match, sometimes check out — round after round until
// the run ends. Its operations are strictly sequential, which the checker relies on.
//
// Besides the history, a shopper notices what a user would: a cart read that lacks a line it
// was told had been added (read-your-writes across replicas), or a session cookie that stopped
// working. Those are reported as observations.
import type { Operation } from '../history.ts';
import * as api from '../requests.ts';
import { cookieFrom, parseJson, type HttpResponse } from '../requests.ts';
import { sleep, type Sent, type Step } from './actions.ts';
import { perform, type OperationContext, type OperationResult, type OperationSpec } from './operation.ts';
import type { RetryPolicy } from './outcomes.ts';
import { seededRandom, vuSeed, type Random } from './random.ts';

export const SESSION_COOKIE = 'anypod_session';

export interface ShopperBehaviour {
  /** distinct products added per round, [min, max] */
  addsPerRound: [number, number];
  /** quantity per add and per edit, 1..maxQuantity */
  maxQuantity: number;
  /** chance per round of editing a line after reading the cart */
  editChance: number;
  /** share of edits that DELETE the line instead of PATCHing its quantity */
  removeShare: number;
  /** chance per round of checking out (when the cart is not empty) */
  checkoutChance: number;
  /** listing requests per round, [min, max] */
  browsesPerRound: [number, number];
  /** pause between operations, [min, max] ms */
  thinkMs: [number, number];
  /** also sign in with a session cookie and check it every round (GET /auth/me) */
  cookieSession: boolean;
  /** listing sorts to choose from (the catalog's values) */
  sorts: string[];
  pageSizes: number[];
  /** refresh the access token this long before it expires */
  refreshAheadMs: number;
  /** no checkout after this many orders: the read-back lists at most 100 */
  maxOrders: number;
  /** only products with at least this much stock go into the cart */
  minStock: number;
}

export const DEFAULT_BEHAVIOUR: ShopperBehaviour = {
  addsPerRound: [1, 3],
  maxQuantity: 3,
  editChance: 0.35,
  removeShare: 0.3,
  checkoutChance: 0.2,
  browsesPerRound: [1, 2],
  thinkMs: [20, 80],
  cookieSession: true,
  sorts: ['price', '-price', 'name', '-name', 'newest'],
  pageSizes: [10, 20, 50],
  refreshAheadMs: 30_000,
  maxOrders: 80,
  minStock: 20,
};

/** Something a user would notice, beyond an operation's own outcome. */
export type Observation =
  | {
      type: 'missing-lines';
      user: string;
      atMs: number;
      servedBy?: string;
      /** products acknowledged as added (and not since removed or checked out) that the read lacked */
      missing: string[];
    }
  | { type: 'session-lost'; user: string; atMs: number; servedBy?: string; via: 'cookie' | 'bearer' };

export interface ShopperOptions {
  vu: number;
  /** makes accounts unique per run (the server scopes Idempotency-Keys by user) */
  runId: string;
  /** run seed; each VU derives its own */
  seed: number;
  /** ms since the run started */
  clock: () => number;
  /**
   * No operation starts at or after this (ms since run start). A function when the end is
   * only known later (a driver that starts the clock of the measured phase after sign-in).
   */
  stopAtMs: number | (() => number);
  record: (op: Operation) => void;
  observe?: (observation: Observation) => void;
  retry?: RetryPolicy;
  behaviour?: Partial<ShopperBehaviour>;
}

/** What the driver needs after the run: who the user is and how to act as them. */
export interface ShopperSession {
  vu: number;
  user: string;
  email: string;
  password: string;
  accessToken?: string;
  refreshToken?: string;
  accessExpiresAtMs?: number;
  /** `anypod_session=...`, when signed in with a cookie */
  sessionCookie?: string;
}

interface CartLine {
  productId: string;
  quantity: number;
}

interface CartView {
  lines: CartLine[];
  /** the ETag of the representation the lines came from; undefined when unknown */
  etag?: string;
}

interface Product {
  id: string;
  name?: string;
  priceCents?: number;
  stock?: number;
  categoryId?: string;
}

const MAX_KNOWN_PRODUCTS = 500;
/** login operations (each with its own retries) before a VU gives up signing in */
const MAX_SIGN_IN_TRIES = 5;

export interface Shopper {
  readonly session: ShopperSession;
  /** the whole journey: signIn(), a 'ready' action, then round() until the run ends; drive it with a client (see actions.ts) */
  run(): Step;
  /**
   * Register and sign in (token, then cookie): the journey's first part, for clients that run it
   * in pieces (a k6 VU's first iteration). False when the user could not sign in.
   */
  signIn(): Step<boolean>;
  /** One round of shopping (returns early when the run ends): what a k6 iteration runs. */
  round(): Step;
}

export function createShopper(options: ShopperOptions): Shopper {
  const b: ShopperBehaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const random: Random = seededRandom(vuSeed(options.seed, options.vu));
  // Waits before a retry come from a stream of their own: how often the server asked for a retry
  // (a 429, a 503 while a pod goes) then changes no later choice, so a run replays its choices —
  // queries, products, keys — whatever transient answers it met.
  const jitter: Random = seededRandom(vuSeed(options.seed ^ 0x5bd1e995, options.vu));
  const user = `vu${options.vu}-${options.runId}`;
  const session: ShopperSession = { vu: options.vu, user, email: `${user}@proof.anypod.test`, password: `pw-${random.uuid()}` };
  let opCount = 0;
  const ctx: OperationContext = {
    vu: options.vu,
    user,
    clock: options.clock,
    random: jitter.next,
    nextId: () => `${user}-${++opCount}`,
    record: options.record,
    ...(options.retry ? { retry: options.retry } : {}),
  };
  const observe = options.observe ?? (() => undefined);

  // What the shopper knows: products seen while browsing, categories, its cart.
  const products = new Map<string, Product>();
  const categories = new Set<string>();
  let listingTotal = 0;
  let checkouts = 0;
  let cart: CartView = { lines: [] };
  /** products certainly in the cart: acknowledged adds not since (possibly) removed or checked out */
  const certain = new Set<string>();

  const stopAt = typeof options.stopAtMs === 'function' ? options.stopAtMs : () => options.stopAtMs as number;
  const timeUp = (): boolean => options.clock() >= stopAt();
  const op = (spec: OperationSpec): Step<OperationResult> => perform(ctx, spec);
  const think = (): Step => sleep(random.int(b.thinkMs[0], b.thinkMs[1]));
  const token = (): string => session.accessToken ?? '';

  function* registerUser(): Step<boolean> {
    const { op: done } = yield* op({
      kind: 'register',
      request: api.register(session.email, session.password),
      // 409 = the email exists. After an attempt that may have created it, that is our account.
      classify: (response, previous) =>
        response.status === 409 && previous.some((v) => v.outcome === 'info') ? { outcome: 'ok', retryable: false } : undefined,
    });
    return done.outcome === 'ok';
  }

  function* tokenLogin(): Step<boolean> {
    const { op: done, last } = yield* op({ kind: 'login', request: api.login(session.email, session.password) });
    if (done.outcome !== 'ok' || !last) return false;
    return takeTokens(last);
  }

  function takeTokens(sent: Sent): boolean {
    const body = parseJson<{ accessToken?: string; refreshToken?: string; expiresIn?: number }>(sent.response);
    if (!body?.accessToken) return false;
    session.accessToken = body.accessToken;
    if (body.refreshToken) session.refreshToken = body.refreshToken;
    session.accessExpiresAtMs = sent.startMs + (body.expiresIn ?? 300) * 1000;
    return true;
  }

  /** Refresh before expiry; a refresh that fails falls back to a password login. */
  function* keepTokenFresh(): Step<boolean> {
    if (session.accessToken && session.accessExpiresAtMs !== undefined && options.clock() < session.accessExpiresAtMs - b.refreshAheadMs) return true;
    if (session.accessToken && session.refreshToken) {
      const { op: done, last } = yield* op({ kind: 'login', request: api.refresh(session.refreshToken) });
      if (done.outcome === 'ok' && last && takeTokens(last)) return true;
    }
    return yield* tokenLogin();
  }

  function* cookieLogin(): Step {
    const { op: done, last } = yield* op({ kind: 'login', request: api.login(session.email, session.password, 'cookie') });
    const cookie = done.outcome === 'ok' && last ? cookieFrom(last.response, SESSION_COOKIE) : undefined;
    if (cookie) session.sessionCookie = cookie;
    else delete session.sessionCookie;
  }

  function* checkSession(): Step {
    if (!session.sessionCookie) return yield* cookieLogin();
    const { op: done, last } = yield* op({ kind: 'read', request: api.me({ sessionCookie: session.sessionCookie }) });
    if (done.outcome === 'fail' && last?.response.status === 401) {
      observe({ type: 'session-lost', user, atMs: last.startMs, servedBy: last.response.headers['x-served-by'], via: 'cookie' });
      // A user who was signed out signs in again.
      delete session.sessionCookie;
    }
  }

  function* browse(): Step {
    const query: api.ProductQuery = { sort: random.pick(b.sorts), pageSize: random.pick(b.pageSizes) };
    if (categories.size > 0 && random.chance(0.5)) query.category = random.pick([...categories]);
    const known = [...products.values()];
    if (known.length > 0 && random.chance(0.2)) {
      const word = random.pick(known).name?.split(/\s+/).find((w) => w.length >= 4);
      if (word) query.q = word.toLowerCase();
    }
    const priced = known.filter((p) => typeof p.priceCents === 'number');
    if (priced.length > 0 && random.chance(0.4)) {
      const around = random.pick(priced).priceCents as number;
      query.minPrice = Math.floor(around / 2);
      query.maxPrice = around * 2;
    }
    const pages = listingTotal > 0 ? Math.max(1, Math.ceil(Math.min(listingTotal, 2000) / (query.pageSize ?? 20))) : 1;
    query.page = random.int(1, Math.min(pages, 20));
    const { op: done, last } = yield* op({ kind: 'browse', request: api.listProducts(query) });
    if (done.outcome !== 'ok' || !last) return;
    const body = parseJson<{ items?: Product[]; total?: number }>(last.response);
    if (!query.category && !query.q && query.minPrice === undefined && typeof body?.total === 'number') listingTotal = body.total;
    for (const item of body?.items ?? []) {
      if (typeof item?.id !== 'string') continue;
      if (typeof item.categoryId === 'string') categories.add(item.categoryId);
      // Scarce products are left alone: a checkout refused for stock says nothing about replicas.
      if (item.stock !== undefined && item.stock < b.minStock) products.delete(item.id);
      else if (products.size < MAX_KNOWN_PRODUCTS || products.has(item.id)) products.set(item.id, item);
    }
  }

  function takeCart(response: HttpResponse): CartView | undefined {
    const body = parseJson<{ lines?: CartLine[] }>(response);
    if (!Array.isArray(body?.lines)) return undefined;
    const view: CartView = { lines: body.lines.filter((l) => typeof l?.productId === 'string' && typeof l.quantity === 'number') };
    const etag = response.headers.etag;
    if (etag !== undefined) view.etag = etag;
    return view;
  }

  function* readCart(): Step<boolean> {
    const { op: done, last } = yield* op({ kind: 'read', request: api.getCart(token()) });
    if (done.outcome !== 'ok' || !last) {
      if (last?.response.status === 401) yield* lostBearer(last);
      return false;
    }
    const view = takeCart(last.response);
    if (!view) return false;
    cart = view;
    const present = new Set(view.lines.filter((l) => l.quantity > 0).map((l) => l.productId));
    const missing = [...certain].filter((p) => !present.has(p)).sort();
    if (missing.length > 0) observe({ type: 'missing-lines', user, atMs: last.startMs, servedBy: last.response.headers['x-served-by'], missing });
    return true;
  }

  function* lostBearer(sent: Sent): Step {
    observe({ type: 'session-lost', user, atMs: sent.startMs, servedBy: sent.response.headers['x-served-by'], via: 'bearer' });
    delete session.accessToken;
    yield* tokenLogin();
  }

  function* addProducts(): Step {
    const inCart = new Set(cart.lines.map((l) => l.productId));
    const candidates = [...products.keys()].filter((id) => !inCart.has(id) && !certain.has(id));
    for (const productId of random.sample(candidates, random.int(b.addsPerRound[0], b.addsPerRound[1]))) {
      if (timeUp()) return;
      const quantity = random.int(1, b.maxQuantity);
      const key = random.uuid();
      const { op: done, last } = yield* op({ kind: 'add', request: api.addItem(token(), { productId, quantity }, key), idempotencyKey: key, productId, quantity });
      // Any write changes the cart's version: the ETag we hold is stale from here on.
      delete cart.etag;
      if (done.outcome === 'ok') certain.add(productId);
      if (last?.response.status === 401) yield* lostBearer(last);
      yield* think();
    }
  }

  function* edit(): Step {
    const lines = cart.lines.filter((l) => l.quantity > 0);
    if (lines.length === 0 || cart.etag === undefined) return;
    const line = random.pick(lines);
    const key = random.uuid();
    const remove = random.chance(b.removeShare);
    let quantity = random.int(1, b.maxQuantity + 1);
    if (quantity === line.quantity) quantity = quantity === 1 ? 2 : quantity - 1;
    const spec: OperationSpec = remove
      ? { kind: 'remove', request: api.removeItem(token(), line.productId, cart.etag, key), idempotencyKey: key, productId: line.productId }
      : { kind: 'set', request: api.setItemQuantity(token(), line.productId, quantity, cart.etag, key), idempotencyKey: key, productId: line.productId, quantity };
    const { op: done, last } = yield* op(spec);
    delete cart.etag;
    if (done.outcome === 'ok') {
      if (remove) certain.delete(line.productId);
      else certain.add(line.productId);
      const view = last ? takeCart(last.response) : undefined;
      if (view) cart = view;
    } else if (done.outcome === 'info') {
      // It may have landed: the line may be gone, and the ETag certainly moved if it did.
      if (remove) certain.delete(line.productId);
    } else if (last?.response.status === 412) {
      // Definite refusal: someone else's write moved the version. Re-read, as a client would.
      yield* think();
      if (!timeUp()) yield* readCart();
    }
  }

  function* checkOut(): Step {
    if (!cart.lines.some((l) => l.quantity > 0) || checkouts >= b.maxOrders) return;
    checkouts++;
    const key = random.uuid();
    const { op: done } = yield* op({
      kind: 'checkout',
      request: api.checkout(token(), key),
      idempotencyKey: key,
      fromAnswer: (sent) => {
        const id = parseJson<{ id?: unknown }>(sent.response)?.id;
        return typeof id === 'string' ? { orderId: id } : {};
      },
    });
    if (done.outcome !== 'fail') {
      // ok: the lines moved into an order; info: they may have.
      certain.clear();
      cart = { lines: [] };
    }
  }

  /** One round of shopping; returns early when the run ends. */
  function* round(): Step {
    const steps: Array<() => Step<unknown>> = [];
    if (b.cookieSession) steps.push(checkSession);
    const browses = random.int(b.browsesPerRound[0], b.browsesPerRound[1]);
    for (let i = 0; i < browses; i++) steps.push(browse);
    steps.push(addProducts, readCart);
    if (random.chance(b.editChance)) steps.push(edit);
    if (random.chance(b.checkoutChance)) steps.push(checkOut);
    for (const step of steps) {
      if (timeUp()) return;
      if (!(yield* keepTokenFresh())) return yield* think();
      if (timeUp()) return;
      yield* step();
      yield* think();
    }
  }

  function* signIn(): Step<boolean> {
    // A register that failed for sure (the address exists) still lets the login decide.
    yield* registerUser();
    for (let tries = 1; !timeUp() && !session.accessToken; tries++) {
      if (yield* tokenLogin()) break;
      // A user who cannot sign in gives up: the others must not wait for them.
      if (tries >= MAX_SIGN_IN_TRIES) return false;
      yield* sleep(jitter.int(300, 700));
    }
    if (!session.accessToken) return false;
    if (b.cookieSession && !timeUp()) yield* cookieLogin();
    return true;
  }

  function* run(): Step {
    if (!(yield* signIn())) return;
    yield { type: 'ready' };
    while (!timeUp()) yield* round();
  }

  return { session, run, signIn, round };
}

