// Seed: one admin account for the local cluster and the demo (catalog writes need the admin
// role). Idempotent: an existing account keeps its password. Override with ADMIN_EMAIL and
// ADMIN_PASSWORD; the defaults are for a laptop only.
import { postgresAdapter } from '@anypod/platform';
import { PrismaClient } from '../src/generated/prisma/client.ts';
import { PasswordHasher } from '../src/plugins/app/passwords.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  process.stderr.write('seed: DATABASE_URL is required but not set\n');
  process.exit(78);
}
const email = (process.env.ADMIN_EMAIL ?? 'admin@anypod.local').toLowerCase();
const password = process.env.ADMIN_PASSWORD ?? 'anypod-admin-local';

const prisma = new PrismaClient({ adapter: postgresAdapter(databaseUrl, 'auth', 2) });
try {
  const existing = await prisma.user.findUnique({ where: { email } });
  if (existing) {
    if (existing.role !== 'admin') await prisma.user.update({ where: { email }, data: { role: 'admin' } });
    console.log(`auth seed: admin ${email} present`);
  } else {
    const passwordHash = await new PasswordHasher(1).hash(password);
    await prisma.user.create({ data: { email, passwordHash, role: 'admin' } });
    console.log(`auth seed: created admin ${email}`);
  }
} finally {
  await prisma.$disconnect();
}
