// Everything under /cart needs a bearer token: one onRequest hook for the whole folder (before
// body parsing and validation, so an anonymous caller learns nothing about the API's rules).
// Every write route names its operation in its config; one onResponse hook counts it by outcome
// (anypod_cart_writes_total), whatever answered it: the handler, validation or authentication.
import { CART_WRITE_OPERATIONS, cartWritesCounter, writeOutcomeOf } from '@anypod/platform/anypod-metrics';
import type { FastifyInstance } from 'fastify';
import cartRoutes from './cart.ts';
import orderRoutes from './orders.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** this route is a cart write, counted under this operation */
    cartWrite?: (typeof CART_WRITE_OPERATIONS)[number];
  }
}

export default async function routes(fastify: FastifyInstance) {
  const writes = cartWritesCounter(fastify.metrics);
  fastify.addHook('onRequest', fastify.authenticate);
  fastify.addHook('onResponse', async (request, reply) => {
    const operation = request.routeOptions.config.cartWrite;
    if (operation) writes.inc({ operation, outcome: writeOutcomeOf(reply.statusCode) });
  });
  await fastify.register(cartRoutes);
  await fastify.register(orderRoutes);
}
