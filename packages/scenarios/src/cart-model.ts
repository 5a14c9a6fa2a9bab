// The model of one cart element (user, productId) that the checker replays a history against.
// The read-back cannot tell which write produced a quantity, so instead of tracking writes we
// enumerate every state the element can be in after the history, the way Jepsen branches on
// indeterminate operations: ok = applied once, fail = not applied, info = applied or not.
import type { Operation } from './history.ts';

/**
 * Where an element is. Checkout moves the line out of the cart, so a later PATCH or DELETE only
 * touches what is still in the cart: totals alone cannot model set/remove after a checkout.
 */
export interface ElementState {
  /** quantity in the live cart */
  cart: number;
  /** quantity summed over every order */
  ordered: number;
  /** how many orders hold a line of this element (one per checkout that found it in the cart) */
  orders: number;
}

export const EMPTY: ElementState = { cart: 0, ordered: 0, orders: 0 };

export function total(s: ElementState): number {
  return s.cart + s.ordered;
}

/** Distinct places holding a copy of the element: the cart line and each order line. */
export function copies(s: ElementState): number {
  return (s.cart > 0 ? 1 : 0) + s.orders;
}

export function sameState(a: ElementState, b: ElementState): boolean {
  return a.cart === b.cart && a.ordered === b.ordered && a.orders === b.orders;
}

/** The quantity a write carries. The recorder always stores it; guessing would skew the proof. */
function quantityOf(op: Operation): number {
  if (op.quantity === undefined) throw new Error(`malformed history: ${op.kind} operation ${op.id} has no quantity`);
  return op.quantity;
}

/** The effect of one applied operation on the element it concerns (the caller filters by product). */
export function apply(s: ElementState, op: Operation): ElementState {
  switch (op.kind) {
    case 'add':
      return { ...s, cart: s.cart + quantityOf(op) };
    case 'set':
      // PATCH to 0 empties the line like DELETE would.
      return { ...s, cart: Math.max(0, quantityOf(op)) };
    case 'remove':
      return { ...s, cart: 0 };
    case 'checkout':
      // One new order per checkout; an element not in the cart is not part of it.
      return s.cart > 0 ? { cart: 0, ordered: s.ordered + s.cart, orders: s.orders + 1 } : s;
    default:
      return s;
  }
}

const keyOf = (s: ElementState): string => `${s.cart}/${s.ordered}/${s.orders}`;

/**
 * Every state the element can end in. `ops` are the element's add/set/remove operations and
 * its user's checkouts, in invocation order. `skip` is replayed as if it had failed, which the
 * checker uses to ask whether an indeterminate write must have landed. States are deduplicated,
 * so the set stays bounded by the distinct quantities rather than doubling per info operation.
 */
export function finalStates(ops: readonly Operation[], skip?: Operation): ElementState[] {
  let states = new Map<string, ElementState>([[keyOf(EMPTY), EMPTY]]);
  for (const op of ops) {
    if (op === skip || op.outcome === 'fail') continue;
    const next = op.outcome === 'info' ? new Map(states) : new Map<string, ElementState>();
    for (const s of states.values()) {
      const t = apply(s, op);
      next.set(keyOf(t), t);
    }
    states = next;
  }
  return [...states.values()];
}
