// The read-back at the end of a run (docs/reliability.md, "Lost writes"): one user's cart and
// every order, read through the Ingress with retries, as a journey so any client can drive it
// (the Node driver reads every user after the run; a k6 VU reads its own at its last iteration).
// A read-back that fails is reported with its reason, never treated as empty: the checker would
// then count the user's acknowledged writes as lost, which is the loud failure we want.
import type { FinalState } from '../history.ts';
import * as api from '../requests.ts';
import { parseJson, type HttpRequest, type HttpResponse } from '../requests.ts';
import { send, sleep, type Step } from './actions.ts';
import type { ShopperSession } from './shopper.ts';

export type ReadBack = { ok: true; final: FinalState } | { ok: false; user: string; reason: string };

export interface ReadBackOptions {
  /** attempts per request (default 6), with a backoff from 150 ms up to 2 s between them */
  attempts?: number;
}

type Line = { productId: string; quantity: number };
type OrderBody = { id?: unknown; lines?: unknown };

/** The cart's listing cap; the shopper places fewer orders than this. */
const MAX_ORDERS = 100;

class ReadError extends Error {}

export function* readBack(session: ShopperSession, options: ReadBackOptions = {}): Step<ReadBack> {
  const maxAttempts = options.attempts ?? 6;

  function* login(): Step {
    const { response } = yield* send(api.login(session.email, session.password));
    const body = response.status === 200 ? parseJson<{ accessToken?: string }>(response) : undefined;
    if (body?.accessToken) session.accessToken = body.accessToken;
  }

  function* request(build: (token: string) => HttpRequest): Step<HttpResponse> {
    let last = 'no attempt';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) yield* sleep(Math.min(2_000, 150 * 2 ** (attempt - 2)));
      if (!session.accessToken) yield* login();
      if (!session.accessToken) {
        last = 'could not log in';
        continue;
      }
      const { response } = yield* send(build(session.accessToken));
      if (response.status === 200) return response;
      last = response.status === 0 ? (response.error ?? 'no response') : `HTTP ${response.status}`;
      // An expired or forgotten token: sign in again, as the user would.
      if (response.status === 401) delete session.accessToken;
      else if (response.status >= 400 && response.status < 500 && response.status !== 404 && response.status !== 408 && response.status !== 429) break;
    }
    throw new ReadError(last);
  }

  function* read(): Step<FinalState> {
    const cart = linesOf(parseJson<{ lines?: unknown }>(yield* request(api.getCart))?.lines);
    if (!cart) throw new ReadError('GET /cart answered without lines');
    const listed = parseJson<{ orders?: unknown }>(yield* request((t) => api.listOrders(t, MAX_ORDERS)))?.orders;
    if (!Array.isArray(listed)) throw new ReadError('GET /cart/orders answered without orders');
    // The listing is capped: a full page may hide older orders, which would then count as lost.
    if (listed.length >= MAX_ORDERS) throw new ReadError(`${listed.length} orders: more than one listing holds`);
    const orders: FinalState['orders'] = [];
    for (const entry of listed as OrderBody[]) {
      if (typeof entry?.id !== 'string') throw new ReadError('an order without an id');
      let lines = linesOf(entry.lines);
      if (!lines) {
        // A listing that summarises orders: fetch the order itself.
        const id = entry.id;
        lines = linesOf(parseJson<OrderBody>(yield* request((t) => api.getOrder(t, id)))?.lines);
      }
      if (!lines) throw new ReadError(`order ${entry.id} has no lines`);
      orders.push({ id: entry.id, lines });
    }
    return { user: session.user, cart, orders };
  }

  try {
    return { ok: true, final: yield* read() };
  } catch (error) {
    if (!(error instanceof ReadError)) throw error;
    return { ok: false, user: session.user, reason: error.message };
  }
}

function linesOf(value: unknown): Line[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const lines: Line[] = [];
  for (const l of value as Array<{ productId?: unknown; quantity?: unknown }>) {
    if (typeof l?.productId !== 'string' || typeof l.quantity !== 'number') return undefined;
    lines.push({ productId: l.productId, quantity: l.quantity });
  }
  return lines;
}
