#!/usr/bin/env node
// Entry of the anypod/migrate image: `<image> <service>` (the init container's args: ["auth"])
// applies that service's pending migrations with the project's own tools/prisma/deploy.mjs —
// the same script `make migrate` runs — and exits 0 at once when none is pending.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const servicesDir = fileURLToPath(new URL('../../services/', import.meta.url));
const services = readdirSync(servicesDir).filter((name) => existsSync(`${servicesDir}${name}/prisma/schema.prisma`));
const name = process.argv[2];
if (process.argv.length !== 3 || !services.includes(name)) {
  console.error(`migrate: give one service whose migrations to apply: ${services.join(', ')} (got ${process.argv.slice(2).join(' ') || 'nothing'})`);
  process.exit(64);
}
// deploy.mjs reads its service folder from argv[2]; importing it keeps one process.
process.argv[2] = `${servicesDir}${name}`;
await import('../prisma/deploy.mjs');
