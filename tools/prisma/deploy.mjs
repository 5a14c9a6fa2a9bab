#!/usr/bin/env node
// Applies a service's committed migrations with `prisma migrate deploy` — only when one is
// pending. Usage: node tools/prisma/deploy.mjs <service folder>   (DATABASE_URL in the env)
// Why the check: the CLI keeps a Postgres connection open for ~10 s after it has finished, even
// with nothing to do, and holds Prisma's database-wide migration lock meanwhile (a concurrent
// deploy of another service then fails with P1002). Applied migrations are read from the
// service's own schema, named after its folder (auth, catalog, cart).
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const serviceDir = resolve(process.argv[2] ?? '.');
const schema = basename(serviceDir);
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('deploy: DATABASE_URL is required but not set');
  process.exit(78);
}
const pg = createRequire(`${serviceDir}/package.json`)('pg');
const runner = fileURLToPath(new URL('./run.mjs', import.meta.url));

async function pendingMigrations() {
  const wanted = readdirSync(`${serviceDir}/prisma/migrations`, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const applied = await client.query(`SELECT migration_name FROM "${schema}"._prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
    const done = new Set(applied.rows.map((r) => r.migration_name));
    return wanted.filter((name) => !done.has(name));
  } catch (error) {
    if (error.code === '3F000' || error.code === '42P01') return wanted; // no schema / no migrations table yet
    throw error;
  } finally {
    await client.end();
  }
}

const pending = await pendingMigrations();
if (pending.length === 0) {
  console.log(`${schema}: migrations up to date`);
  process.exit(0);
}
console.log(`${schema}: applying ${pending.join(', ')}`);
for (let attempt = 1; ; attempt++) {
  const result = spawnSync(process.execPath, [runner, 'migrate', 'deploy'], { cwd: serviceDir, encoding: 'utf8' });
  if (result.status === 0) process.exit(0);
  const output = `${result.stdout}\n${result.stderr}`;
  // Another service migrating at the same moment holds the database-wide lock: wait and retry.
  if (attempt < 4 && /P1002|advisory lock/.test(output)) {
    await sleep(1000 * attempt);
    continue;
  }
  console.error(output.slice(-3000));
  process.exit(result.status ?? 1);
}
