// Before any catalog test: a Prisma client generated from the current schema, and the catalog
// schema migrated. The two steps are exported for the fixture other services start.
import { fileURLToPath } from 'node:url';
import { deployMigrations, generatePrismaClient } from '@anypod/platform/testing/service-database';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

/** Applies catalog migrations if any is pending (also used by the fixture other services start). */
export async function ensureMigrated(): Promise<void> {
  deployMigrations(serviceDir);
}

/** Generates the Prisma client; with `onlyIfMissing`, leaves an existing one alone. */
export function generateClient(opts: { onlyIfMissing?: boolean } = {}): void {
  generatePrismaClient(serviceDir, opts);
}

export default async function setup(): Promise<void> {
  generateClient();
  await ensureMigrated();
}
