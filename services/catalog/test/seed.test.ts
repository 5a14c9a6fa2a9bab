// The demo seed: a deterministic generator, and a script that can run any number of times.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { postgresAdapter } from '@anypod/platform';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '@anypod/platform/testing/env';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, seedProducts } from '../prisma/seed-data.ts';
import { PrismaClient } from '../src/generated/prisma/client.ts';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('seed data', () => {
  it('is at least 1,000 plausible products across ten categories, the same on every call', () => {
    const products = seedProducts();
    expect(products.length).toBeGreaterThanOrEqual(1000);
    expect(seedProducts()).toEqual(products);
    expect(new Set(products.map((p) => p.id)).size).toBe(products.length);
    expect(new Set(products.map((p) => p.categoryId))).toEqual(new Set(CATEGORIES.map((c) => c.id)));
    expect(CATEGORIES).toHaveLength(10);
    for (const p of products) {
      expect(p.id).toMatch(/^sku-\d{5}$/);
      expect(p.stock).toBeGreaterThanOrEqual(50);
      expect(p.stock).toBeLessThanOrEqual(500);
      expect(p.priceCents % 100).toBe(99);
      expect(p.name.length).toBeLessThanOrEqual(200);
    }
    // Prices follow the noun: a wardrobe costs more than a tea towel, whatever the adjective.
    const price = (name: string) => products.filter((p) => p.name.endsWith(name)).map((p) => p.priceCents);
    expect(Math.min(...price('Wardrobe'))).toBeGreaterThan(Math.max(...price('Tea Towel')));
  });
});

describe('seed script', () => {
  it('creates the catalogue once and changes nothing when run again', async () => {
    const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, REDIS_URL: TEST_REDIS_URL };
    const first = await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], { cwd, env });
    expect(first.stdout).toContain('seed: 10 categories upserted');
    expect(first.stdout).toContain('seed: products 1100/1100');
    const second = await run(process.execPath, ['--import', 'tsx', 'prisma/seed.ts'], { cwd, env });
    expect(second.stdout).toMatch(/done in \d+ ms: 0 created, 0 reset to seed values, 1100 unchanged/);

    const prisma = new PrismaClient({ adapter: postgresAdapter(TEST_DATABASE_URL, 'catalog', 1) });
    try {
      const seeded = await prisma.product.findMany({ where: { id: { in: seedProducts().map((p) => p.id) } }, select: { id: true, stock: true } });
      expect(seeded).toHaveLength(1100);
      expect(await prisma.category.count({ where: { id: { in: CATEGORIES.map((c) => c.id) } } })).toBe(10);
    } finally {
      await prisma.$disconnect();
    }
  });
});
