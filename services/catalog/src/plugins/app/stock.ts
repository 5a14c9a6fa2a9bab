// Stock reservations for checkout, exactly once per reservationId, and never kept forever.
//
// Reserving: one transaction claims the id (a row in stock_reservations), decrements every line
// guarded by `stock >= quantity`, and stores the lines and prices. A retry finds the row and
// replays it; a concurrent retry waits on the row's unique index until the first commits (or
// rolls back, in which case it does the work). Failures (unknown product, not enough stock) roll
// everything back, including the claim, so the same id can be retried later.
//
// Holding: a new reservation is `held` for as long as the caller asked (capped by
// RESERVATION_MAX_HOLD_SECONDS). The caller then confirms it (sold) or releases it (its checkout
// ordered nothing). If neither happens in time — the caller's replica died and nobody retried —
// it expires: a sweep on every replica, or the next call that touches it, returns its stock.
// Every change of status happens under the reservation's row lock and only from `held` (or
// `confirmed`, for a release), in the transaction that returns the stock: however many replicas
// race on one reservation, its stock comes back once. Locks are always taken reservation first,
// then products in id order, as reserving does, so these transactions cannot deadlock.
import { createHash } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import { idempotencyCounter, reservationsCounter, type ReservationEvent } from '@anypod/platform/anypod-metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.ts';
import type { Reservation, ReservationRequest, ReservationStatus } from '@anypod/contracts';
import type { ReservedLines } from '../../schemas/stock.ts';
import type { ReadThroughCache } from './cache.ts';

type Line = ReservationRequest['lines'][number];
type Tx = Prisma.TransactionClient;

interface ReservationRow {
  id: string;
  requested_by: string;
  fingerprint: string;
  result: ReservedLines;
  status: ReservationStatus;
  expires_at: Date | null;
  /** held past its expiry (by the database clock) */
  due: boolean;
  /** whole seconds left on the hold (0 unless held) */
  hold_left: number;
}

/** What a call did, for its answer and for the cache: stock moved on these products. */
interface Outcome {
  row: ReservationRow;
  replayed: boolean;
  stockMoved: string[];
  /** the change of state this call made, counted once its transaction committed */
  event?: ReservationEvent;
}

/** Lines in product order: the lock order (no deadlocks between reservations) and the fingerprint input. */
function canonicalLines(lines: Line[]): Line[] {
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (seen.has(line.productId)) {
      throw new HttpProblem(400, `body lines.${i}.productId: "${line.productId}" appears more than once`, { errors: [{ field: `lines.${i}.productId`, message: 'appears more than once' }] });
    }
    seen.add(line.productId);
  });
  return [...lines].sort(byProduct).map(({ productId, quantity }) => ({ productId, quantity }));
}

const byProduct = (a: { productId: string }, b: { productId: string }) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);
const fingerprintOf = (lines: Line[]) => createHash('sha256').update(JSON.stringify(lines.map((l) => [l.productId, l.quantity]))).digest('hex');
const productsOf = (row: ReservationRow) => row.result.lines.map((l) => l.productId);

/** The reservation as the API shows it. */
export function answerOf(row: ReservationRow): Reservation {
  const held = row.status === 'held';
  return { ...row.result, status: row.status, holdSeconds: held ? row.hold_left : 0, expiresAt: held && row.expires_at ? row.expires_at.toISOString() : null };
}

const notFound = (id: string) => new HttpProblem(404, `There is no reservation "${id}" of yours.`);

