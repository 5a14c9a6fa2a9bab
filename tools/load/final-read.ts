// The read-back at the end of a run (docs/reliability.md, "Lost writes"): every user's cart and
// every order, read through the Ingress after the cluster has settled, with retries. A user whose
// read-back fails is reported, never silently treated as empty — the checker then counts their
// acknowledged writes as lost, which is the loud failure we want.
import type { FinalState } from '@anypod/scenarios';
import * as api from '@anypod/scenarios/requests';
import { parseJson, type HttpRequest, type HttpResponse } from '@anypod/scenarios/requests';
import type { ShopperSession } from '@anypod/scenarios/journeys/index';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.ts';

export interface FinalReadOptions {
  client: HttpClient;
  sessions: readonly ShopperSession[];
  /** attempts per request */
  attempts?: number;
  /** users read in parallel */
  concurrency?: number;
}

export interface FinalReadResult {
  finals: FinalState[];
  /** users whose cart or orders could not be read, with the last error */
  failures: Array<{ user: string; reason: string }>;
  /** replicas that answered the read-back */
  servedBy: Record<string, number>;
}

type Line = { productId: string; quantity: number };
type OrderBody = { id?: unknown; lines?: unknown };

class ReadError extends Error {}

/** The cart's listing cap; the shopper places fewer orders than this. */
const MAX_ORDERS = 100;

export async function finalRead(options: FinalReadOptions): Promise<FinalReadResult> {
  const finals: FinalState[] = [];
  const failures: FinalReadResult['failures'] = [];
  const servedBy: Record<string, number> = {};
  const maxAttempts = options.attempts ?? 6;
  const queue = [...options.sessions];
  let next = 0;

  async function request(session: ShopperSession, build: (token: string) => HttpRequest): Promise<HttpResponse> {
    let last = 'no attempt';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await sleep(Math.min(2_000, 150 * 2 ** (attempt - 2)));
      if (!session.accessToken) await login(session);
      if (!session.accessToken) {
        last = 'could not log in';
        continue;
      }
      const res = await options.client.send(build(session.accessToken));
      const replica = res.headers['x-served-by'];
      if (replica !== undefined && res.status !== 0) servedBy[replica] = (servedBy[replica] ?? 0) + 1;
      if (res.status === 200) return res;
      last = res.status === 0 ? (res.error ?? 'no response') : `HTTP ${res.status}`;
      // An expired or forgotten token: sign in again, as the user would.
      if (res.status === 401) delete session.accessToken;
      else if (res.status >= 400 && res.status < 500 && res.status !== 404 && res.status !== 408 && res.status !== 429) break;
    }
    throw new ReadError(last);
  }

  async function login(session: ShopperSession): Promise<void> {
    const res = await options.client.send(api.login(session.email, session.password));
    const body = res.status === 200 ? parseJson<{ accessToken?: string }>(res) : undefined;
    if (body?.accessToken) session.accessToken = body.accessToken;
  }

  async function readUser(session: ShopperSession): Promise<FinalState> {
    const cartRes = await request(session, api.getCart);
    const cart = linesOf(parseJson<{ lines?: unknown }>(cartRes)?.lines);
    if (!cart) throw new ReadError('GET /cart answered without lines');
    const ordersRes = await request(session, (t) => api.listOrders(t, MAX_ORDERS));
    const listed = parseJson<{ orders?: unknown }>(ordersRes)?.orders;
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
        lines = linesOf(parseJson<OrderBody>(await request(session, (t) => api.getOrder(t, id)))?.lines);
      }
      if (!lines) throw new ReadError(`order ${entry.id} has no lines`);
      orders.push({ id: entry.id, lines });
    }
    return { user: session.user, cart, orders };
  }

  async function worker(): Promise<void> {
    while (next < queue.length) {
      const session = queue[next++] as ShopperSession;
      try {
        finals.push(await readUser(session));
      } catch (error) {
        failures.push({ user: session.user, reason: (error as Error).message });
      }
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, queue.length)) }, worker));
  finals.sort((a, b) => a.user.localeCompare(b.user));
  failures.sort((a, b) => a.user.localeCompare(b.user));
  return { finals, failures, servedBy };
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
