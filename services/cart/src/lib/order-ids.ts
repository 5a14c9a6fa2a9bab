// A checkout's order id is a pure function of (user, Idempotency-Key), and its catalog
// reservation id a pure function of the order id. Every retry of one checkout — on whichever
// replica, after whichever crash — therefore names the same order and asks catalog for the same
// reservation, which catalog applies once.
import { createHash } from 'node:crypto';

/** A UUID (version 8, "custom", RFC 9562 §5.8) made from sha256(user, key). */
export function orderIdFor(userId: string, idempotencyKey: string): string {
  const hash = createHash('sha256').update(`anypod-cart-order\n${userId}\n${idempotencyKey}`).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x80; // version 8
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const reservationIdFor = (orderId: string): string => `order-${orderId}`;
