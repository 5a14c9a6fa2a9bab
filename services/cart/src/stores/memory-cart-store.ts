// DEMONSTRATION ONLY (STATE_STORE=memory): carts, orders and Idempotency-Keys in this process's
// memory. It behaves like the shared store for one replica — same rules, same responses — and
// shows what a stateful server costs: another replica does not see any of it, and a restart
// loses all of it. Every method runs synchronously between awaits, which is what makes each one
// atomic on Node's single thread (no locks needed).
import { randomUUID } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import { cartEtag } from '../schemas/cart.ts';
import { resolveExisting, type IdempotencyObserver, type IdempotencyRequest, type StoredResponse } from '../lib/idempotency.ts';
import type { AddItem, CartLine, Order } from '../schemas/cart.ts';
import {
  cartErrors,
  holdsEvery,
  replayEarlier,
  type CartEdit,
  type CartState,
  type CartStore,
  type CartStoreLimits,
  type CheckoutClaim,
  type CheckoutCompletion,
  type MutationResult,
  type RespondWithCart,
} from './cart-store.ts';

interface MemoryCart {
  version: number;
  updatedAt: Date;
  /** insertion order = the order lines were added, as in the shared store */
  lines: Map<string, number>;
}

interface MemoryRecord {
  fingerprint: string;
  status: 'in_flight' | 'done';
  leaseToken: string | null;
  leaseExpiresAt: number;
  recoveryPoint: CartLine[] | null;
  response: StoredResponse | null;
  expiresAt: number;
}

const recordId = (userId: string, key: string) => `${userId}\n${key}`;

export class InMemoryCartStore implements CartStore {
  private readonly carts = new Map<string, MemoryCart>();
  private readonly records = new Map<string, MemoryRecord>();
  private readonly orders = new Map<string, Order & { userId: string }>();

  constructor(
    private readonly limits: CartStoreLimits,
    private readonly observe: IdempotencyObserver,
  ) {}

  private snapshot(userId: string): CartState {
    const cart = this.carts.get(userId);
    if (!cart) return { lines: [], version: 0, updatedAt: null };
    return { lines: [...cart.lines].map(([productId, quantity]) => ({ productId, quantity })), version: cart.version, updatedAt: cart.updatedAt };
  }

  /** The key's live record, or undefined when it never existed or has expired. */
  private liveRecord(userId: string, key: string): MemoryRecord | undefined {
    const record = this.records.get(recordId(userId, key));
    return record && record.expiresAt > Date.now() ? record : undefined;
  }

  private existing(record: MemoryRecord) {
    return { fingerprint: record.fingerprint, status: record.status, leaseLeftMs: Math.max(0, record.leaseExpiresAt - Date.now()), response: record.response };
  }

  /**
   * Applies `effect` to a copy of the cart and commits it with the key's record only if the
   * effect did not throw — the in-memory version of one transaction.
   */
  private mutate(userId: string, idem: IdempotencyRequest | null, effect: (draft: MemoryCart) => void, respond: RespondWithCart): MutationResult {
    if (idem) {
      const record = this.liveRecord(userId, idem.key);
      if (record) return replayEarlier(this.existing(record), idem.fingerprint, this.observe);
      this.observe('first');
    }
    const current = this.carts.get(userId);
    const draft: MemoryCart = { version: current?.version ?? 0, updatedAt: new Date(), lines: new Map(current?.lines ?? []) };
    effect(draft);
    this.carts.set(userId, draft);
    const response = respond(this.snapshot(userId));
    if (idem) this.records.set(recordId(userId, idem.key), { fingerprint: idem.fingerprint, status: 'done', leaseToken: null, leaseExpiresAt: 0, recoveryPoint: null, response, expiresAt: Date.now() + this.limits.recordTtlMs });
    return { response, replayed: false };
  }

  async read(userId: string): Promise<CartState> {
    return this.snapshot(userId);
  }

  async add(userId: string, item: AddItem, idem: IdempotencyRequest, respond: RespondWithCart): Promise<MutationResult> {
    return this.mutate(userId, idem, (draft) => {
      const quantity = (draft.lines.get(item.productId) ?? 0) + item.quantity;
      if (quantity > this.limits.maxLineQuantity) throw new HttpProblem(409, cartErrors.lineTooLarge(item.productId, this.limits.maxLineQuantity));
      draft.lines.set(item.productId, quantity);
      if (draft.lines.size > this.limits.maxLines) throw new HttpProblem(409, cartErrors.tooManyLines(this.limits.maxLines));
      draft.version += 1;
    }, respond);
  }

  async edit(userId: string, edit: CartEdit, ifMatch: number[], idem: IdempotencyRequest | null, respond: RespondWithCart): Promise<MutationResult> {
    return this.mutate(userId, idem, (draft) => {
      if (!ifMatch.includes(draft.version)) throw new HttpProblem(412, cartErrors.stale(draft.version), { headers: { etag: cartEtag(draft.version) } });
      if (!draft.lines.has(edit.productId)) throw new HttpProblem(404, cartErrors.lineMissing(edit.productId));
      if (edit.kind === 'set') draft.lines.set(edit.productId, edit.quantity);
      else draft.lines.delete(edit.productId);
      draft.version += 1;
    }, respond);
  }

