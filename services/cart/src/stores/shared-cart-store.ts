// The default store: Postgres, the one place every replica reads and writes, so any replica
// serves any request and killing one loses nothing acknowledged.
//
// Concurrency, in one paragraph: every change to a cart first locks its `carts` row (the add's
// upsert, the edit's conditional version bump, checkout's SELECT … FOR UPDATE), so changes to
// one cart are serialised by Postgres while different carts never wait on each other. Adds are a
// single commutative statement; edits apply only if the version still matches If-Match; checkout
// orders only if, under that lock, the cart still holds every line of its snapshot. Idempotency
// records are written in the same transaction as the effect (lock order: record, then cart), so
// an effect never commits without its record, nor a record without its effect.
import { randomUUID } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { cartEtag } from '../schemas/cart.ts';
import type { IdempotencyResult } from '@anypod/platform/anypod-metrics';
import { resolveExisting, type ExistingRecord, type IdempotencyObserver, type IdempotencyRequest, type StoredResponse } from '../lib/idempotency.ts';
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
import { asUnavailable, isRetryableConflict } from './database-errors.ts';

type Db = Prisma.TransactionClient;
/** A check on the cart as it is after an effect (and before commit): throws to roll the change back. */
type CartCheck = (cart: CartState) => void;

interface RecordRow {
  fingerprint: string;
  status: 'in_flight' | 'done';
  lease_left_ms: number | null;
  recovery_point: { lines: CartLine[] } | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: string | null;
}

// Short transactions only: the network call of a checkout happens between two of them.
const TX_OPTIONS = { maxWait: 5000, timeout: 10_000 };
const MAX_TX_ATTEMPTS = 3;

function existingFrom(row: RecordRow): ExistingRecord {
  const response = row.response_status === null ? null : { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body ?? '' };
  return { fingerprint: row.fingerprint, status: row.status, leaseLeftMs: Number(row.lease_left_ms ?? 0), response };
}

function orderFrom(row: { id: string; totalCents: bigint; createdAt: Date; lines: Array<{ productId: string; quantity: number; unitPriceCents: number }> }): Order {
  return {
    id: row.id,
    lines: row.lines.map(({ productId, quantity, unitPriceCents }) => ({ productId, quantity, unitPriceCents })),
    totalCents: Number(row.totalCents),
    createdAt: row.createdAt.toISOString(),
  };
}

const orderInclude = { lines: { orderBy: { productId: 'asc' as const } } };

