// Hand-made histories for the tests: each call is one operation invoked 10 ms after the last,
// with one attempt whose status matches its outcome. Not a *.test.ts file, so vitest skips it.
import type { FinalState, Operation, OperationKind, Outcome } from '../src/history.ts';

const STATUS: Record<Outcome, number> = { ok: 200, fail: 422, info: 0 };

export function history(user = 'u1', vu = 1) {
  const ops: Operation[] = [];
  let clock = 0;
  const op = (kind: OperationKind, outcome: Outcome, fields: Partial<Operation> = {}): Operation => {
    clock += 10;
    const o: Operation = {
      id: `${user}-op${ops.length + 1}`,
      vu,
      user,
      kind,
      outcome,
      attempts: [{ startMs: clock, durationMs: 5, status: STATUS[outcome], ...(outcome === 'info' ? {} : { servedBy: 'cart-a' }) }],
      ...fields,
    };
    ops.push(o);
    return o;
  };
  return {
    ops,
    op,
    add: (productId: string, quantity: number, outcome: Outcome = 'ok') => op('add', outcome, { productId, quantity }),
    set: (productId: string, quantity: number, outcome: Outcome = 'ok') => op('set', outcome, { productId, quantity }),
    remove: (productId: string, outcome: Outcome = 'ok') => op('remove', outcome, { productId }),
    checkout: (outcome: Outcome = 'ok', orderId?: string) => op('checkout', outcome, orderId ? { orderId } : {}),
    read: () => op('read', 'ok'),
  };
}

/** A read-back: cart as {productId: quantity}, orders as {orderId: {productId: quantity}}. */
export function final(user: string, cart: Record<string, number>, orders: Record<string, Record<string, number>> = {}): FinalState {
  const lines = (m: Record<string, number>) => Object.entries(m).map(([productId, quantity]) => ({ productId, quantity }));
  return { user, cart: lines(cart), orders: Object.entries(orders).map(([id, m]) => ({ id, lines: lines(m) })) };
}
