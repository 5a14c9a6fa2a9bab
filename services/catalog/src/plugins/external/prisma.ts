// The catalog schema's Prisma client: the platform's Prisma plugin (pool, readiness check,
// disconnect on close) given this service's generated client, whose models type the decorator.
import { prismaPlugin } from '@anypod/platform';
import { PrismaClient } from '../../generated/prisma/client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export default prismaPlugin({ client: PrismaClient, schema: 'catalog' });