export class SharedCartStore implements CartStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly limits: CartStoreLimits,
    private readonly observe: IdempotencyObserver,
  ) {}

  /**
   * Runs `work` in a transaction. A deadlock or serialization failure rolled everything back, so
   * the work runs again (a few times); overload and timeouts become 503 + Retry-After, which
   * clients retry, rather than a 500.
   */
  private async transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.prisma.$transaction(work, TX_OPTIONS);
      } catch (error) {
        if (isRetryableConflict(error) && attempt < MAX_TX_ATTEMPTS) continue;
        throw asUnavailable(error) ?? error;
      }
    }
  }

  /**
   * `transaction` for work that claims a key: what the key decided is reported once, from the
   * attempt that counted (a retried attempt's decision was rolled back with it).
   */
  private async keyed<T>(work: (tx: Db, decide: IdempotencyObserver) => Promise<T>): Promise<T> {
    let decided: IdempotencyResult | undefined;
    try {
      return await this.transaction((tx) => {
        decided = undefined;
        return work(tx, (result) => (decided = result));
      });
    } finally {
      if (decided) this.observe(decided);
    }
  }

  async read(userId: string): Promise<CartState> {
    return readCart(this.prisma, userId);
  }

  /**
   * Inserts the key's record as in flight, or — when the key is taken — returns what the earlier
   * request decided. An insert that meets another transaction's uncommitted insert of the same
   * key waits for it, so concurrent duplicates of an add see its outcome instead of running twice.
   * A record past its expiry is reclaimed as if new.
   */
  private async claim(tx: Db, userId: string, idem: IdempotencyRequest, lease: { token: string; ms: number } | null): Promise<'claimed' | RecordRow> {
    const inserted = await tx.$executeRaw`
      INSERT INTO idempotency_records (user_id, key, fingerprint, status, lease_token, lease_expires_at, expires_at)
      VALUES (${userId}, ${idem.key}, ${idem.fingerprint}, 'in_flight', ${lease?.token ?? null}::uuid,
              ${lease ? Prisma.sql`now() + ${lease.ms}::float8 * interval '1 millisecond'` : Prisma.sql`NULL`},
              now() + ${this.limits.recordTtlMs}::float8 * interval '1 millisecond')
      ON CONFLICT (user_id, key) DO UPDATE SET
        fingerprint = EXCLUDED.fingerprint, status = 'in_flight', lease_token = EXCLUDED.lease_token,
        lease_expires_at = EXCLUDED.lease_expires_at, recovery_point = NULL, response_status = NULL,
        response_headers = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
      WHERE idempotency_records.expires_at <= now()`;
    if (inserted === 1) return 'claimed';
    const rows = await tx.$queryRaw<RecordRow[]>`
      SELECT fingerprint, status, recovery_point, response_status, response_headers, response_body,
             GREATEST(0, EXTRACT(EPOCH FROM (lease_expires_at - clock_timestamp())) * 1000)::float8 AS lease_left_ms
      FROM idempotency_records WHERE user_id = ${userId} AND key = ${idem.key} FOR UPDATE`;
    const row = rows[0];
    if (!row) throw new Error('idempotency record vanished between insert and read');
    return row;
  }

  private async finishRecord(tx: Db, userId: string, key: string, response: StoredResponse, leaseToken?: string): Promise<boolean> {
    // Raw SQL on the hot path: every add and checkout ends here, and a raw statement skips the
    // ORM's per-call query compilation (a tenth of a cart replica's CPU under load).
    const done = await tx.$executeRaw`
      UPDATE idempotency_records SET status = 'done', lease_token = NULL, lease_expires_at = NULL,
        response_status = ${response.status}::int, response_headers = ${JSON.stringify(response.headers)}::jsonb, response_body = ${response.body}
      WHERE user_id = ${userId} AND key = ${key} AND status = 'in_flight'
        ${leaseToken ? Prisma.sql`AND lease_token = ${leaseToken}::uuid` : Prisma.empty}`;
    return done === 1;
  }

  /** Claim, effect, response and record in one transaction; a taken key replays instead. */
  private async mutate(userId: string, idem: IdempotencyRequest | null, effect: (tx: Db) => Promise<CartCheck | void>, respond: RespondWithCart): Promise<MutationResult> {
    return this.keyed(async (tx, decide) => {
      if (idem) {
        const claim = await this.claim(tx, userId, idem, null);
        if (claim !== 'claimed') return replayEarlier(existingFrom(claim), idem.fingerprint, decide);
        decide('first');
      }
      const check = await effect(tx);
      const cart = await readCart(tx, userId);
      // Throwing here still rolls the effect and the claim back.
      if (check) check(cart);
      const response = respond(cart);
      if (idem) await this.finishRecord(tx, userId, idem.key, response);
      return { response, replayed: false };
    });
  }

  add(userId: string, item: AddItem, idem: IdempotencyRequest, respond: RespondWithCart): Promise<MutationResult> {
    return this.mutate(userId, idem, async (tx) => {
      // The commutative add (reliability.md): one statement creates the cart or bumps its version,
      // and creates the line or adds to it. Concurrent adds never overwrite each other.
      const rows = await tx.$queryRaw<Array<{ cart_id: string; quantity: number }>>`
        WITH cart AS (
          INSERT INTO carts (id, user_id, version, updated_at) VALUES (gen_random_uuid(), ${userId}, 1, ${new Date()})
          ON CONFLICT (user_id) DO UPDATE SET version = carts.version + 1, updated_at = EXCLUDED.updated_at
          RETURNING id
        )
        INSERT INTO cart_lines (cart_id, product_id, quantity)
        SELECT id, ${item.productId}, ${item.quantity}::int FROM cart
        ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity
        RETURNING cart_id, quantity`;
      const line = rows[0];
      if (!line) throw new Error('add returned no line');
      if (line.quantity > this.limits.maxLineQuantity) throw new HttpProblem(409, cartErrors.lineTooLarge(item.productId, this.limits.maxLineQuantity));
      // The cart row is locked by the statement above, so the lines read next (for the response)
      // cannot race another add: counting them is the line limit's check, without a query of its own.
      return (cart) => {
        if (cart.lines.length > this.limits.maxLines) throw new HttpProblem(409, cartErrors.tooManyLines(this.limits.maxLines));
      };
    }, respond);
  }

  edit(userId: string, edit: CartEdit, ifMatch: number[], idem: IdempotencyRequest | null, respond: RespondWithCart): Promise<MutationResult> {
    return this.mutate(userId, idem, async (tx) => {
      // Conditional write: only the version the client saw may be changed (lost-update guard).
      const bumped = await tx.cart.updateMany({ where: { userId, version: { in: ifMatch } }, data: { version: { increment: 1 }, updatedAt: new Date() } });
      if (bumped.count !== 1) {
        const current = await tx.cart.findUnique({ where: { userId }, select: { version: true } });
        const version = current?.version ?? 0;
        if (current || !ifMatch.includes(0)) throw new HttpProblem(412, cartErrors.stale(version), { headers: { etag: cartEtag(version) } });
        throw new HttpProblem(404, cartErrors.lineMissing(edit.productId));
      }
      const where = { cart: { userId }, productId: edit.productId };
      const changed = edit.kind === 'set' ? await tx.cartLine.updateMany({ where, data: { quantity: edit.quantity } }) : await tx.cartLine.deleteMany({ where });
      // Throwing rolls the version bump back: a failed edit changes nothing.
      if (changed.count !== 1) throw new HttpProblem(404, cartErrors.lineMissing(edit.productId));
    }, respond);
  }

  async claimCheckout(userId: string, idem: IdempotencyRequest, leaseMs: number): Promise<CheckoutClaim> {
    const leaseToken = randomUUID();
    return this.keyed(async (tx, decide) => {
      const claim = await this.claim(tx, userId, idem, { token: leaseToken, ms: leaseMs });
      if (claim === 'claimed') {
        decide('first');
        // The recovery point: what this checkout orders, fixed now, so a retry after a crash
        // asks catalog for exactly the same reservation even if the cart changed meanwhile.
        const { lines } = await readCart(tx, userId);
        if (lines.length === 0) throw new HttpProblem(409, cartErrors.emptyCart); // rolls the claim back: nothing recorded
        await tx.$executeRaw`
          UPDATE idempotency_records SET recovery_point = ${JSON.stringify({ lines })}::jsonb WHERE user_id = ${userId} AND key = ${idem.key}`;
        return { kind: 'owned', leaseToken, lines };
      }
      const earlier = resolveExisting(existingFrom(claim), idem.fingerprint, decide);
      if (earlier !== 'lease-expired') return { kind: 'replay', response: earlier };
      decide('takeover');
      // The previous owner stopped (crashed or gave up): take over under the row lock taken above.
      await tx.$executeRaw`
        UPDATE idempotency_records SET lease_token = ${leaseToken}::uuid, lease_expires_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
        WHERE user_id = ${userId} AND key = ${idem.key}`;
      // Every claim saves its snapshot; a takeover without one would order nothing and call it done.
      if (!claim.recovery_point) throw new Error(`checkout record ${idem.key} has no recovery point to resume from`);
      return { kind: 'owned', leaseToken, lines: claim.recovery_point.lines };
    });
  }

  async completeCheckout({ userId, key, leaseToken, order, claimed, stockConfirmed, respond, cartChanged }: CheckoutCompletion): Promise<StoredResponse | null> {
    return this.transaction(async (tx) => {
      // Lock order as everywhere: the key's record, then the cart.
      const mine = await tx.$queryRaw<unknown[]>`
        SELECT 1 FROM idempotency_records
        WHERE user_id = ${userId} AND key = ${key} AND status = 'in_flight' AND lease_token = ${leaseToken}::uuid FOR UPDATE`;
      if (mine.length !== 1) return null;
      // The order id is derived from the key: if it exists, an earlier life of this key (its record
      // since expired) already ordered — answer with that order and leave the cart alone.
      const existing = await tx.order.findUnique({ where: { id: order.id }, include: orderInclude });
      let response: StoredResponse;
      if (existing) {
        response = respond(orderFrom(existing));
      } else if (stockConfirmed && (await cartStillHolds(tx, userId, claimed))) {
        const created = await tx.order.create({
          data: { id: order.id, userId, reservationId: order.reservationId, totalCents: BigInt(order.totalCents), createdAt: order.createdAt, lines: { create: order.lines } },
          include: orderInclude,
        });
        await removeOrderedFromCart(tx, userId, claimed);
        response = respond(orderFrom(created));
      } else {
        // The snapshot's lines are no longer (all) in the cart — now, or already when checkout
        // decided not to confirm the stock: another checkout ordered them, or the user lowered or
        // removed one while this checkout waited. Ordering now would order those units twice, so
        // nothing is ordered and the 409 is this key's final outcome (checkout then releases the
        // stock catalog reserved for it).
        response = cartChanged;
      }
      await this.finishRecord(tx, userId, key, response, leaseToken);
      return response;
    });
  }

  async failCheckout(userId: string, key: string, leaseToken: string, response: StoredResponse): Promise<boolean> {
    return this.transaction((tx) => this.finishRecord(tx, userId, key, response, leaseToken));
  }

  async renewLease(userId: string, key: string, leaseToken: string, leaseMs: number): Promise<boolean> {
    const renewed = await this.prisma.$executeRaw`
      UPDATE idempotency_records SET lease_expires_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
      WHERE user_id = ${userId} AND key = ${key} AND status = 'in_flight' AND lease_token = ${leaseToken}::uuid`;
    return renewed === 1;
  }

  async releaseCheckout(userId: string, key: string, leaseToken: string): Promise<void> {
    await this.prisma.idempotencyRecord.updateMany({ where: { userId, key, status: 'in_flight', leaseToken }, data: { leaseToken: null, leaseExpiresAt: new Date(0) } });
  }

  async listOrders(userId: string, limit: number): Promise<Order[]> {
    const rows = await this.prisma.order.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: limit, include: orderInclude });
    return rows.map(orderFrom);
  }

  async findOrder(userId: string, orderId: string): Promise<Order | null> {
    const row = await this.prisma.order.findFirst({ where: { id: orderId, userId }, include: orderInclude });
    return row ? orderFrom(row) : null;
  }

  async removeExpiredRecords(): Promise<number> {
    const removed = await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    return removed.count;
  }
}

