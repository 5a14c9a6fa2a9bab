// Before any replica starts: each service's code must be present with its generated Prisma
// client, and its migrations applied (what the chart's `migrate` init container does in each pod).
import { assertBuilt, type ServiceRuntime } from '@anypod/platform/service-command';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serviceDir, serviceExists } from './paths.ts';
import type { ServiceName } from './types.ts';

/** Throws a message that says what to run when a service cannot be started yet. */
export function checkServices(services: ServiceName[], runtimes?: ReadonlyMap<ServiceName, ServiceRuntime>): void {
  for (const service of services) {
    const dir = serviceDir(service);
    if ((runtimes?.get(service)?.kind ?? 'build') === 'build') assertBuilt(dir, service);
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
 * Applies every service's pending migrations, one service at a time, with
 * tools/prisma/deploy.mjs (which skips the CLI when nothing is pending and retries when another
 * process holds Prisma's database-wide migration lock).
 */
export async function migrateServices(services: ServiceName[], opts: { databaseUrl: string; log?: (line: string) => void }): Promise<void> {
  for (const service of services) {
    const dir = serviceDir(service);
    if (!existsSync(join(dir, 'prisma'))) {
      opts.log?.(`${service}: no prisma folder, no migrations to apply`);
      continue;
    }
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: opts.databaseUrl };
    const started = Date.now();
    const { code, output } = await run(dir, ['../../tools/prisma/deploy.mjs', dir], env);
    if (code !== 0) throw new Error(`services/${service}: migrations failed (exit ${code}):\n${output.slice(-3000)}`);
    opts.log?.(`${service}: ${output.trim().split('\n').at(-1) ?? 'migrations applied'} (${Date.now() - started} ms)`);
  }
}
