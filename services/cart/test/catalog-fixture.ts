// A real catalog service for cart's tests: started as a process against the same Postgres,
// Redis and auth, with products created through its admin API. Product ids carry a per-run
// prefix so reruns on the same database never collide.
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL, testEnv } from '@anypod/platform/testing/env';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import pg from 'pg';

const catalogDir = fileURLToPath(new URL('../../catalog', import.meta.url));
export const RUN = `cart${Date.now().toString(36)}${process.pid.toString(36)}`;
let counter = 0;

export interface TestCatalog {
  url: string;
  process: ServiceProcess;
  /** creates a product with this stock and price; returns its id */
  product: (opts?: { stock?: number; priceCents?: number }) => Promise<string>;
  stockOf: (productId: string) => Promise<number>;
  stop: () => Promise<void>;
}

/** Categories have no API (operators load them); create this run's one in SQL, as an operator would. */
async function ensureCategory(id: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query('INSERT INTO catalog.categories (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, 'Cart tests']);
  } finally {
    await client.end();
  }
}

export async function startTestCatalog(opts: { jwksUrl: string; adminToken: string; name?: string }): Promise<TestCatalog> {
  const proc = await startService({ name: opts.name ?? 'catalog-fixture', cwd: catalogDir, env: testEnv({ AUTH_JWKS_URL: opts.jwksUrl }) });
  const categoryId = `${RUN}-cat`;
  await ensureCategory(categoryId);
  return {
    url: proc.url,
    process: proc,
    async product({ stock = 100, priceCents = 1250 } = {}) {
      const id = `${RUN}-p${(counter++).toString(36)}`;
      const res = await fetch(`${proc.url}/catalog/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.adminToken}` },
        body: JSON.stringify({ id, name: `Cart test product ${id}`, description: 'made by the cart tests', categoryId, priceCents, stock }),
      });
      if (res.status !== 201) throw new Error(`catalog refused product ${id}: ${res.status} ${await res.text()}`);
      return id;
    },
    async stockOf(productId) {
      const res = await fetch(`${proc.url}/catalog/products/${productId}`);
      if (res.status !== 200) throw new Error(`catalog answered ${res.status} for ${productId}`);
      return ((await res.json()) as { stock: number }).stock;
    },
    stop: async () => {
      await stopService(proc);
    },
  };
}
