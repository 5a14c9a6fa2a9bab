// X-Served-By on every response: which replica answered. The proof reads it to show that
// any replica serves any request, and users see it with curl -i.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function servedBy(fastify: FastifyInstance, opts: { podName: string }) {
  fastify.addHook('onRequest', async (_request, reply) => {
    reply.header('x-served-by', opts.podName);
  });
}

export default fp(servedBy, { name: 'served-by', fastify: '5.x' });
