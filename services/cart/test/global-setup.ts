// Before any cart test: a Prisma client generated from the current schema and the cart schema
// migrated (catalog's fixture does the same for catalog). `migrate deploy` is only spawned when a
// migration is pending, because the CLI lingers on exit.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import pg from 'pg';

function prisma(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['../../tools/prisma/run.mjs', ...args], { cwd, env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`prisma ${args.join(' ')} in ${cwd} failed:\n${result.stdout}\n${result.stderr}`);
}

async function pendingMigrations(cwd: string, schema: string): Promise<string[]> {
  const wanted = readdirSync(`${cwd}/prisma/migrations`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const applied = await client.query<{ migration_name: string }>(`SELECT migration_name FROM "${schema}"._prisma_migrations WHERE finished_at IS NOT NULL`);
    const done = new Set(applied.rows.map((r) => r.migration_name));
    return wanted.filter((name) => !done.has(name));
  } catch {
    return wanted; // no migrations table yet
  } finally {
    await client.end();
  }
}

export default async function setup() {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  prisma(cwd, 'generate');
  if ((await pendingMigrations(cwd, 'cart')).length > 0) prisma(cwd, 'migrate', 'deploy');
}
