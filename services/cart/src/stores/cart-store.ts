// What the routes need from storage, whatever holds it. STATE_STORE=shared (default) is Postgres,
// reachable by every replica; STATE_STORE=memory is a per-process Map, the deliberately
// stateful demonstration. Routes never know which one they talk to. The rules both stores apply
// the same way (errors, replays, "does the cart still hold the order") are written here once.
import { resolveExisting, unfinishedCheckout, type ExistingRecord, type IdempotencyObserver, type IdempotencyRequest, type StoredResponse } from '../lib/idempotency.ts';
import type { AddItem, CartLine, Order, OrderLine } from '../schemas/cart.ts';

export interface CartState {
  lines: CartLine[];
  version: number;
  updatedAt: Date | null;
}

export type CartEdit = { kind: 'set'; productId: string; quantity: number } | { kind: 'remove'; productId: string };

/** A store calls this inside its atomic unit, so the response it records is the one sent. */
export type RespondWithCart = (cart: CartState) => StoredResponse;
export type RespondWithOrder = (order: Order) => StoredResponse;

export interface MutationResult {
  response: StoredResponse;
  replayed: boolean;
}

/** What claiming a checkout key gives: an earlier outcome to replay, or the right to do the work. */
export type CheckoutClaim =
  | { kind: 'replay'; response: StoredResponse }
  /** `lines` is the cart as it was when the key was first claimed (the recovery point). */
  | { kind: 'owned'; leaseToken: string; lines: CartLine[] };

export interface PricedOrder {
  id: string;
  reservationId: string;
  lines: OrderLine[];
  totalCents: number;
  createdAt: Date;
}

/** What the lease holder of a checkout key asks the store to record at the end. */
export interface CheckoutCompletion {
  userId: string;
  key: string;
  leaseToken: string;
  order: PricedOrder;
  /** the cart lines the key claimed (its recovery point) */
  claimed: CartLine[];
  /** catalog confirmed the reservation: the order may be created */
  stockConfirmed: boolean;
  respond: RespondWithOrder;
  /** recorded instead of an order when one may not be created */
  cartChanged: StoredResponse;
}

export interface CartStore {
  read(userId: string): Promise<CartState>;
  /** Commutative add; the key is recorded atomically with the effect. */
  add(userId: string, item: AddItem, idempotency: IdempotencyRequest, respond: RespondWithCart): Promise<MutationResult>;
  /** Applies only if the cart's version is one of `ifMatch` (else 412); 404 if the line is absent. */
  edit(userId: string, edit: CartEdit, ifMatch: number[], idempotency: IdempotencyRequest | null, respond: RespondWithCart): Promise<MutationResult>;
  /** Claims the key as in flight with a lease (or takes over an expired one); 409 if the cart is empty. */
  claimCheckout(userId: string, idempotency: IdempotencyRequest, leaseMs: number): Promise<CheckoutClaim>;
  /**
   * Atomically, with the cart locked against every other change: the order and its lines, the
   * cart minus what was ordered, the key done with its response. Null when the lease was lost to
   * another attempt (nothing written).
   *
   * If an order with `order.id` already exists (an earlier life of this key ordered), that order
   * is answered and the cart is left alone. Otherwise an order is created only if its stock was
   * confirmed and the cart still holds every `claimed` line with at least the claimed quantity:
   * `claimed` is the snapshot taken when the key was claimed, and while the checkout waited (on
   * catalog, or interrupted by a crash and resumed by a retry) another checkout may have ordered
   * those lines, or the user may have lowered or removed them. Then NO order is created, the cart
   * is left alone, and `cartChanged` (a 409) is recorded as the key's final outcome and returned —
   * ordering anyway would order the same units twice.
   */
  completeCheckout(completion: CheckoutCompletion): Promise<StoredResponse | null>;
  /** Records a final failure (e.g. not enough stock) as the key's outcome; false when the lease was lost to another attempt (nothing written). */
  failCheckout(userId: string, key: string, leaseToken: string, response: StoredResponse): Promise<boolean>;
  /** Extends the lease by `leaseMs` from now if this owner (`leaseToken`) still holds it; false when another attempt took it over or the key is done. */
  renewLease(userId: string, key: string, leaseToken: string, leaseMs: number): Promise<boolean>;
  /** Ends the lease at once, keeping the recovery point, so a retry with the key resumes the same checkout. */
  releaseCheckout(userId: string, key: string, leaseToken: string): Promise<void>;
  listOrders(userId: string, limit: number): Promise<Order[]>;
  findOrder(userId: string, orderId: string): Promise<Order | null>;
  /** Forgets keys older than their expiry (24 h by default). */
  removeExpiredRecords(): Promise<number>;
}

export interface CartStoreLimits {
  maxLineQuantity: number;
  maxLines: number;
  /** how long an Idempotency-Key is remembered */
  recordTtlMs: number;
}

/** Errors both stores raise with the same wording. */
export const cartErrors = {
  stale: (version: number) => `The cart changed (it is now version ${version}); read it again and resend with its ETag in If-Match.`,
  lineMissing: (productId: string) => `Product ${productId} is not in the cart.`,
  lineTooLarge: (productId: string, max: number) => `A cart line holds at most ${max} of a product; ${productId} would exceed it.`,
  tooManyLines: (max: number) => `A cart holds at most ${max} different products.`,
  emptyCart: 'The cart is empty: there is nothing to check out.',
  cartChanged: 'The cart changed while this checkout was in flight or interrupted (its lines were ordered by another checkout or edited); nothing was ordered. Check your orders.',
  reservationExpired: 'The stock held for this checkout expired before the order could be completed; nothing was ordered. Check out again with a new Idempotency-Key.',
};

/**
 * An add or edit whose key was taken before: the earlier answer, replayed. A key that names an
 * unfinished checkout whose owner stopped is not an add's or edit's to take over: 409, retry later.
 */
export function replayEarlier(existing: ExistingRecord, fingerprint: string, observe: IdempotencyObserver): MutationResult {
  const earlier = resolveExisting(existing, fingerprint, observe);
  if (earlier === 'lease-expired') {
    observe('in_progress');
    throw unfinishedCheckout();
  }
  return { response: earlier, replayed: true };
}

/** Whether a cart's lines (product → quantity; none when there is no cart) still hold every ordered line with at least the ordered quantity. */
export const holdsEvery = (held: ReadonlyMap<string, number> | undefined, ordered: CartLine[]): boolean =>
  ordered.every((line) => (held?.get(line.productId) ?? 0) >= line.quantity);
