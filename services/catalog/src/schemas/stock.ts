// The reservation request and answer are cart's too (its checkout makes the reservations):
// @anypod/contracts defines them; what is catalog's own stays here.
import { Type } from '@sinclair/typebox';
import { ReservationId, type Reservation } from '@anypod/contracts';

/** The lines and prices fixed when the stock was taken: what a reservation row stores. */
export type ReservedLines = Pick<Reservation, 'reservationId' | 'lines' | 'totalCents' | 'createdAt'>;

export const ReservationParamsSchema = Type.Object({ reservationId: ReservationId }, { additionalProperties: false });
