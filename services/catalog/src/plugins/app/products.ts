// Products: reads go through the read-through cache, writes go to Postgres with optimistic
// concurrency (version column, If-Match) and then invalidate the cache.
import { HttpProblem, isUniqueViolation } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { CreateProduct, ListProductsQuery, Product, ProductPage, Sort, UpdateProduct } from '../../schemas/products.ts';
import type { Cached, ReadThroughCache } from './cache.ts';

type ProductRow = Prisma.ProductGetPayload<object>;

/** What the API and the cache carry: JSON-ready, dates as ISO strings. */
export const toProduct = (row: ProductRow): Product => ({
  id: row.id,
  name: row.name,
  description: row.description,
  categoryId: row.categoryId,
  priceCents: row.priceCents,
  stock: row.stock,
  version: row.version,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

// Every sort ends on id so pages are stable when the sort key ties.
const ORDER: Record<Sort, Prisma.ProductOrderByWithRelationInput[]> = {
  price: [{ priceCents: 'asc' }, { id: 'asc' }],
  '-price': [{ priceCents: 'desc' }, { id: 'desc' }],
  name: [{ name: 'asc' }, { id: 'asc' }],
  '-name': [{ name: 'desc' }, { id: 'desc' }],
  newest: [{ createdAt: 'desc' }, { id: 'desc' }],
};

const MAX_TERMS = 8;

/** The search words: lower-cased, de-duplicated and sorted, since the match is case-insensitive and order-free. */
export const searchTerms = (q: string | undefined): string[] =>
  q ? [...new Set(q.toLowerCase().split(/\s+/).filter(Boolean))].sort().slice(0, MAX_TERMS) : [];

// Prisma passes `contains` straight into ILIKE '%…%', so LIKE wildcards typed by a user must be escaped.
const escapeLike = (term: string) => term.replace(/[\\%_]/g, (c) => `\\${c}`);

/** One string per distinct query: the cache key of a listing page. */
export function normalizeListQuery(query: ListProductsQuery): string {
  return JSON.stringify([searchTerms(query.q), query.category ?? null, query.minPrice ?? null, query.maxPrice ?? null, query.sort, query.page, query.pageSize]);
}

const isPrismaError = (error: unknown, code: string) => (error as { code?: string } | null)?.code === code;
const unknownCategory = (categoryId: string) =>
  new HttpProblem(422, `There is no category "${categoryId}".`, { errors: [{ field: 'categoryId', message: 'no such category' }] });

export class ProductRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly cache: ReadThroughCache,
  ) {}

  get(id: string): Promise<Cached<Product | null>> {
    return this.cache.product(id, async () => {
      const row = await this.prisma.product.findUnique({ where: { id } });
      return row ? toProduct(row) : null;
    });
  }

  async list(query: ListProductsQuery): Promise<Cached<ProductPage>> {
    if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
      throw new HttpProblem(400, 'querystring minPrice: must not exceed maxPrice', { errors: [{ field: 'minPrice', message: 'must not exceed maxPrice' }] });
    }
    return this.cache.listing(normalizeListQuery(query), async () => {
      const where: Prisma.ProductWhereInput = {
        categoryId: query.category,
        priceCents: { gte: query.minPrice, lte: query.maxPrice },
        AND: searchTerms(query.q).map((term) => {
          const contains = escapeLike(term);
          return { OR: [{ name: { contains, mode: 'insensitive' } }, { description: { contains, mode: 'insensitive' } }] };
        }),
      };
      const [rows, total] = await Promise.all([
        this.prisma.product.findMany({ where, orderBy: ORDER[query.sort], skip: (query.page - 1) * query.pageSize, take: query.pageSize }),
        this.prisma.product.count({ where }),
      ]);
      return { items: rows.map(toProduct), page: query.page, pageSize: query.pageSize, total };
    });
  }

  async create(input: CreateProduct): Promise<Product> {
    try {
      const row = await this.prisma.product.create({ data: input });
      // Also clears a cached "not found" for this id.
      await this.cache.invalidate([row.id]);
      return toProduct(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new HttpProblem(409, `A product with id "${input.id}" already exists.`);
      if (isPrismaError(error, 'P2003')) throw unknownCategory(input.categoryId);
      throw error;
    }
  }

  /** Applies the change only if the stored version is one If-Match named; else 404 or 412. */
  async update(id: string, versions: number[] | 'any', patch: UpdateProduct): Promise<Product> {
    let rows: ProductRow[];
    try {
      rows = await this.prisma.product.updateManyAndReturn({ where: this.conditional(id, versions), data: { ...patch, version: { increment: 1 } } });
    } catch (error) {
      if (isPrismaError(error, 'P2003')) throw unknownCategory(patch.categoryId ?? '');
      throw error;
    }
    const row = rows[0];
    if (!row) throw await this.preconditionFailure(id);
    await this.cache.invalidate([id]);
    return toProduct(row);
  }

  async remove(id: string, versions: number[] | 'any'): Promise<void> {
    const { count } = await this.prisma.product.deleteMany({ where: this.conditional(id, versions) });
    if (count === 0) throw await this.preconditionFailure(id);
    await this.cache.invalidate([id]);
  }

  private conditional(id: string, versions: number[] | 'any'): Prisma.ProductWhereInput {
    return versions === 'any' ? { id } : { id, version: { in: versions } };
  }

  private async preconditionFailure(id: string): Promise<HttpProblem> {
    const current = await this.prisma.product.findUnique({ where: { id }, select: { version: true } });
    if (!current) return new HttpProblem(404, `There is no product "${id}".`);
    return new HttpProblem(412, `The product changed since you read it (it is now at version ${current.version}); read it again and retry with the new ETag.`);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    products: ProductRepository;
  }
}

export default fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('products', new ProductRepository(fastify.prisma, fastify.cache));
  },
  { name: 'products', fastify: '5.x', dependencies: ['prisma', 'cache'] },
);