/**
 * The cart and its lines in one round trip (the ORM's findUnique with include sends two
 * statements and compiles each call): every add and edit answers with it.
 */
async function readCart(db: Db, userId: string): Promise<CartState> {
  const rows = await db.$queryRaw<Array<{ version: number; updated_at: Date; product_id: string | null; quantity: number | null }>>`
    SELECT c.version, c.updated_at, l.product_id, l.quantity
    FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id
    WHERE c.user_id = ${userId}
    ORDER BY l.added_at ASC, l.product_id ASC`;
  const first = rows[0];
  if (!first) return { lines: [], version: 0, updatedAt: null };
  const lines: CartLine[] = [];
  for (const row of rows) if (row.product_id !== null && row.quantity !== null) lines.push({ productId: row.product_id, quantity: row.quantity });
  return { lines, version: first.version, updatedAt: first.updated_at };
}

/**
 * Locks the cart row (every change to a cart locks it first, so from here until commit nothing
 * else changes this cart's lines) and tells whether the cart still holds every ordered line with
 * at least the ordered quantity. No cart at all holds nothing.
 */
async function cartStillHolds(tx: Db, userId: string, ordered: CartLine[]): Promise<boolean> {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM carts WHERE user_id = ${userId} FOR UPDATE`;
  const cart = locked[0];
  if (!cart) return ordered.length === 0;
  // Read after the lock: under READ COMMITTED this statement sees every change committed before it.
  const lines = await tx.cartLine.findMany({ where: { cartId: cart.id }, select: { productId: true, quantity: true } });
  return holdsEvery(new Map(lines.map((line) => [line.productId, line.quantity])), ordered);
}

/**
 * The cart minus what was ordered (usually: empty). Subtracting rather than clearing keeps an
 * item the user added while the checkout was in flight. The caller has locked the cart row and
 * checked that every ordered line is there with at least the ordered quantity (`cartStillHolds`),
 * so every line below is found and none goes negative.
 */
async function removeOrderedFromCart(tx: Db, userId: string, ordered: CartLine[]): Promise<void> {
  await tx.cart.updateMany({ where: { userId }, data: { version: { increment: 1 }, updatedAt: new Date() } });
  const lines = JSON.stringify(ordered.map((l) => ({ product_id: l.productId, quantity: l.quantity })));
  await tx.$executeRaw`
    DELETE FROM cart_lines l USING carts c, jsonb_to_recordset(${lines}::jsonb) AS o(product_id text, quantity int)
    WHERE c.user_id = ${userId} AND l.cart_id = c.id AND l.product_id = o.product_id AND l.quantity <= o.quantity`;
  await tx.$executeRaw`
    UPDATE cart_lines l SET quantity = l.quantity - o.quantity
    FROM carts c, jsonb_to_recordset(${lines}::jsonb) AS o(product_id text, quantity int)
    WHERE c.user_id = ${userId} AND l.cart_id = c.id AND l.product_id = o.product_id AND l.quantity > o.quantity`;
}
