import { Type, type Static } from '@sinclair/typebox';
import { StoredText } from '@anypod/platform';
// ProductId is cart's too (cart lines name catalog's products): @anypod/contracts defines it.
import { ProductId } from '@anypod/contracts';
export const CategoryId = Type.String({ pattern: '^[a-z0-9-]{1,64}$', minLength: 1, maxLength: 64, examples: ['kitchen'] });
// Upper bounds keep sums of a whole order inside a 32-bit integer column and reject typos early.
const PriceCents = Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'price in cents' });
const Stock = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const Name = StoredText({ minLength: 1, maxLength: 200 });
const Description = StoredText({ maxLength: 2000 });

export const ProductSchema = Type.Object({
  id: ProductId,
  name: Name,
  description: Description,
  categoryId: CategoryId,
  priceCents: PriceCents,
  stock: Stock,
  version: Type.Integer({ minimum: 1, description: 'changes on every write; the ETag is derived from it' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Product = Static<typeof ProductSchema>;

export const CreateProductSchema = Type.Object(
  { id: ProductId, name: Name, description: Description, categoryId: CategoryId, priceCents: PriceCents, stock: Stock },
  { additionalProperties: false },
);
export type CreateProduct = Static<typeof CreateProductSchema>;

export const UpdateProductSchema = Type.Partial(
  Type.Object({ name: Name, description: Description, categoryId: CategoryId, priceCents: PriceCents, stock: Stock }),
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProduct = Static<typeof UpdateProductSchema>;

export const ProductParamsSchema = Type.Object({ id: ProductId }, { additionalProperties: false });

export const SORTS = ['price', '-price', 'name', '-name', 'newest'] as const;
export type Sort = (typeof SORTS)[number];

export const ListProductsQuerySchema = Type.Object(
  {
    q: Type.Optional(StoredText({ minLength: 1, maxLength: 100, description: 'words that must all appear in the name or description (case-insensitive)' })),
    category: Type.Optional(CategoryId),
    minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'lowest price in cents, inclusive' })),
    maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'highest price in cents, inclusive' })),
    sort: Type.Union(SORTS.map((s) => Type.Literal(s)), { default: 'name' }),
    // A bound on page keeps OFFSET scans cheap; deeper browsing should narrow the query instead.
    page: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
    pageSize: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);
export type ListProductsQuery = Static<typeof ListProductsQuerySchema>;

export const ProductPageSchema = Type.Object({
  items: Type.Array(ProductSchema, { maxItems: 100 }),
  page: Type.Integer({ minimum: 1 }),
  pageSize: Type.Integer({ minimum: 1, maximum: 100 }),
  total: Type.Integer({ minimum: 0, description: 'products matching the query, across all pages' }),
});
export type ProductPage = Static<typeof ProductPageSchema>;

export const ConditionalReadHeadersSchema = Type.Object({
  'if-none-match': Type.Optional(Type.String({ maxLength: 1024, description: 'an ETag from an earlier read: 304 if unchanged' })),
});
export const ConditionalWriteHeadersSchema = Type.Object({
  // Required, and its absence is 428 rather than 400 (problem.ts): RFC 6585 §3.
  'if-match': Type.String({ maxLength: 1024, description: 'the ETag of the version being changed (428 if missing, 412 if stale)' }),
});
