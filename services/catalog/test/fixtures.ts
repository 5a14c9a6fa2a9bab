// A real catalog service for other services' tests (cart, the proof's trace tests): started as
// a process on a free port, verifying tokens against the given auth JWKS (it generates its
// client and migrates first), plus products written straight to Postgres and their stock read
// from there — the truth, whatever the cache says. Ids carry a per-run prefix so reruns on the
// same database never collide, and stop() removes them. The one TestCatalog of the repository.
// Exported as @anypod/catalog/testing.
import { fileURLToPath } from 'node:url';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { TEST_DATABASE_URL, testEnv } from '@anypod/platform/testing/env';
import pg from 'pg';
import { ensureMigrated, generateClient } from './global-setup.ts';

const catalogDir = fileURLToPath(new URL('..', import.meta.url));
let counter = 0;

export interface TestCatalog {
  url: string;
  process: ServiceProcess;
  /** creates products (in a category of their own) and returns their ids in order */
  createProducts: (products: Array<{ priceCents: number; stock: number; name?: string }>) => Promise<string[]>;
  /** creates one product (in a category of its own; default: 100 in stock at 12.50) and returns its id */
  product: (opts?: { stock?: number; priceCents?: number }) => Promise<string>;
  /** current stock straight from Postgres (the truth, whatever the cache says) */
  stockOf: (productId: string) => Promise<number>;
  /** stops the process and deletes what createProducts made (and reservations of those products) */
  stop: () => Promise<void>;
}

export async function startTestCatalog(opts: { jwksUrl: string; env?: Record<string, string> }): Promise<TestCatalog> {
  generateClient({ onlyIfMissing: true });
  await ensureMigrated();
  const proc = await startService({ name: 'catalog-fixture', cwd: catalogDir, env: testEnv({ AUTH_JWKS_URL: opts.jwksUrl, ...opts.env }) });
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
  const prefix = `fx${Date.now().toString(36)}${process.pid.toString(36)}`;
  const fixture: TestCatalog = {
    url: proc.url,
    process: proc,
    async createProducts(products) {
      const categoryId = `${prefix}-cat-${counter++}`;
      await db.query('INSERT INTO catalog.categories (id, name) VALUES ($1, $2)', [categoryId, 'Fixture category']);
      const ids: string[] = [];
      for (const [i, p] of products.entries()) {
        const id = `${prefix}-${counter++}`;
        await db.query('INSERT INTO catalog.products (id, name, description, category_id, price_cents, stock) VALUES ($1, $2, $3, $4, $5, $6)', [
          id, p.name ?? `Fixture product ${i}`, 'Made by @anypod/catalog/testing.', categoryId, p.priceCents, p.stock,
        ]);
        ids.push(id);
      }
      return ids;
    },
    async product({ stock = 100, priceCents = 1250 } = {}) {
      const [id] = await fixture.createProducts([{ stock, priceCents }]);
      return id as string;
    },
    async stockOf(productId) {
      const { rows } = await db.query<{ stock: number }>('SELECT stock FROM catalog.products WHERE id = $1', [productId]);
      if (!rows[0]) throw new Error(`no product ${productId}`);
      return rows[0].stock;
    },
    async stop() {
      await stopService(proc);
      await db.query("DELETE FROM catalog.stock_reservations WHERE jsonb_path_exists(result, '$.lines[*] ? (@.productId starts with $p)', jsonb_build_object('p', $1::text))", [`${prefix}-`]);
      await db.query("DELETE FROM catalog.products WHERE id LIKE $1 || '-%'", [prefix]);
      await db.query("DELETE FROM catalog.categories WHERE id LIKE $1 || '-%'", [prefix]);
      await db.end();
    },
  };
  return fixture;
}
