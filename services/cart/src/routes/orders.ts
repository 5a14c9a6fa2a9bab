// Checkout (cart → order) and the user's orders.
import { HttpProblem, problemResponses } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { sendStored } from '../lib/stored-response.ts';
import { OrderListQuerySchema, OrderListSchema, OrderParamsSchema, OrderSchema, RequiredKeyHeadersSchema } from '../schemas/cart.ts';
import { bearer, requireIdempotency, respondWithOrder, userIdOf } from './request-context.ts';

export default async function orderRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  const store = fastify.cartStore;

  fastify.post('/checkout', {
    config: { cartWrite: 'checkout' },
    schema: {
      summary: 'Turn the cart into an order: reserves stock and fixes prices with catalog',
      description: [
        'Idempotency-Key is required; every retry with it names the same order and the same stock reservation, so an order is placed once.',
        '201: the order (Location: /cart/orders/{id}). 409: the cart is empty (nothing recorded), not enough stock (recorded as the outcome),',
        'the cart no longer holds what this checkout claimed — its lines were ordered by another checkout or edited while it was in flight or',
        'interrupted (recorded as the outcome; nothing ordered), or a request with this key is still in flight (Retry-After).',
        '422: the key was used for another request.',
        '503 + Retry-After: catalog unreachable, nothing ordered — retry with the same key.',
      ].join(' '),
      security: bearer,
      headers: RequiredKeyHeadersSchema,
      // No body schema: checkout takes no parameters (what is ordered is the cart), and Fastify
      // would reject a body-less POST against any body schema. A body, if sent, is ignored.
      response: { 201: OrderSchema, ...problemResponses(409, 422, 502) },
    },
  }, async (request, reply) => {
    const result = await fastify.checkout({
      userId: userIdOf(request),
      idempotency: requireIdempotency(request, null),
      authorization: request.headers.authorization as string,
      instance: request.url.slice(0, 2048),
      respond: respondWithOrder(reply),
    });
    return sendStored(reply, result.response, result.replayed);
  });

  fastify.get('/orders', {
    schema: { summary: 'The signed-in user’s orders, newest first', security: bearer, querystring: OrderListQuerySchema, response: { 200: OrderListSchema } },
  }, async (request) => ({ orders: await store.listOrders(userIdOf(request), request.query.limit ?? 20) }));

  fastify.get('/orders/:id', {
    schema: { summary: 'One of the signed-in user’s orders', security: bearer, params: OrderParamsSchema, response: { 200: OrderSchema, ...problemResponses(404) } },
  }, async (request) => {
    const order = await store.findOrder(userIdOf(request), request.params.id);
    // Someone else's order is indistinguishable from no order: ids are not secrets, but orders are.
    if (!order) throw new HttpProblem(404, 'No such order.');
    return order;
  });
}
