// The Prisma driver adapter for one service's Postgres schema: each service owns one schema in a
// shared database and never reads another's tables (architecture.md).
import { PrismaPg } from '@prisma/adapter-pg';

export function postgresAdapter(databaseUrl: string, schema: string, poolSize: number, onPoolError?: (err: Error) => void): PrismaPg {
  return new PrismaPg(
    {
      connectionString: databaseUrl,
      max: poolSize,
      options: `-c search_path="${schema}"`,
      connectionTimeoutMillis: 3000, // fail fast into a 503 instead of queueing while Postgres is down
      idleTimeoutMillis: 30_000,
      statement_timeout: 10_000,
    },
    { schema, ...(onPoolError ? { onPoolError } : {}) },
  );
}
