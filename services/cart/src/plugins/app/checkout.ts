// Checkout, the one write with network calls in the middle, in four steps (Brandur's atomic
// phases, and a reservation that is confirmed only once the order is certain):
//   1. claim the Idempotency-Key as in flight with a short lease, snapshotting the cart (one short
//      transaction); from then on a heartbeat renews the lease while this owner works, until the
//      work's own deadline (lib/lease-keeper.ts, lib/checkout-timing.ts);
//   2. reserve stock and learn prices from catalog, with a reservation id derived from the key —
//      so a retry, even after this replica died, names the same reservation — held for as long as
//      this owner may still need it;
//   3. confirm the reservation, if the cart still holds what was claimed;
//   4. create the order, take the ordered lines out of the cart and record the response (one
//      transaction, only if this owner still holds the lease, only if the stock was confirmed and
//      the cart — locked — still holds every claimed line: otherwise another checkout already
//      ordered them or the user edited them meanwhile, and a 409 is recorded instead). A checkout
//      that ends without an order releases its stock.
// If catalog cannot be reached the lease is released at once and the client retries with the
// same key; if this replica dies or hangs, a retry on another takes over within one lease.
import { performance } from 'node:perf_hooks';
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CheckoutTiming } from '../../lib/checkout-timing.ts';
import type { IdempotencyRequest, StoredResponse } from '../../lib/idempotency.ts';
import { keepLease, type LeaseKeeper } from '../../lib/lease-keeper.ts';
import { orderIdFor, reservationIdFor } from '../../lib/order-ids.ts';
import { storedProblem } from '../../lib/stored-response.ts';
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

const retryLater = (detail: string) => new HttpProblem(503, `${detail} Nothing was ordered; retry with the same Idempotency-Key.`, { headers: { 'retry-after': '1' } });

/** Catalog refusals of a reservation that are the checkout's final answer (recorded under the key). */
const FINAL_REFUSALS = new Set([404, 409, 422]);
/** Confirming this close to the end of the granted hold risks meeting it expired: let a retry hold it again instead. */
const CONFIRM_MARGIN_MS = 500;

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

/** Whether `cart` still has every claimed line with at least the claimed quantity. */
function holds(cart: CartLine[], claimed: CartLine[]): boolean {
  const quantities = new Map(cart.map((line) => [line.productId, line.quantity]));
  return claimed.every((line) => (quantities.get(line.productId) ?? 0) >= line.quantity);
}