export class StockService {
  private readonly reservations;
  private readonly idempotency;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: ReadThroughCache,
    private readonly maxHoldSeconds: number,
    registry: Registry,
  ) {
    this.reservations = reservationsCounter(registry);
    this.idempotency = idempotencyCounter(registry);
  }

  /**
   * Reserves all lines or none, held for `holdSeconds` (capped). A retry of a held reservation
   * replays it and holds it again for as long as asked — the caller is still working on it; a
   * retry of a released or expired one takes the stock again, as a new reservation would.
   */
  async reserve(request: ReservationRequest, requestedBy: string): Promise<{ reservation: Reservation; replayed: boolean }> {
    const lines = canonicalLines(request.lines);
    const fingerprint = fingerprintOf(lines);
    const holdSeconds = Math.min(request.holdSeconds ?? this.maxHoldSeconds, this.maxHoldSeconds);
    const hold = holdSeconds * 1000;
    const outcome = await this.prisma.$transaction(async (tx): Promise<Outcome> => {
      const claimed = await tx.$executeRaw`
        INSERT INTO stock_reservations (id, requested_by, fingerprint, result, status, expires_at)
        VALUES (${request.reservationId}, ${requestedBy}, ${fingerprint}, '{}'::jsonb, 'held', now() + ${hold}::float8 * interval '1 millisecond')
        ON CONFLICT (id) DO NOTHING`;
      if (claimed === 0) {
        const existing = await lockReservation(tx, request.reservationId);
        if (!existing) throw new Error(`reservation ${request.reservationId} vanished between insert and read`);
        if (existing.fingerprint !== fingerprint || existing.requested_by !== requestedBy) {
          this.idempotency.inc({ result: 'conflict' }); // the throw ends the transaction: counted once
          throw new HttpProblem(422, `Reservation "${request.reservationId}" was already made with different lines; use a new reservationId for a different order.`);
        }
        if (existing.status === 'confirmed') return { row: existing, replayed: true, stockMoved: [] };
        if (existing.status === 'held') {
          await tx.$executeRaw`
            UPDATE stock_reservations SET expires_at = GREATEST(expires_at, now() + ${hold}::float8 * interval '1 millisecond')
            WHERE id = ${request.reservationId}`;
          return { row: await readReservation(tx, request.reservationId), replayed: true, stockMoved: [] };
        }
      }
      // A new reservation, or one whose stock went back (released, expired): take the stock now.
      const reserved = await this.take(tx, request, lines);
      await tx.$executeRaw`
        UPDATE stock_reservations
        SET result = ${JSON.stringify(reserved)}::jsonb, status = 'held', settled_at = NULL,
            expires_at = now() + ${hold}::float8 * interval '1 millisecond'
        WHERE id = ${request.reservationId}`;
      return { row: await readReservation(tx, request.reservationId), replayed: false, stockMoved: lines.map((l) => l.productId), event: 'created' };
    });
    this.idempotency.inc({ result: outcome.replayed ? 'replay' : 'first' });
    this.record(outcome);
    await this.invalidate(outcome.stockMoved);
    return { reservation: answerOf(outcome.row), replayed: outcome.replayed };
  }

  /**
   * The checkout completed: the stock is sold. Idempotent. A reservation that expired (even one
   * the sweep has not reached yet) or was released cannot be confirmed: 409, its stock is back.
   */
  async confirm(reservationId: string, requestedBy: string): Promise<{ reservation: Reservation; replayed: boolean }> {
    const outcome = await this.prisma.$transaction(async (tx): Promise<Outcome> => {
      const row = await lockReservation(tx, reservationId);
      if (!row || row.requested_by !== requestedBy) throw notFound(reservationId);
      if (row.status === 'confirmed') return { row, replayed: true, stockMoved: [] };
      if (row.status !== 'held') return { row, replayed: false, stockMoved: [] };
      if (row.due) return { row: await this.settle(tx, row, 'expired'), replayed: false, stockMoved: productsOf(row), event: 'expired' };
      await tx.$executeRaw`UPDATE stock_reservations SET status = 'confirmed', expires_at = NULL, settled_at = now() WHERE id = ${reservationId}`;
      return { row: await readReservation(tx, reservationId), replayed: false, stockMoved: [], event: 'committed' };
    });
    this.record(outcome);
    await this.invalidate(outcome.stockMoved);
    if (outcome.row.status !== 'confirmed') {
      throw new HttpProblem(409, `Reservation "${reservationId}" is ${outcome.row.status}: its stock was returned and nothing was sold. Reserve again to buy.`, {
        errors: [{ field: 'status', message: outcome.row.status }],
      });
    }
    return { reservation: answerOf(outcome.row), replayed: outcome.replayed };
  }

  /**
   * The checkout ordered nothing: the stock goes back on sale, whether the reservation was held
   * or already confirmed (a checkout that confirmed and then found its cart changed). Idempotent:
   * a reservation already released or expired is answered as it is.
   */
  async release(reservationId: string, requestedBy: string): Promise<{ reservation: Reservation; replayed: boolean }> {
    const outcome = await this.prisma.$transaction(async (tx): Promise<Outcome> => {
      const row = await lockReservation(tx, reservationId);
      if (!row || row.requested_by !== requestedBy) throw notFound(reservationId);
      if (row.status === 'released' || row.status === 'expired') return { row, replayed: true, stockMoved: [] };
      return { row: await this.settle(tx, row, 'released'), replayed: false, stockMoved: productsOf(row), event: 'released' };
    });
    this.record(outcome);
    await this.invalidate(outcome.stockMoved);
    return { reservation: answerOf(outcome.row), replayed: outcome.replayed };
  }

  /**
   * Returns the stock of held reservations past their expiry, at most `limit` per call. Safe on
   * every replica at once: each reservation is settled in its own transaction under its row lock
   * (SKIP LOCKED: one that another replica or a confirm is handling is left to it).
   */
  async expireDue(limit = 100): Promise<number> {
    const due = await this.prisma.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM stock_reservations WHERE status = 'held' AND expires_at <= now() ORDER BY expires_at LIMIT ${limit}`;
    let expired = 0;
    for (const { id } of due) {
      const products = await this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<ReservationRow[]>`
          SELECT ${ROW_COLUMNS} FROM stock_reservations
          WHERE id = ${id} AND status = 'held' AND expires_at <= now() FOR UPDATE SKIP LOCKED`;
        const row = rows[0];
        if (!row) return [];
        await this.settle(tx, row, 'expired');
        return productsOf(row);
      });
      if (products.length > 0) {
        expired++;
        this.reservations.inc({ event: 'expired' });
        await this.invalidate(products);
      }
    }
    return expired;
  }

  private record(outcome: Outcome): void {
    if (outcome.event) this.reservations.inc({ event: outcome.event });
  }

  /** Decrements every line (in product order) or throws why not, rolling the transaction back. */
  private async take(tx: Tx, request: ReservationRequest, lines: Line[]): Promise<ReservedLines> {
    const reserved: Reservation['lines'] = [];
    for (const line of lines) {
      const rows = await tx.$queryRaw<Array<{ price_cents: number }>>`
        UPDATE products SET stock = stock - ${line.quantity}, version = version + 1, updated_at = now()
        WHERE id = ${line.productId} AND stock >= ${line.quantity}
        RETURNING price_cents`;
      const row = rows[0];
      // Report the failing line by its position in the request, not in the sorted order.
      if (!row) throw await this.whyNot(tx, line, request.lines.findIndex((l) => l.productId === line.productId));
      reserved.push({ ...line, unitPriceCents: row.price_cents });
    }
    return {
      reservationId: request.reservationId,
      lines: reserved,
      totalCents: reserved.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
      createdAt: new Date().toISOString(),
    };
  }

  /** Gives the stock back and leaves `held`/`confirmed` for good; the caller holds the row lock. */
  private async settle(tx: Tx, row: ReservationRow, status: 'released' | 'expired'): Promise<ReservationRow> {
    for (const line of [...row.result.lines].sort(byProduct)) {
      // A product deleted since has no stock to return to.
      await tx.$executeRaw`
        UPDATE products SET stock = stock + ${line.quantity}, version = version + 1, updated_at = now() WHERE id = ${line.productId}`;
    }
    await tx.$executeRaw`UPDATE stock_reservations SET status = ${status}, expires_at = NULL, settled_at = now() WHERE id = ${row.id}`;
    return readReservation(tx, row.id);
  }

  /** Stock and version changed: cached copies of these products (and listings) are stale now. */
  private async invalidate(productIds: string[]): Promise<void> {
    if (productIds.length > 0) await this.cache.invalidate(productIds);
  }

  private async whyNot(tx: Pick<PrismaClient, 'product'>, line: Line, index: number): Promise<HttpProblem> {
    const product = await tx.product.findUnique({ where: { id: line.productId }, select: { stock: true } });
    const field = `lines.${index}`;
    if (!product) return new HttpProblem(422, `There is no product "${line.productId}".`, { errors: [{ field: `${field}.productId`, message: 'no such product' }] });
    return new HttpProblem(409, `Not enough stock for "${line.productId}": ${line.quantity} requested, ${product.stock} available.`, {
      errors: [{ field: `${field}.quantity`, message: `only ${product.stock} of ${line.productId} in stock` }],
    });
  }
}

// `now()` is the transaction's start: every decision in one transaction uses one instant.
const ROW_COLUMNS = Prisma.sql`
  id, requested_by, fingerprint, result, status, expires_at,
  (status = 'held' AND expires_at <= now()) AS due,
  GREATEST(0, floor(EXTRACT(EPOCH FROM (expires_at - now()))))::int AS hold_left`;

async function lockReservation(tx: Tx, id: string): Promise<ReservationRow | undefined> {
  const rows = await tx.$queryRaw<ReservationRow[]>`SELECT ${ROW_COLUMNS} FROM stock_reservations WHERE id = ${id} FOR UPDATE`;
  return rows[0];
}

async function readReservation(tx: Tx, id: string): Promise<ReservationRow> {
  const row = await lockReservation(tx, id);
  if (!row) throw new Error(`reservation ${id} vanished inside its own transaction`);
  return row;
}

declare module 'fastify' {
  interface FastifyInstance {
    stock: StockService;
  }
}

export default fp(
  async (fastify: FastifyInstance, opts: { maxHoldSeconds: number }) => {
    fastify.decorate('stock', new StockService(fastify.prisma, fastify.cache, opts.maxHoldSeconds, fastify.metrics));
  },
  { name: 'stock', fastify: '5.x', dependencies: ['prisma', 'cache', 'metrics'] },
);
