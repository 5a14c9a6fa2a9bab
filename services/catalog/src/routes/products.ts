// Products: public reads (cached, X-Cache says how), admin writes guarded by If-Match.
import { HttpProblem, ifNoneMatchHits, parseIfMatch, problemResponses, strongEtag } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  ConditionalReadHeadersSchema,
  ConditionalWriteHeadersSchema,
  CreateProductSchema,
  ListProductsQuerySchema,
  ProductPageSchema,
  ProductParamsSchema,
  ProductSchema,
  UpdateProductSchema,
} from '../schemas/products.ts';

const tags = ['products'];
const bearer = [{ bearer: [] }];

// Strong ETags for products, derived from id and version: every write bumps the version, so the
// tag changes exactly when the representation does (RFC 9110 §8.8.3).
const etagOf = (product: { id: string; version: number }) => strongEtag(`${product.id}.v${product.version}`);

/**
 * The version a tag of this product names ("<id>.v<n>"); a tag of another product names none. The
 * id is the route's, already checked against ProductId, so only the prefix is compared here.
 */
const versionIn = (id: string) => (opaque: string) => {
  const version = opaque.startsWith(`${id}.v`) ? opaque.slice(id.length + 2) : '';
  return /^\d{1,9}$/.test(version) ? Number(version) : undefined;
};

/** 428 without If-Match: an unconditional write could silently undo someone else's (RFC 6585 §3). */
function requireIfMatch(header: string | undefined, id: string): number[] | 'any' {
  const ifMatch = parseIfMatch(header, versionIn(id));
  if (ifMatch.kind === 'missing') throw new HttpProblem(428, 'Send If-Match with the ETag from your last read of this product.');
  // `*`: any current version (RFC 9110 §13.1.1); the repository answers 404 if there is none.
  if (ifMatch.kind === 'any') return 'any';
  if (ifMatch.versions.length === 0) throw new HttpProblem(412, 'If-Match names no version of this product; read it again for its ETag.');
  return ifMatch.versions;
}

export default async function productRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  // onRequest, so a caller without the role learns nothing from body validation.
  const adminOnly = [fastify.authenticate, fastify.requireRole('admin')];

  fastify.get('/products', {
    schema: {
      tags,
      summary: 'Search and browse products (the whole query is in the URL, so any replica answers it)',
      querystring: ListProductsQuerySchema,
      response: { 200: ProductPageSchema },
    },
  }, async (request, reply) => {
    const { value, cache } = await fastify.products.list(request.query);
    reply.header('x-cache', cache);
    return value;
  });

  fastify.get('/products/:id', {
    schema: {
      tags,
      summary: 'One product, with a strong ETag; If-None-Match gives 304 when unchanged',
      params: ProductParamsSchema,
      headers: ConditionalReadHeadersSchema,
      response: { 200: ProductSchema, 304: Type.Null({ description: 'Not Modified' }), ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const { value: product, cache } = await fastify.products.get(request.params.id);
    reply.header('x-cache', cache);
    if (!product) throw new HttpProblem(404, `There is no product "${request.params.id}".`);
    const etag = etagOf(product);
    // no-cache: clients may store it but must revalidate, which the ETag makes cheap.
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (ifNoneMatchHits(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
    return product;
  });

  fastify.post('/products', {
    onRequest: adminOnly,
    schema: {
      tags,
      summary: 'Create a product (admin)',
      security: bearer,
      body: CreateProductSchema,
      response: { 201: ProductSchema, ...problemResponses(403, 409, 422) },
    },
  }, async (request, reply) => {
    const product = await fastify.products.create(request.body);
    return reply.code(201).header('etag', etagOf(product)).header('location', `/catalog/products/${product.id}`).send(product);
  });

  fastify.patch('/products/:id', {
    onRequest: adminOnly,
    schema: {
      tags,
      summary: 'Change a product (admin); If-Match with its ETag is required',
      security: bearer,
      params: ProductParamsSchema,
      headers: ConditionalWriteHeadersSchema,
      body: UpdateProductSchema,
      response: { 200: ProductSchema, ...problemResponses(403, 404, 412, 422, 428) },
    },
  }, async (request, reply) => {
    const versions = requireIfMatch(request.headers['if-match'], request.params.id);
    const product = await fastify.products.update(request.params.id, versions, request.body);
    return reply.header('etag', etagOf(product)).send(product);
  });

  fastify.delete('/products/:id', {
    onRequest: adminOnly,
    schema: {
      tags,
      summary: 'Delete a product (admin); If-Match with its ETag is required',
      security: bearer,
      params: ProductParamsSchema,
      headers: ConditionalWriteHeadersSchema,
      response: { 204: Type.Null(), ...problemResponses(403, 404, 412, 428) },
    },
  }, async (request, reply) => {
    await fastify.products.remove(request.params.id, requireIfMatch(request.headers['if-match'], request.params.id));
    return reply.code(204).send(null);
  });
}
