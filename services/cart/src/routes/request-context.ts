// What every cart route reads from a request: who is asking, and the Idempotency-Key with the
// fingerprint of the request it names.
import { HttpProblem } from '@anypod/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeKey, requestFingerprint, type IdempotencyRequest } from '../lib/idempotency.ts';
import { JSON_TYPE } from '../lib/stored-response.ts';
import { cartEtag, type Cart, type Order } from '../schemas/cart.ts';
import type { CartState, RespondWithCart, RespondWithOrder } from '../stores/cart-store.ts';

export const bearer = [{ bearer: [] }];

/** The signed-in user (set by the bearer-token hook); ids are bounded like every stored string. */
export function userIdOf(request: FastifyRequest): string {
  const sub = request.user?.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 64) throw new HttpProblem(401, 'The access token has no usable subject.');
  return sub;
}

/**
 * The request's Idempotency-Key (already checked by the header schema), or null when absent.
 * `body` is what the route reads from the body (validated), so checkout, which reads none,
 * fingerprints every attempt alike.
 */
export function idempotencyOf(request: FastifyRequest, body: unknown = request.body): IdempotencyRequest | null {
  const header = request.headers['idempotency-key'];
  if (typeof header !== 'string') return null;
  return { key: normalizeKey(header), fingerprint: requestFingerprint(request.method, request.routeOptions.url ?? request.url, request.params, body) };
}

export function requireIdempotency(request: FastifyRequest, body: unknown = request.body): IdempotencyRequest {
  const idempotency = idempotencyOf(request, body);
  // The header schema makes this unreachable; kept so a schema change cannot silently drop the key.
  if (!idempotency) throw new HttpProblem(400, 'The Idempotency-Key header is required for this request.', { errors: [{ field: 'idempotency-key', message: 'is required' }] });
  return idempotency;
}

export const cartView = (cart: CartState): Cart => ({ lines: cart.lines, version: cart.version, updatedAt: cart.updatedAt?.toISOString() ?? null });

/**
 * Serialises with the route's response schema, so a recorded answer is what the schema allows.
 * Only headers that describe the result are recorded (content-type, etag, location); the rest
 * (date, x-served-by, request id) belong to each attempt.
 */
export function respondWithCart(reply: FastifyReply): RespondWithCart {
  return (cart) => {
    const body = reply.code(200).serialize(cartView(cart)) as string;
    return { status: 200, headers: { 'content-type': JSON_TYPE, etag: cartEtag(cart.version) }, body };
  };
}

export function respondWithOrder(reply: FastifyReply): RespondWithOrder {
  return (order: Order) => {
    const body = reply.code(201).serialize(order) as string;
    return { status: 201, headers: { 'content-type': JSON_TYPE, location: `/cart/orders/${order.id}` }, body };
  };
}
