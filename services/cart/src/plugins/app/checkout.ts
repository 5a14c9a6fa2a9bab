// Checkout, the one write with a network call in the middle, in three steps (Brandur's atomic
// phases):
//   1. claim the Idempotency-Key as in flight with a lease, snapshotting the cart (one short
//      transaction);
//   2. reserve stock and learn prices from catalog, with a reservation id derived from the key —
//      so a retry, even after this replica died, reserves once;
//   3. create the order, take the ordered lines out of the cart and record the response (one
//      transaction, only if this attempt still holds the lease, and only if the cart — locked —
//      still holds every claimed line: otherwise another checkout already ordered them or the user
//      edited them meanwhile, and a 409 is recorded instead, so nothing is ordered twice).
// If catalog cannot be reached the lease is released at once and the client retries with the
// same key; if this replica dies, another takes over once the lease expires.
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { IdempotencyRequest } from '../../lib/idempotency.ts';
import { orderIdFor, reservationIdFor } from '../../lib/order-ids.ts';
import { problemResponse } from '../../lib/stored-response.ts';
import type { CartLine, OrderLine } from '../../schemas/cart.ts';
import { cartErrors, type MutationResult, type RespondWithOrder } from '../../stores/cart-store.ts';
import { CatalogRefusedError, CatalogUnavailableError, type Reservation } from '../external/catalog.ts';

export interface CheckoutRequest {
  userId: string;
  idempotency: IdempotencyRequest;
  /** the user's own Authorization header, forwarded so catalog checks the same identity */
  authorization: string;
  /** the request path, for problem+json `instance` */
  instance: string;
  respond: RespondWithOrder;
}

declare module 'fastify' {
  interface FastifyInstance {
    checkout: (request: CheckoutRequest) => Promise<MutationResult>;
  }
}

const tookOver = () =>
  new HttpProblem(409, 'Another attempt with this Idempotency-Key took this checkout over; retry with the same key for its result.', { headers: { 'retry-after': '1' } });

/** Catalog refusals that are the checkout's final answer (recorded under the key). */
const FINAL_REFUSALS = new Set([404, 409, 422]);

function priced(lines: CartLine[], reservation: Reservation): OrderLine[] | null {
  const prices = new Map(reservation.lines.map((line) => [line.productId, line]));
  const result: OrderLine[] = [];
  for (const line of lines) {
    const reserved = prices.get(line.productId);
    if (!reserved || reserved.quantity !== line.quantity) return null;
    result.push({ productId: line.productId, quantity: line.quantity, unitPriceCents: reserved.unitPriceCents });
  }
  return result.sort((a, b) => (a.productId < b.productId ? -1 : 1));
}

async function checkoutPlugin(fastify: FastifyInstance, opts: { leaseMs: number }) {
  const store = fastify.cartStore;

  async function checkout(req: CheckoutRequest): Promise<MutationResult> {
    const { userId, idempotency } = req;
    const claim = await store.claimCheckout(userId, idempotency, opts.leaseMs);
    if (claim.kind === 'replay') return { response: claim.response, replayed: true };
    const { leaseToken } = claim;
    const orderId = orderIdFor(userId, idempotency.key);
    const reservationId = reservationIdFor(orderId);
    const release = () =>
      store.releaseCheckout(userId, idempotency.key, leaseToken).catch((error: Error) => fastify.log.warn({ err: error.message }, 'could not release checkout lease; it will expire'));

    let reservation: Reservation;
    try {
      reservation = await fastify.catalog.reserveStock({ reservationId, lines: claim.lines }, req.authorization);
    } catch (error) {
      if (error instanceof CatalogRefusedError && FINAL_REFUSALS.has(error.status)) {
        const response = problemResponse(409, `The order cannot be placed: ${error.detail || 'catalog refused the reservation'}`, req.instance);
        // Answer with the refusal only if it is what the key recorded: another attempt may have
        // taken the checkout over meanwhile, and its outcome is the one that counts.
        if (!(await store.failCheckout(userId, idempotency.key, leaseToken, response))) throw tookOver();
        return { response, replayed: false };
      }
      await release();
      if (error instanceof CatalogUnavailableError) {
        throw new HttpProblem(503, 'The catalog is unavailable, so nothing was ordered. Retry with the same Idempotency-Key.', { headers: { 'retry-after': '2' } });
      }
      if (error instanceof CatalogRefusedError) {
        fastify.log.error({ status: error.status, detail: error.detail }, 'catalog refused a reservation unexpectedly');
        throw new HttpProblem(502, 'The catalog refused the reservation; nothing was ordered.');
      }
      throw error;
    }

    const lines = priced(claim.lines, reservation);
    if (!lines) {
      await release();
      fastify.log.error({ reservationId }, 'catalog reserved lines that differ from the request');
      throw new HttpProblem(502, 'The catalog answered with a reservation that does not match the cart; nothing was ordered.');
    }
    const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    let response;
    try {
      // Recorded instead of an order if the cart no longer holds what was claimed (another checkout
      // ordered it, or it was edited, while this one waited or was interrupted).
      const cartChanged = problemResponse(409, cartErrors.cartChanged, req.instance);
      const order = { id: orderId, reservationId, lines, totalCents, createdAt: new Date() };
      response = await store.completeCheckout(userId, idempotency.key, leaseToken, order, claim.lines, req.respond, cartChanged);
    } catch (error) {
      await release(); // the stock stays reserved under the same id: a retry completes this order
      throw error;
    }
    if (!response) {
      throw tookOver();
    }
    return { response, replayed: false };
  }

  fastify.decorate('checkout', checkout);
}

export default fp(checkoutPlugin, { name: 'checkout', fastify: '5.x', dependencies: ['cart-store', 'catalog'] });
