import { Type, type Static } from '@sinclair/typebox';
import { ProductId } from './products.ts';

const ReservationId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$', minLength: 1, maxLength: 128, description: 'chosen by the caller and stable across retries (cart derives it from the order id)' });
const Quantity = Type.Integer({ minimum: 1, maximum: 1000 });

export const ReservationRequestSchema = Type.Object(
  {
    reservationId: ReservationId,
    lines: Type.Array(Type.Object({ productId: ProductId, quantity: Quantity }, { additionalProperties: false }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);
export type ReservationRequest = Static<typeof ReservationRequestSchema>;

export const ReservationSchema = Type.Object({
  reservationId: ReservationId,
  lines: Type.Array(Type.Object({ productId: ProductId, quantity: Quantity, unitPriceCents: Type.Integer({ minimum: 0 }) }), { maxItems: 100 }),
  totalCents: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Reservation = Static<typeof ReservationSchema>;