async function checkoutPlugin(fastify: FastifyInstance, opts: { timing: CheckoutTiming }) {
  const store = fastify.cartStore;
  const { timing } = opts;

  async function checkout(req: CheckoutRequest): Promise<MutationResult> {
    const claim = await store.claimCheckout(req.userId, req.idempotency, timing.leaseMs);
    if (claim.kind === 'replay') return { response: claim.response, replayed: true };
    const lease = keepLease({
      renew: () => store.renewLease(req.userId, req.idempotency.key, claim.leaseToken, timing.leaseMs),
      everyMs: timing.heartbeatMs,
      deadlineMs: timing.workMs,
      onError: (error) => fastify.log.warn({ err: error.message }, 'could not renew a checkout lease; the next heartbeat retries'),
    });
    try {
      return await own(req, claim.leaseToken, claim.lines, lease);
    } finally {
      lease.stop();
    }
  }

  /** The work of the lease holder: everything after the claim. */
  async function own(req: CheckoutRequest, leaseToken: string, claimed: CartLine[], lease: LeaseKeeper): Promise<MutationResult> {
    const { userId } = req;
    const { key } = req.idempotency;
    const orderId = orderIdFor(userId, key);
    const reservationId = reservationIdFor(orderId);
    /** Ends the lease now, keeping the recovery point, so the client's retry resumes at once. */
    const letGo = () =>
      store.releaseCheckout(userId, key, leaseToken).catch((error: Error) => fastify.log.warn({ err: error.message }, 'could not release a checkout lease; it will expire'));
    /** Records an outcome without an order; only the lease holder's outcome counts. */
    const finish = async (response: StoredResponse): Promise<MutationResult> => {
      if (!(await store.failCheckout(userId, key, leaseToken, response))) throw tookOver();
      return { response, replayed: false };
    };
    /** A catalog failure that is not the checkout's final answer. */
    const interrupted = async (error: unknown): Promise<never> => {
      if (lease.lost.aborted) throw tookOver();
      await letGo();
      if (error instanceof CatalogUnavailableError) throw retryLater('The catalog is unavailable.');
      if (error instanceof CatalogRefusedError) {
        fastify.log.error({ status: error.status, detail: error.detail, reservationId }, 'catalog refused a checkout call unexpectedly');
        throw new HttpProblem(502, 'The catalog refused the reservation; nothing was ordered.');
      }
      throw error;
    };

    const askedAt = performance.now();
    let reservation: Reservation;
    try {
      reservation = await fastify.catalog.reserveStock({ reservationId, lines: claimed, holdSeconds: timing.holdSeconds }, req.authorization, lease.lost);
    } catch (error) {
      if (error instanceof CatalogRefusedError && FINAL_REFUSALS.has(error.status)) {
        // Nothing was reserved: catalog takes all lines or none.
        return finish(storedProblem(409, `The order cannot be placed: ${error.detail || 'catalog refused the reservation'}`, req.instance));
      }
      return interrupted(error);
    }
    const lines = priced(claimed, reservation);
    if (!lines) {
      await letGo();
      fastify.log.error({ reservationId }, 'catalog reserved lines that differ from the request');
      throw new HttpProblem(502, 'The catalog answered with a reservation that does not match the cart; nothing was ordered.');
    }

    // Confirm only what can still be ordered: a cart edited meanwhile gets its stock released, not
    // sold. An earlier owner of this key may have confirmed already and died before ordering.
    let stockConfirmed = false;
    if (reservation.status === 'confirmed') {
      stockConfirmed = true;
    } else if (holds((await store.read(userId)).lines, claimed)) {
      const confirmBy = askedAt + reservation.holdSeconds * 1000 - CONFIRM_MARGIN_MS;
      if (lease.lost.aborted) throw tookOver();
      if (performance.now() >= confirmBy || lease.remainingMs() <= 0) {
        // This owner stalled; its reservation may be about to expire. A retry holds it again.
        await letGo();
        throw retryLater('The checkout took too long.');
      }
      try {
        await fastify.catalog.confirmReservation(reservationId, req.authorization, lease.lost);
      } catch (error) {
        if (error instanceof CatalogRefusedError && error.status === 409) {
          // Expired (or released) before it could be confirmed: its stock is already back.
          return finish(storedProblem(409, cartErrors.reservationExpired, req.instance));
        }
        return interrupted(error);
      }
      stockConfirmed = true;
    }

    const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    let response: StoredResponse | null;
    try {
      response = await store.completeCheckout({
        userId,
        key,
        leaseToken,
        order: { id: orderId, reservationId, lines, totalCents, createdAt: new Date() },
        claimed,
        stockConfirmed,
        respond: req.respond,
        cartChanged: storedProblem(409, cartErrors.cartChanged, req.instance),
      });
    } catch (error) {
      await letGo(); // the stock stays reserved under the same id: a retry completes this order
      throw error;
    }
    if (!response) throw tookOver();
    if (response.status !== 201) await releaseStock(reservationId, req.authorization);
    return { response, replayed: false };
  }

  /** The key's outcome ordered nothing: its stock goes back on sale (held stock would also expire by itself). */
  async function releaseStock(reservationId: string, authorization: string): Promise<void> {
    try {
      await fastify.catalog.releaseReservation(reservationId, authorization);
    } catch (error) {
      fastify.log.error({ err: (error as Error).message, reservationId }, 'could not release the stock of a checkout that ordered nothing');
    }
  }

  fastify.decorate('checkout', checkout);
}

export default fp(checkoutPlugin, { name: 'checkout', fastify: '5.x', dependencies: ['cart-store', 'catalog'] });
