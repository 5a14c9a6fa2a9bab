// Stock reservations for checkout, exactly once per reservationId. One transaction claims the id
// (a row in stock_reservations), decrements every line guarded by `stock >= quantity`, and stores
// the result. A retry finds the row and replays the result; a concurrent retry waits on the
// row's unique index until the first commits (or rolls back, in which case it does the work).
// Failures (unknown product, not enough stock) roll everything back, including the claim, so the
// same id can be retried later — only a successful reservation is ever remembered.
import { createHash } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Reservation, ReservationRequest } from '../../schemas/stock.ts';
import type { ReadThroughCache } from './cache.ts';

type Line = ReservationRequest['lines'][number];

/** Lines in product order: the lock order (no deadlocks between reservations) and the fingerprint input. */
function canonicalLines(lines: Line[]): Line[] {
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (seen.has(line.productId)) {
      throw new HttpProblem(400, `body lines.${i}.productId: "${line.productId}" appears more than once`, { errors: [{ field: `lines.${i}.productId`, message: 'appears more than once' }] });
    }
    seen.add(line.productId);
  });
  return [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)).map(({ productId, quantity }) => ({ productId, quantity }));
}

const fingerprintOf = (lines: Line[]) => createHash('sha256').update(JSON.stringify(lines.map((l) => [l.productId, l.quantity]))).digest('hex');

export class StockService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: ReadThroughCache,
  ) {}

  /** Reserves all lines or none. `replayed` is true when this reservationId had already succeeded. */
  async reserve(request: ReservationRequest, requestedBy: string): Promise<{ reservation: Reservation; replayed: boolean }> {
    const lines = canonicalLines(request.lines);
    const fingerprint = fingerprintOf(lines);
    const outcome = await this.prisma.$transaction(async (tx) => {
      const claimed = await tx.$executeRaw`
        INSERT INTO stock_reservations (id, requested_by, fingerprint, result)
        VALUES (${request.reservationId}, ${requestedBy}, ${fingerprint}, '{}'::jsonb)
        ON CONFLICT (id) DO NOTHING`;
      if (claimed === 0) {
        const existing = await tx.stockReservation.findUniqueOrThrow({ where: { id: request.reservationId } });
        if (existing.fingerprint !== fingerprint || existing.requestedBy !== requestedBy) {
          throw new HttpProblem(422, `Reservation "${request.reservationId}" was already made with different lines; use a new reservationId for a different order.`);
        }
        return { reservation: existing.result as unknown as Reservation, replayed: true };
      }

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
      const reservation: Reservation = {
        reservationId: request.reservationId,
        lines: reserved,
        totalCents: reserved.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
        createdAt: new Date().toISOString(),
      };
      await tx.stockReservation.update({ where: { id: request.reservationId }, data: { result: reservation } });
      return { reservation, replayed: false };
    });
    // Stock and version changed: cached copies of these products (and listings) are stale now.
    if (!outcome.replayed) await this.cache.invalidate(lines.map((l) => l.productId));
    return outcome;
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

declare module 'fastify' {
  interface FastifyInstance {
    stock: StockService;
  }
}

export default fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('stock', new StockService(fastify.prisma, fastify.cache));
  },
  { name: 'stock', fastify: '5.x', dependencies: ['prisma', 'cache'] },
);
