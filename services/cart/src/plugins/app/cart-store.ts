// Chooses where carts live: Postgres (STATE_STORE=shared, the default, every replica sees every
// cart) or this process's memory (STATE_STORE=memory, the stateful demonstration). Also forgets
// Idempotency-Keys once they are older than their expiry.
import { idempotencyCounter, type IdempotencyResult } from '@anypod/platform/anypod-metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CartStore, CartStoreLimits } from '../../stores/cart-store.ts';
import { InMemoryCartStore } from '../../stores/memory-cart-store.ts';
import { SharedCartStore } from '../../stores/shared-cart-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    cartStore: CartStore;
  }
}

const CLEANUP_EVERY_MS = 10 * 60_000;

async function cartStorePlugin(fastify: FastifyInstance, opts: { stateStore: 'shared' | 'memory'; limits: CartStoreLimits }) {
  const idempotency = idempotencyCounter(fastify.metrics);
  const observe = (result: IdempotencyResult) => idempotency.inc({ result });
  const store: CartStore = opts.stateStore === 'memory' ? new InMemoryCartStore(opts.limits, observe) : new SharedCartStore(fastify.prisma, opts.limits, observe);
  if (opts.stateStore === 'memory') {
    fastify.log.warn('cart: carts, orders and Idempotency-Keys are kept in this process only (STATE_STORE=memory demonstration)');
  }
  fastify.decorate('cartStore', store);

  // Every replica runs the cleanup; deleting expired rows twice is harmless.
  const cleanup = setInterval(() => {
    store.removeExpiredRecords().then(
      (removed) => removed > 0 && fastify.log.info({ removed }, 'removed expired idempotency records'),
      (error: Error) => fastify.log.warn({ err: error.message }, 'idempotency cleanup failed; will retry'),
    );
  }, CLEANUP_EVERY_MS);
  cleanup.unref();
  fastify.addHook('onClose', async () => clearInterval(cleanup));
}

export default fp(cartStorePlugin, { name: 'cart-store', fastify: '5.x', dependencies: ['prisma', 'metrics'] });
