// Catalog's stock reservations (POST /catalog/stock/reservations, …/{id}/confirm, DELETE …/{id}):
// catalog validates and documents its routes with these schemas; cart's checkout sends the
// request and checks the answer with them.
import { Type, type Static } from '@sinclair/typebox';
import { LineQuantity, MAX_LINES, ProductId } from './products.ts';

export const ReservationId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', minLength: 1, maxLength: 128, description: 'chosen by the caller and stable across retries (cart derives it from the order id)' });

/** The most a caller may ask for; the service's RESERVATION_MAX_HOLD_SECONDS caps it further. */
export const MAX_HOLD_SECONDS = 3600;

export const ReservationRequestSchema = Type.Object(
  {
    reservationId: ReservationId,
    lines: Type.Array(Type.Object({ productId: ProductId, quantity: LineQuantity }, { additionalProperties: false }), { minItems: 1, maxItems: MAX_LINES }),
    holdSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_HOLD_SECONDS,
        description: 'how long the caller needs the stock held before it confirms; capped by the service (RESERVATION_MAX_HOLD_SECONDS, also the default)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ReservationRequest = Static<typeof ReservationRequestSchema>;

export const ReservationStatus = Type.Union([Type.Literal('held'), Type.Literal('confirmed'), Type.Literal('released'), Type.Literal('expired')], {
  description: 'held until confirmed (sold), released (the checkout ordered nothing) or expired (nobody confirmed in time); released and expired stock is back on sale',
});
export type ReservationStatus = Static<typeof ReservationStatus>;

export const ReservationSchema = Type.Object({
  reservationId: ReservationId,
  lines: Type.Array(Type.Object({ productId: ProductId, quantity: LineQuantity, unitPriceCents: Type.Integer({ minimum: 0 }) }), { maxItems: MAX_LINES }),
  totalCents: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
  status: ReservationStatus,
  holdSeconds: Type.Integer({ minimum: 0, description: 'while held: seconds from this answer until it expires unless confirmed (the granted hold); otherwise 0' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'while held: when it expires, by the catalog clock; otherwise null' }),
});
export type Reservation = Static<typeof ReservationSchema>;

/**
 * The part of a reservation answer a caller checks before using it (TypeBox's Value.Check): what
 * cart reads — the lines with their prices, the status, the hold granted. The dates are left out:
 * Value.Check refuses a `format` it has no checker registered for, and cart does not read them.
 */
export const ReservationAnswerSchema = Type.Pick(ReservationSchema, ['reservationId', 'lines', 'status', 'holdSeconds']);
export type ReservationAnswer = Static<typeof ReservationAnswerSchema>;
