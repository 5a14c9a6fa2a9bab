// The cart service as one Fastify plugin: shared platform first (errors, served-by, metrics,
// health, Redis, token verification against auth's JWKS), then infrastructure (Postgres, the
// catalog client), then domain services (the cart store, checkout), then routes under /cart.
import { jwksTokenOptions, platform } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import type { CartConfig } from './config.ts';
import cartStore from './plugins/app/cart-store.ts';
import checkout from './plugins/app/checkout.ts';
import { checkoutTiming } from './lib/checkout-timing.ts';
import catalog from './plugins/external/catalog.ts';
import prisma from './plugins/external/prisma.ts';
import routes from './routes/index.ts';
import { MAX_CART_LINES, MAX_LINE_QUANTITY } from './schemas/cart.ts';

export default async function cartApp(fastify: FastifyInstance, opts: { config: CartConfig }) {
  const { config } = opts;
  const catalogOptions = { baseUrl: config.CATALOG_URL, timeoutMs: config.CATALOG_TIMEOUT_MS, retries: config.CATALOG_RETRIES };
  await fastify.register(platform, {
    service: 'cart',
    prefix: '/cart',
    description: 'Carts and orders. Adds commute and need an Idempotency-Key; edits need If-Match with the cart ETag; checkout reserves stock in catalog exactly once per key.',
    config,
    tokens: jwksTokenOptions(config),
  });
  await fastify.register(prisma, { databaseUrl: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE });
  await fastify.register(catalog, catalogOptions);
  await fastify.register(cartStore, {
    stateStore: config.STATE_STORE,
    limits: { maxLineQuantity: MAX_LINE_QUANTITY, maxLines: MAX_CART_LINES, recordTtlMs: config.IDEMPOTENCY_TTL_HOURS * 3600_000 },
  });
  await fastify.register(checkout, { timing: checkoutTiming(config) });
  await fastify.register(routes, { prefix: '/cart' });
}
