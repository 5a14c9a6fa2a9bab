// Before any cart test: a Prisma client generated from the current schema and the cart schema
// migrated (catalog's fixture does the same for catalog).
import { fileURLToPath } from 'node:url';
import { deployMigrations, generatePrismaClient } from '@anypod/platform/testing/service-database';

export default function setup(): void {
  const serviceDir = fileURLToPath(new URL('..', import.meta.url));
  generatePrismaClient(serviceDir);
  deployMigrations(serviceDir);
}
