// Categories: a short public list (about ten rows), read straight from Postgres.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { CategoryListSchema } from '../schemas/categories.ts';

export default async function categoryRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();

  fastify.get('/categories', {
    schema: { tags: ['categories'], summary: 'All categories, by name', response: { 200: CategoryListSchema } },
  }, async () => {
    const items = await fastify.prisma.category.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }], take: 1000 });
    return { items };
  });
}
