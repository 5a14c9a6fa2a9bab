// Seeds the demo catalogue (10 categories, 1,100 products) into the catalog schema:
//   DATABASE_URL=... [REDIS_URL=...] pnpm --filter @anypod/catalog seed
// Idempotent: an upsert per product that only touches rows differing from the seed values (so a
// rerun after a load test restores stock, bumping those rows' versions so ETags change), and
// nothing else. Products created through the API are left alone. Apply migrations first.
import { once } from 'node:events';
import { createRedis, postgresAdapter } from '@anypod/platform';
import { Prisma, PrismaClient } from '../src/generated/prisma/client.ts';
import { invalidateProducts } from '../src/plugins/app/cache.ts';
import { CATEGORIES, seedProducts } from './seed-data.ts';

const BATCH = 250;
const log = (message: string) => process.stdout.write(`seed: ${message}\n`);

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('seed: DATABASE_URL is required (a postgresql:// URL)\n');
  process.exit(78);
}

/** Running replicas may have cached the old rows: invalidate them the way a write through the API does. */
async function invalidateCaches(redisUrl: string, productIds: string[]) {
  const redis = createRedis(redisUrl, () => undefined);
  try {
    await Promise.race([once(redis, 'ready'), new Promise((_, reject) => setTimeout(() => reject(new Error('no connection within 3 s')), 3000).unref())]);
    await invalidateProducts(redis, productIds);
    log(`invalidated ${productIds.length} cached products and all cached listings`);
  } catch (error) {
    log(`could not reach Redis (${(error as Error).message}); cached copies expire within their TTL`);
  } finally {
    redis.disconnect();
  }
}

const prisma = new PrismaClient({ adapter: postgresAdapter(databaseUrl, 'catalog', 2) });
try {
  const started = Date.now();
  for (const { id, name } of CATEGORIES) await prisma.category.upsert({ where: { id }, create: { id, name }, update: { name } });
  log(`${CATEGORIES.length} categories upserted`);

  const products = seedProducts();
  const changed: string[] = [];
  let created = 0;
  for (let i = 0; i < products.length; i += BATCH) {
    const values = products.slice(i, i + BATCH).map((p) => Prisma.sql`(${p.id}, ${p.name}, ${p.description}, ${p.categoryId}, ${p.priceCents}, ${p.stock})`);
    // xmax = 0 only for a freshly inserted row: tells "created" from "reset" in one statement.
    const rows = await prisma.$queryRaw<Array<{ id: string; inserted: boolean }>>`
      INSERT INTO products (id, name, description, category_id, price_cents, stock)
      VALUES ${Prisma.join(values)}
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, description = EXCLUDED.description, category_id = EXCLUDED.category_id,
        price_cents = EXCLUDED.price_cents, stock = EXCLUDED.stock, version = products.version + 1, updated_at = now()
      WHERE (products.name, products.description, products.category_id, products.price_cents, products.stock)
        IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.category_id, EXCLUDED.price_cents, EXCLUDED.stock)
      RETURNING id, (xmax = 0) AS inserted`;
    for (const row of rows) {
      if (row.inserted) created++;
      changed.push(row.id);
    }
    log(`products ${Math.min(i + BATCH, products.length)}/${products.length}`);
  }
  const reset = changed.length - created;
  log(`done in ${Date.now() - started} ms: ${created} created, ${reset} reset to seed values, ${products.length - changed.length} unchanged`);
  if (changed.length > 0 && process.env.REDIS_URL) await invalidateCaches(process.env.REDIS_URL, changed);
} finally {
  await prisma.$disconnect();
}
