// The Prisma plugin every service registers, built from its generated client and its Postgres
// schema (no native engine: queries go through the pg driver adapter). The service types the
// `prisma` decorator with its own generated client, next to its call of prismaPlugin, because
// each service's client has its own models.
import type { PrismaPg } from '@prisma/adapter-pg';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { postgresAdapter } from './postgres.ts';

/** What the plugin needs of a generated PrismaClient. */
interface PrismaClientLike {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<unknown>;
  $disconnect(): Promise<void>;
}

export interface PrismaPluginOptions {
  databaseUrl: string;
  poolSize: number;
}

export function prismaPlugin(service: { client: new (options: { adapter: PrismaPg }) => PrismaClientLike; schema: string }) {
  async function prisma(fastify: FastifyInstance, opts: PrismaPluginOptions) {
    const client = new service.client({
      adapter: postgresAdapter(opts.databaseUrl, service.schema, opts.poolSize, (err) => fastify.log.warn({ err: err.message }, 'postgres pool error')),
    });
    // Decorated untyped (<unknown, string>): `prisma`'s type is the service's generated client,
    // declared in the service's plugin file, which this package cannot know.
    fastify.decorate<unknown, string>('prisma', client);
    // Critical even with STATE_STORE=memory: the shared store is the service's normal mode, and a
    // replica that cannot reach Postgres should not be sent traffic.
    fastify.addReadinessCheck({ name: 'postgres', critical: true, check: () => client.$queryRaw`SELECT 1` });
    fastify.addHook('onClose', async () => client.$disconnect());
  }
  return fp(prisma, { name: 'prisma', fastify: '5.x', dependencies: ['health'] });
}
