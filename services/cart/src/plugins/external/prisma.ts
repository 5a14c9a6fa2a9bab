// The cart schema's Prisma client (no native engine: queries go through the pg driver adapter).
import { postgresAdapter } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PrismaClient } from '../../generated/prisma/client.ts';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

async function prismaPlugin(fastify: FastifyInstance, opts: { databaseUrl: string; poolSize: number }) {
  const prisma = new PrismaClient({
    adapter: postgresAdapter(opts.databaseUrl, 'cart', opts.poolSize, (err) => fastify.log.warn({ err: err.message }, 'postgres pool error')),
  });
  fastify.decorate('prisma', prisma);
  // Critical even with STATE_STORE=memory: the shared store is the service's normal mode, and a
  // replica that cannot reach Postgres should not be sent traffic.
  fastify.readiness.checks.push({ name: 'postgres', critical: true, check: () => prisma.$queryRaw`SELECT 1` });
  fastify.addHook('onClose', async () => prisma.$disconnect());
}

export default fp(prismaPlugin, { name: 'prisma', fastify: '5.x', dependencies: ['health'] });
