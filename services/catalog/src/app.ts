// The catalog service as one Fastify plugin: shared platform first (it verifies tokens against
// auth's JWKS, so no call to auth per request), then Postgres, then the cache and the domain
// services, then routes under /catalog.
import { jwksTokenOptions, platform } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import type { CatalogConfig } from './config.ts';
import cache from './plugins/app/cache.ts';
import products from './plugins/app/products.ts';
import reservationSweeper from './plugins/app/reservation-sweeper.ts';
import stock from './plugins/app/stock.ts';
import prisma from './plugins/external/prisma.ts';
import categoryRoutes from './routes/categories.ts';
import productRoutes from './routes/products.ts';
import stockRoutes from './routes/stock.ts';

export default async function catalogApp(fastify: FastifyInstance, opts: { config: CatalogConfig }) {
  const { config } = opts;
  await fastify.register(platform, {
    service: 'catalog',
    prefix: '/catalog',
    description: 'Products, categories and stock. Reads are public and cached in Redis (X-Cache: hit|miss|bypass); writes need an admin token and If-Match; stock reservations are exactly-once per reservationId.',
    config,
    tokens: jwksTokenOptions(config),
  });
  await fastify.register(prisma, { databaseUrl: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE });
  await fastify.register(cache, { productTtlMs: config.CACHE_PRODUCT_TTL_SECONDS * 1000, listingTtlMs: config.CACHE_LISTING_TTL_SECONDS * 1000 });
  await fastify.register(products);
  await fastify.register(stock, { maxHoldSeconds: config.RESERVATION_MAX_HOLD_SECONDS });
  await fastify.register(reservationSweeper, { everyMs: config.RESERVATION_SWEEP_SECONDS * 1000 });
  await fastify.register(productRoutes, { prefix: '/catalog' });
  await fastify.register(categoryRoutes, { prefix: '/catalog' });
  await fastify.register(stockRoutes, { prefix: '/catalog' });
}
