// Test set-up for a service with a Prisma schema: its generated client, and its migrations
// applied (only when one is pending — tools/prisma/deploy.mjs says why). Used by the services'
// vitest global setups and by fixtures that start another service for a test.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_DATABASE_URL } from './env.ts';

const prismaTools = fileURLToPath(new URL('../../../../tools/prisma/', import.meta.url));

function node(serviceDir: string, script: string, args: string[]): void {
  const result = spawnSync(process.execPath, [join(prismaTools, script), ...args], { cwd: serviceDir, env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} in ${serviceDir} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Generates the service's Prisma client; with `onlyIfMissing`, leaves an existing one alone. */
export function generatePrismaClient(serviceDir: string, opts: { onlyIfMissing?: boolean } = {}): void {
  if (opts.onlyIfMissing && existsSync(join(serviceDir, 'src/generated/prisma/client.ts'))) return;
  node(serviceDir, 'run.mjs', ['generate']);
}

/** Applies the service's pending migrations to the test database. */
export function deployMigrations(serviceDir: string): void {
  node(serviceDir, 'deploy.mjs', [serviceDir]);
}
