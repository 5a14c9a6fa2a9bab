// Builds the real catalog app (real Postgres and Redis) for app.inject tests, plus per-run test
// data: a category and products whose ids are unique to this run, removed again afterwards.
import { buildApp } from '@anypod/platform/testing/build-app';
import type { FastifyInstance } from 'fastify';
import catalogApp from '../src/app.ts';
import { catalogConfig } from '../src/config.ts';

export const buildCatalog = (jwksUrl: string, overrides: Record<string, string> = {}): Promise<FastifyInstance> => buildApp(catalogConfig, catalogApp, { AUTH_JWKS_URL: jwksUrl, ...overrides });

/** A prefix unique to this test process, so reruns on the same database never collide. */
export const RUN = `t${Date.now().toString(36)}${process.pid.toString(36)}`;
let counter = 0;
export const uniqueId = (tag = 'p') => `${RUN}-${tag}-${(counter++).toString(36)}`;

export interface TestProductInput {
  id?: string;
  name?: string;
  description?: string;
  priceCents?: number;
  stock?: number;
  createdAt?: Date;
}

/** A category of this run with the given products, written straight to Postgres. */
export async function createTestData(app: FastifyInstance, products: TestProductInput[], categoryName = 'Test category') {
  const categoryId = uniqueId('cat');
  await app.prisma.category.create({ data: { id: categoryId, name: categoryName } });
  const rows = products.map((p, i) => ({
    id: p.id ?? uniqueId(),
    name: p.name ?? `Test product ${i}`,
    description: p.description ?? 'A product made for a test.',
    categoryId,
    priceCents: p.priceCents ?? 1000 + i,
    stock: p.stock ?? 100,
    ...(p.createdAt ? { createdAt: p.createdAt } : {}),
  }));
  await app.prisma.product.createMany({ data: rows });
  return { categoryId, ids: rows.map((r) => r.id) };
}

/** Removes everything this run created (products, categories, reservations). */
export async function removeTestData(app: FastifyInstance) {
  await app.prisma.stockReservation.deleteMany({ where: { id: { startsWith: RUN } } });
  await app.prisma.product.deleteMany({ where: { id: { startsWith: RUN } } });
  await app.prisma.category.deleteMany({ where: { id: { startsWith: RUN } } });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
