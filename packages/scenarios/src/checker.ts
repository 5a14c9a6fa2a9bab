// The Jepsen set check (docs/reliability.md, "Lost writes") adapted to a cart whose elements
// are (user, productId) with a quantity. Jepsen's `set` checker compares a final read with the
// acknowledged and attempted adds; quantities and set/remove/checkout make "was it applied" a
// question about reachable states, so each element's history is replayed in cart-model.ts and
// the observed state must be one the history can produce.
//
// Assumption, from history.ts: one VU per user, running one operation at a time, so replaying
// a user's writes in invocation order is the order the server applied them.
import type { FinalState, Operation } from './history.ts';
import { copies, EMPTY, finalStates, sameState, total, type ElementState } from './cart-model.ts';
import { invocationOrder, isWrite } from './order.ts';

export type AnomalyType = 'lost' | 'unexpected' | 'duplicated' | 'quantity';

export interface Anomaly {
  type: AnomalyType;
  user: string;
  /** one human-readable sentence, e.g. "user u7 product p12: acknowledged 3, found 0" */
  detail: string;
}

export interface CheckResult {
  writes: {
    /** write operations (add, set, remove, checkout) invoked */
    attempted: number;
    /** write operations that completed ok */
    acknowledged: number;
    /** elements below what the acknowledged writes imply, plus acknowledged orders missing */
    lost: number;
    /** elements and orders that no operation attempted */
    unexpected: number;
    /** elements above what the history allows or held in more places than it allows, plus surplus orders */
    duplicated: number;
    /** indeterminate (info) writes that must have landed for the final state to be reachable */
    recovered: number;
  };
  /** elements whose quantity breaks acknowledged sum <= final <= attempted sum (add-only) or is unreachable */
  quantityBoundViolations: number;
  /** one entry per counted lost/unexpected/duplicated element or order and per quantity violation */
  anomalies: Anomaly[];
  /** no lost, unexpected or duplicated writes and no quantity violations */
  valid: boolean;
}

type Report = (type: AnomalyType, user: string, detail: string) => void;

export function checkHistory(operations: Operation[], finals: FinalState[]): CheckResult {
  const anomalies: Anomaly[] = [];
  const report: Report = (type, user, detail) => anomalies.push({ type, user, detail });
  const writes = operations.filter(isWrite);
  const opsByUser = groupBy(invocationOrder(writes), (op) => op.user);
  const finalsByUser = groupBy(finals, (f) => f.user);

  let recovered = 0;
  // Users with a read-back but no operations still get checked: everything they hold is unexpected.
  // Users with operations but no read-back are checked against an empty one: a failed read must fail loudly.
  for (const user of [...new Set([...opsByUser.keys(), ...finalsByUser.keys()])].sort()) {
    const ops = opsByUser.get(user) ?? [];
    const userFinals = finalsByUser.get(user) ?? [];
    recovered += checkElements(user, ops, observeElements(user, userFinals, report), report);
    recovered += checkOrders(user, ops, userFinals.flatMap((f) => f.orders.map((o) => o.id)), report);
  }

  // Counts derive from the anomaly list so the two can never disagree.
  const count = (type: AnomalyType): number => anomalies.filter((a) => a.type === type).length;
  const lost = count('lost');
  const unexpected = count('unexpected');
  const duplicated = count('duplicated');
  const quantityBoundViolations = count('quantity');
  return {
    writes: {
      attempted: writes.length,
      acknowledged: writes.filter((op) => op.outcome === 'ok').length,
      lost,
      unexpected,
      duplicated,
      recovered,
    },
    quantityBoundViolations,
    anomalies,
    valid: lost + unexpected + duplicated + quantityBoundViolations === 0,
  };
}

/**
 * The observed state of each element: live cart plus every order (total = cart + orders). A line
 * with a quantity of zero or less is no state any history can produce: it is reported, not
 * skipped, so a bug that leaves such lines cannot hide.
 */
function observeElements(user: string, finals: readonly FinalState[], report: Report): Map<string, ElementState> {
  const seen = new Map<string, ElementState>();
  const get = (productId: string): ElementState => seen.get(productId) ?? { ...EMPTY };
  for (const f of finals) {
    for (const line of f.cart) {
      if (line.quantity <= 0) {
        report('quantity', user, `user ${user} product ${line.productId}: the cart holds a line of quantity ${line.quantity}`);
        continue;
      }
      const s = get(line.productId);
      seen.set(line.productId, { ...s, cart: s.cart + line.quantity });
    }
    for (const order of f.orders) {
      // An order holding the same product on two lines is still one copy of the element.
      const inOrder = new Set<string>();
      for (const line of order.lines) {
        if (line.quantity <= 0) {
          report('quantity', user, `user ${user} product ${line.productId}: order ${order.id} holds a line of quantity ${line.quantity}`);
          continue;
        }
        const s = get(line.productId);
        const newOrder = inOrder.has(line.productId) ? 0 : 1;
        inOrder.add(line.productId);
        seen.set(line.productId, { ...s, ordered: s.ordered + line.quantity, orders: s.orders + newOrder });
      }
    }
  }
  return seen;
}