  async claimCheckout(userId: string, idem: IdempotencyRequest, leaseMs: number): Promise<CheckoutClaim> {
    const leaseToken = randomUUID();
    const record = this.liveRecord(userId, idem.key);
    if (record) {
      const earlier = resolveExisting(this.existing(record), idem.fingerprint, this.observe);
      if (earlier !== 'lease-expired') return { kind: 'replay', response: earlier };
      this.observe('takeover');
      record.leaseToken = leaseToken;
      record.leaseExpiresAt = Date.now() + leaseMs;
      return { kind: 'owned', leaseToken, lines: record.recoveryPoint ?? [] };
    }
    this.observe('first');
    const { lines } = this.snapshot(userId);
    if (lines.length === 0) throw new HttpProblem(409, cartErrors.emptyCart);
    this.records.set(recordId(userId, idem.key), {
      fingerprint: idem.fingerprint,
      status: 'in_flight',
      leaseToken,
      leaseExpiresAt: Date.now() + leaseMs,
      recoveryPoint: lines,
      response: null,
      expiresAt: Date.now() + this.limits.recordTtlMs,
    });
    return { kind: 'owned', leaseToken, lines };
  }

  private ownedRecord(userId: string, key: string, leaseToken: string): MemoryRecord | undefined {
    const record = this.records.get(recordId(userId, key));
    return record?.status === 'in_flight' && record.leaseToken === leaseToken ? record : undefined;
  }

  async completeCheckout({ userId, key, leaseToken, order, claimed, stockConfirmed, respond, cartChanged }: CheckoutCompletion): Promise<StoredResponse | null> {
    const record = this.ownedRecord(userId, key, leaseToken);
    if (!record) return null;
    // Synchronous from here on: nothing else touches the cart until this returns.
    let response: StoredResponse;
    const existing = this.orders.get(order.id);
    if (existing) {
      // An earlier life of this key already ordered: answer with that order, leave the cart alone.
      const { userId: _owner, ...view } = existing;
      response = respond(view);
    } else if (stockConfirmed && holdsEvery(this.carts.get(userId)?.lines, claimed)) {
      const lines = [...order.lines].sort((a, b) => (a.productId < b.productId ? -1 : 1));
      const created = { userId, id: order.id, lines, totalCents: order.totalCents, createdAt: order.createdAt.toISOString() };
      this.orders.set(order.id, created);
      const cart = this.carts.get(userId);
      if (cart) {
        for (const line of claimed) {
          const left = (cart.lines.get(line.productId) ?? 0) - line.quantity;
          if (left > 0) cart.lines.set(line.productId, left);
          else cart.lines.delete(line.productId);
        }
        cart.version += 1;
        cart.updatedAt = new Date();
      }
      const { userId: _owner, ...view } = created;
      response = respond(view);
    } else {
      // Another checkout ordered these lines, or the user lowered or removed one, while this
      // checkout waited: ordering now would order those units twice. Nothing is ordered and the 409
      // is the key's final outcome (checkout then releases the stock catalog reserved for it).
      response = cartChanged;
    }
    Object.assign(record, { status: 'done', leaseToken: null, leaseExpiresAt: 0, response });
    return response;
  }

  async failCheckout(userId: string, key: string, leaseToken: string, response: StoredResponse): Promise<boolean> {
    const record = this.ownedRecord(userId, key, leaseToken);
    if (record) Object.assign(record, { status: 'done', leaseToken: null, leaseExpiresAt: 0, response });
    return record !== undefined;
  }

  async renewLease(userId: string, key: string, leaseToken: string, leaseMs: number): Promise<boolean> {
    const record = this.ownedRecord(userId, key, leaseToken);
    if (record) record.leaseExpiresAt = Date.now() + leaseMs;
    return record !== undefined;
  }

  async releaseCheckout(userId: string, key: string, leaseToken: string): Promise<void> {
    const record = this.ownedRecord(userId, key, leaseToken);
    if (record) Object.assign(record, { leaseToken: null, leaseExpiresAt: 0 });
  }

  async listOrders(userId: string, limit: number): Promise<Order[]> {
    return [...this.orders.values()]
      .filter((order) => order.userId === userId)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(({ userId: _owner, ...order }) => order);
  }

  async findOrder(userId: string, orderId: string): Promise<Order | null> {
    const order = this.orders.get(orderId);
    if (!order || order.userId !== userId) return null;
    const { userId: _owner, ...view } = order;
    return view;
  }

  async removeExpiredRecords(): Promise<number> {
    let removed = 0;
    for (const [id, record] of this.records) {
      if (record.expiresAt <= Date.now()) {
        this.records.delete(id);
        removed += 1;
      }
    }
    return removed;
  }
}
