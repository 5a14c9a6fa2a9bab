// X-Served-By on every response: which replica answered. The proof reads it to show that
// any replica serves any request, and users see it with curl -i.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function servedBy(fastify: FastifyInstance, opts: { podName: string }) {
  // Callback hooks here and in the platform's other per-request hooks: an async one costs a
  // promise and a microtask turn on every request, for work that never waits.
  fastify.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-served-by', opts.podName);
    done();
  });
}

export default fp(servedBy, { name: 'served-by', fastify: '5.x' });
