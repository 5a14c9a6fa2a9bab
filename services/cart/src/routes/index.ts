// Everything under /cart needs a bearer token: one onRequest hook for the whole folder (before
// body parsing and validation, so an anonymous caller learns nothing about the API's rules).
import type { FastifyInstance } from 'fastify';
import cartRoutes from './cart.ts';
import orderRoutes from './orders.ts';

export default async function routes(fastify: FastifyInstance) {
  fastify.addHook('onRequest', fastify.authenticate);
  await fastify.register(cartRoutes);
  await fastify.register(orderRoutes);
}
