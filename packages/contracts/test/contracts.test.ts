// The shared schemas as both sides use them: catalog validates with Fastify's ajv, cart checks
// catalog's answers with TypeBox's Value.Check — which refuses any `format` it has no checker for,
// so what cart checks must be free of them.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_QUANTITY, ProductId, ReservationAnswerSchema, ReservationRequestSchema, type Reservation } from '../src/index.ts';

const answer: Reservation = {
  reservationId: 'order-4f1c:1',
  lines: [{ productId: 'sku-00042', quantity: 2, unitPriceCents: 1499 }],
  totalCents: 2998,
  createdAt: '2026-12-01T03:00:00.000Z',
  status: 'held',
  holdSeconds: 120,
  expiresAt: '2026-12-01T03:02:00.000Z',
};

describe('contracts', () => {
  it('a product id is a URL-safe slug', () => {
    expect(Value.Check(ProductId, 'sku-00042')).toBe(true);
    expect(Value.Check(ProductId, 'SKU 42')).toBe(false);
  });

  it('cart can check a whole answer of catalog, dates and all', () => {
    expect(Value.Check(ReservationAnswerSchema, answer)).toBe(true);
    expect(Value.Check(ReservationAnswerSchema, { ...answer, status: 'lost' })).toBe(false);
    expect(Value.Check(ReservationAnswerSchema, { ...answer, lines: [{ productId: 'sku-1', quantity: 1 }] })).toBe(false);
  });

  it('a reservation takes what a cart line may hold, no more', () => {
    const request = (quantity: number) => ({ reservationId: 'order-1', lines: [{ productId: 'sku-1', quantity }] });
    expect(Value.Check(ReservationRequestSchema, request(MAX_LINE_QUANTITY))).toBe(true);
    expect(Value.Check(ReservationRequestSchema, request(MAX_LINE_QUANTITY + 1))).toBe(false);
  });
});
