// Catalog for cart's tests: the real service started by @anypod/catalog/testing (it generates
// its client, migrates, and reads stock straight from Postgres — the truth, whatever the cache
// says). Products are created through catalog's admin API, as an operator would; the category
// they need has no API, so it is inserted in SQL. Ids carry a per-run prefix so reruns on the
// same database never collide, and stop() removes them.
import { startTestCatalog as startCatalogProcess } from '@anypod/catalog/testing';
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import type { ServiceProcess } from '@anypod/platform/testing/processes';
import pg from 'pg';

const RUN = `cart${Date.now().toString(36)}${process.pid.toString(36)}`;
let counter = 0;

export interface TestCatalog {
  url: string;
  process: ServiceProcess;
  /** creates a product with this stock and price through the admin API; returns its id */
  product: (opts?: { stock?: number; priceCents?: number }) => Promise<string>;
  stockOf: (productId: string) => Promise<number>;
  stop: () => Promise<void>;
}

export async function startTestCatalog(opts: { jwksUrl: string; adminToken: string }): Promise<TestCatalog> {
  const catalog = await startCatalogProcess({ jwksUrl: opts.jwksUrl });
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  const categoryId = `${RUN}-${(counter++).toString(36)}-cat`;
  await db.query('INSERT INTO catalog.categories (id, name) VALUES ($1, $2)', [categoryId, 'Cart tests']);
  return {
    url: catalog.url,
    process: catalog.process,
    async product({ stock = 100, priceCents = 1250 } = {}) {
      const id = `${RUN}-${(counter++).toString(36)}`;
      const res = await fetch(`${catalog.url}/catalog/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.adminToken}` },
        body: JSON.stringify({ id, name: `Cart test product ${id}`, description: 'made by the cart tests', categoryId, priceCents, stock }),
      });
      if (res.status !== 201) throw new Error(`catalog refused product ${id}: ${res.status} ${await res.text()}`);
      return id;
    },
    stockOf: catalog.stockOf,
    async stop() {
      await catalog.stop();
      await db.query("DELETE FROM catalog.stock_reservations WHERE id LIKE 'order-%' AND result::text LIKE '%' || $1 || '-%'", [RUN]);
      await db.query("DELETE FROM catalog.products WHERE id LIKE $1 || '-%'", [RUN]);
      await db.query("DELETE FROM catalog.categories WHERE id LIKE $1 || '-%'", [RUN]);
      await db.end();
    },
  };
}
