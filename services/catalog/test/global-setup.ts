// Before any catalog test: a Prisma client generated from the current schema, and the catalog
// schema migrated. `migrate deploy` is only spawned when a migration is pending, because the CLI
// lingers ~10 s on exit (its pg pool idles out) even when there is nothing to do.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import pg from 'pg';

const cwd = fileURLToPath(new URL('..', import.meta.url));

function prisma(...args: string[]): void {
  const result = spawnSync(process.execPath, ['../../tools/prisma/run.mjs', ...args], { cwd, env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`prisma ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
}

async function pendingMigrations(): Promise<string[]> {
  const wanted = readdirSync(new URL('../prisma/migrations', import.meta.url), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const applied = await client.query<{ migration_name: string }>('SELECT migration_name FROM catalog._prisma_migrations WHERE finished_at IS NOT NULL');
    const done = new Set(applied.rows.map((r) => r.migration_name));
    return wanted.filter((name) => !done.has(name));
  } catch {
    return wanted; // no migrations table yet
  } finally {
    await client.end();
  }
}

/** Applies catalog migrations if any is pending (also used by the fixture other services start). */
export async function ensureMigrated(): Promise<void> {
  if ((await pendingMigrations()).length > 0) prisma('migrate', 'deploy');
}

/** Generates the Prisma client; with `onlyIfMissing`, leaves an existing one alone. */
export function generateClient(opts: { onlyIfMissing?: boolean } = {}): void {
  if (opts.onlyIfMissing && existsSync(new URL('../src/generated/prisma/client.ts', import.meta.url))) return;
  prisma('generate');
}

export default async function setup(): Promise<void> {
  generateClient();
  await ensureMigrated();
}
