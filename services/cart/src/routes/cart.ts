// The cart itself: read it (with an ETag), add to it (commutative, Idempotency-Key required),
// and edit or remove a line (If-Match required, Idempotency-Key optional).
import { HttpProblem, ifNoneMatchHits, parseIfMatch, problemResponses } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendStored } from '../lib/stored-response.ts';
import { AddItemSchema, cartEtag, CartSchema, cartVersionOf, EditHeadersSchema, ProductParamsSchema, ReadHeadersSchema, RequiredKeyHeadersSchema, SetQuantitySchema } from '../schemas/cart.ts';
import type { CartEdit } from '../stores/cart-store.ts';
import { bearer, cartView, idempotencyOf, requireIdempotency, respondWithCart, userIdOf } from './request-context.ts';

/** RFC 6585 §3: an edit without If-Match could silently overwrite a change it never saw. */
function ifMatchVersions(request: FastifyRequest): number[] {
  const ifMatch = parseIfMatch(request.headers['if-match'], cartVersionOf);
  if (ifMatch.kind === 'missing') throw new HttpProblem(428, "This edit needs If-Match with the cart's ETag (from GET /cart).");
  // '*' would match any version and defeat the lost-update check it is required for.
  if (ifMatch.kind === 'any') throw new HttpProblem(428, "If-Match: * is not accepted here; send the cart's ETag.");
  return ifMatch.versions;
}

/** What the two line edits (set a quantity, remove the line) take and answer alike. */
const lineEditSchema = {
  description: "If-Match with the cart's ETag is required (428 without it, 412 when stale). An Idempotency-Key is optional.",
  security: bearer,
  headers: EditHeadersSchema,
  params: ProductParamsSchema,
  response: { 200: CartSchema, ...problemResponses(404, 409, 412, 422, 428) },
};

export default async function cartRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  const store = fastify.cartStore;

  // '' rather than '/': the route is exactly /cart (the prefix), which is also what OpenAPI lists.
  fastify.get('', {
    schema: {
      summary: 'The signed-in user’s cart (an empty cart, version 0, if nothing was ever added)',
      security: bearer,
      headers: ReadHeadersSchema,
      response: { 200: CartSchema, 304: Type.Null({ description: 'Not modified: the If-None-Match ETag is current' }) },
    },
  }, async (request, reply) => {
    const cart = await store.read(userIdOf(request));
    // Carts are per user and change often: caches may keep them only to revalidate.
    reply.header('etag', cartEtag(cart.version)).header('cache-control', 'private, no-cache');
    if (ifNoneMatchHits(request.headers['if-none-match'], cartEtag(cart.version))) return reply.code(304).send(null);
    return cartView(cart);
  });

  fastify.post('/items', {
    config: { cartWrite: 'add_item' },
    schema: {
      summary: 'Add a quantity of a product (adds commute: concurrent adds all count)',
      description: 'Idempotency-Key is required: a retry with the same key and body replays the first answer (Idempotent-Replayed: true).',
      security: bearer,
      headers: RequiredKeyHeadersSchema,
      body: AddItemSchema,
      response: { 200: CartSchema, ...problemResponses(409, 422) },
    },
  }, async (request, reply) => {
    const result = await store.add(userIdOf(request), request.body, requireIdempotency(request), respondWithCart(reply));
    return sendStored(reply, result.response, result.replayed);
  });

  /** Both edits of a line: If-Match checked against the cart's version, the answer recorded under the key. */
  async function editLine(request: FastifyRequest, reply: FastifyReply, change: CartEdit) {
    const versions = ifMatchVersions(request);
    const result = await store.edit(userIdOf(request), change, versions, idempotencyOf(request), respondWithCart(reply));
    return sendStored(reply, result.response, result.replayed);
  }

  fastify.patch('/items/:productId', {
    config: { cartWrite: 'set_quantity' },
    schema: { ...lineEditSchema, summary: 'Set the quantity of a line already in the cart', body: SetQuantitySchema },
  }, async (request, reply) => editLine(request, reply, { kind: 'set', productId: request.params.productId, quantity: request.body.quantity }));

  fastify.delete('/items/:productId', {
    config: { cartWrite: 'remove_item' },
    schema: { ...lineEditSchema, summary: 'Remove a line from the cart' },
  }, async (request, reply) => editLine(request, reply, { kind: 'remove', productId: request.params.productId }));
}
