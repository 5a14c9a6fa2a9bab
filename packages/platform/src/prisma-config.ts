// Shared prisma.config.ts body for every service: the WASM schema engine through the pg driver
// adapter (no native engines, see environment.md), with the service's own Postgres schema.
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';

export function servicePrismaConfig(schema: string) {
  return defineConfig({
    engine: 'js',
    experimental: { adapter: true },
    schema: 'prisma/schema.prisma',
    migrations: { path: 'prisma/migrations' },
    async adapter() {
      const connectionString = process.env.DATABASE_URL;
      if (!connectionString) throw new Error('DATABASE_URL is required to run Prisma commands');
      // The service's schema must exist before the migrations table can be created in it.
      const client = new pg.Client({ connectionString });
      await client.connect();
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.end();
      return new PrismaPg({ connectionString, options: `-c search_path="${schema}"` }, { schema });
    },
  });
}
