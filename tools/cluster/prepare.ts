// Before any replica starts: each service's code must be present with its generated Prisma
// client, and its migrations applied (what the chart's migration Job does before the rollout).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serviceDir, serviceExists } from './topology.ts';
import type { ServiceName } from './types.ts';

/** Throws a message that says what to run when a service cannot be started yet. */
export function checkServices(services: ServiceName[]): void {
  for (const service of services) {
    const dir = serviceDir(service);
    if (!serviceExists(service)) throw new Error(`services/${service}/src/server.ts does not exist: that service is not written yet; pass services: [...] without it`);
    if (existsSync(join(dir, 'prisma')) && !existsSync(join(dir, 'src/generated'))) {
      throw new Error(`services/${service}/src/generated is missing: run \`prisma generate\` first (\`make prepare\`, or \`pnpm --filter @anypod/${service} prisma generate\`)`);
    }
    if (!existsSync(join(dir, 'node_modules'))) throw new Error(`services/${service}/node_modules is missing: run \`pnpm install\` (\`make prepare\`)`);
  }
}

function run(cwd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/**
 * `prisma migrate deploy` for every service that has a prisma folder, one at a time. Why not in
 * parallel: Prisma serializes migrations with one Postgres advisory lock for the whole database
 * and waits only 10 s for it (P1002). For the same reason a lock timeout (another process
 * migrating at the same moment, e.g. a parallel test file) is retried.
 */
export async function migrateServices(services: ServiceName[], opts: { databaseUrl: string; log?: (line: string) => void }): Promise<void> {
  for (const service of services) {
    const dir = serviceDir(service);
    if (!existsSync(join(dir, 'prisma'))) {
      opts.log?.(`${service}: no prisma folder, no migrations to apply`);
      continue;
    }
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: opts.databaseUrl };
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const { code, output } = await run(dir, ['../../tools/prisma/run.mjs', 'migrate', 'deploy'], env);
      if (code === 0) {
        opts.log?.(`${service}: migrations applied in ${Date.now() - started} ms`);
        break;
      }
      if (attempt < 4 && /P1002|advisory lock/.test(output)) {
        opts.log?.(`${service}: another migration holds the lock; retrying`);
        await sleep(1000 * attempt);
        continue;
      }
      throw new Error(`services/${service}: prisma migrate deploy failed (exit ${code}):\n${output.slice(-3000)}`);
    }
  }
}