/** Checks every element of one user; returns how many info writes on elements must have landed. */
function checkElements(user: string, ops: readonly Operation[], observed: Map<string, ElementState>, report: Report): number {
  const lineOps = ops.filter((op) => op.kind !== 'checkout');
  for (const op of lineOps) {
    if (op.productId === undefined) throw new Error(`malformed history: ${op.kind} operation ${op.id} has no productId`);
  }
  const products = new Set([...lineOps.map((op) => op.productId as string), ...observed.keys()]);
  let recovered = 0;
  for (const productId of [...products].sort()) {
    // Checkouts belong to every element of the user: they move its cart line into an order.
    const elementOps = ops.filter((op) => op.kind === 'checkout' || op.productId === productId);
    const found = observed.get(productId) ?? EMPTY;
    const label = `user ${user} product ${productId}`;
    const writes = elementOps.filter((op) => op.kind !== 'checkout');
    if (!writes.some((op) => op.kind === 'add' || op.kind === 'set')) {
      // Only add and set create a line; a remove alone cannot explain one.
      if (total(found) > 0) report('unexpected', user, `${label}: found ${total(found)}, but no operation added it`);
      continue;
    }
    if (writes.every((op) => op.kind === 'add')) checkAddBounds(label, user, writes, total(found), report);
    const states = finalStates(elementOps);
    if (classify(label, user, states, found, report)) {
      // Jepsen's "recovered": the observed state is unreachable unless this info write was applied.
      recovered += writes.filter(
        (op) => op.outcome === 'info' && !finalStates(elementOps, op).some((s) => sameState(s, found)),
      ).length;
    }
  }
  return recovered;
}

/**
 * reliability.md's bound for commutative adds, kept as an independent cross-check of the state
 * replay: it does not depend on ordering, so a bug in the model cannot hide a violation here.
 */
function checkAddBounds(label: string, user: string, adds: readonly Operation[], found: number, report: Report): void {
  const sum = (ops: readonly Operation[]): number => ops.reduce((n, op) => n + (op.quantity ?? 0), 0);
  const acknowledged = sum(adds.filter((op) => op.outcome === 'ok'));
  const attempted = sum(adds);
  if (found < acknowledged || found > attempted) {
    report('quantity', user, `${label}: found ${found}, outside the add bounds [${acknowledged} acknowledged, ${attempted} attempted]`);
  }
}

/** Compares one element with its reachable states; true when the observation is one of them. */
function classify(label: string, user: string, states: readonly ElementState[], found: ElementState, report: Report): boolean {
  const totals = [...new Set(states.map(total))].sort((a, b) => a - b);
  const n = total(found);
  const min = totals[0] ?? 0;
  const max = totals[totals.length - 1] ?? 0;
  const allows = totals.length > 1 ? ` (history allows ${listOf(totals)})` : '';
  if (n < min) {
    report('lost', user, `${label}: acknowledged ${min}, found ${n}${allows}`);
  } else if (n > max) {
    report('duplicated', user, `${label}: at most ${max} could have been applied, found ${n}${allows}`);
  } else if (!totals.includes(n)) {
    // Inside the bounds but no subset of the writes adds up to it (half a write applied?).
    report('quantity', user, `${label}: found ${n}, which no combination of the writes produces (history allows ${listOf(totals)})`);
  } else if (!states.some((s) => sameState(s, found))) {
    // The right total in the wrong places: a checkout that copied instead of moved, or split a line.
    const sameTotal = states.filter((s) => total(s) === n);
    const most = Math.max(...sameTotal.map(copies));
    if (copies(found) > most) {
      report('duplicated', user, `${label}: found ${placement(found)}, but the history allows ${most === 1 ? 'one copy' : `${most} copies`}`);
    } else {
      report('quantity', user, `${label}: found ${placement(found)}, history allows ${listOf(sameTotal.map(placement))}`);
    }
  } else {
    return true;
  }
  return false;
}

/**
 * Orders are elements too: every acknowledged order must be read back, and every order read back
 * must be explained by a checkout that may have been applied. Returns the info checkouts that landed.
 */
function checkOrders(user: string, ops: readonly Operation[], foundIds: readonly string[], report: Report): number {
  const checkouts = ops.filter((op) => op.kind === 'checkout');
  const found = new Set(foundIds);
  const returned = new Set(checkouts.filter((op) => op.outcome !== 'fail' && op.orderId).map((op) => op.orderId as string));
  for (const op of checkouts) {
    if (op.outcome === 'ok' && op.orderId && !found.has(op.orderId)) {
      report('lost', user, `user ${user}: checkout ${op.id} acknowledged order ${op.orderId}, which is missing`);
    }
  }
  let recovered = checkouts.filter((op) => op.outcome === 'info' && op.orderId && found.has(op.orderId)).length;

  // Orders nobody was told about: a second read of the same id counts as one more order too.
  const seen = new Set<string>();
  const unknown: string[] = [];
  for (const id of foundIds) {
    if (seen.has(id) || !returned.has(id)) unknown.push(id);
    seen.add(id);
  }
  // Acknowledged checkouts whose response lacked the id certainly made an order; info ones may have.
  const certain = checkouts.filter((op) => op.outcome === 'ok' && !op.orderId).length;
  const possible = checkouts.filter((op) => op.outcome === 'info' && !op.orderId).length;
  recovered += Math.min(Math.max(unknown.length - certain, 0), possible);
  const surplus = unknown.slice(certain + possible);
  for (const id of surplus) {
    if (checkouts.length === 0) {
      report('unexpected', user, `user ${user}: order ${id} found, but no checkout was attempted`);
    } else {
      const could = checkouts.filter((op) => op.outcome !== 'fail').length;
      report('duplicated', user, `user ${user}: order ${id} is more orders than the ${could} checkout(s) that could have been applied`);
    }
  }
  return recovered;
}

function placement(s: ElementState): string {
  const inOrders = s.orders === 0 ? 'none in orders' : `${s.ordered} in ${s.orders} order${s.orders === 1 ? '' : 's'}`;
  return `${s.cart} in the cart and ${inOrders}`;
}

function listOf(values: ReadonlyArray<number | string>): string {
  const items = values.map(String);
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
