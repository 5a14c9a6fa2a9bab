// How each way of running a service compares: cold start to ready (spawn → first /readyz 200)
// and resident memory idle and under load, per service, median of several runs, measured side
// by side on one machine so the ratios mean something. Used to choose the production build.
//
//   node --import tsx tools/build/measure-startup.ts [--runs 5] [--requests 3000] [--case NODE:VARIANT[:CHECKOUT]]...
//
// Variants: tsx (TypeScript compiled at run time, what ran before), strip (Node's own type
// stripping, with --experimental-transform-types for the constructor parameter properties), and
// bundle (services/<name>/dist from `make build`). Each --case names a Node binary, a variant and
// optionally another checkout of the project to run it from (an older commit, for "before";
// prepared with its own `pnpm install` and Prisma clients). Default: this Node, each variant, this
// checkout. Loopback only; every process it starts is stopped.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { freePort } from '../cluster/process-utils.ts';
import { generateSecrets } from '../cluster/secrets.ts';
import { SERVICE_NAMES, serviceDir } from '../cluster/paths.ts';
import type { ServiceName } from '../cluster/types.ts';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '../cluster/cluster.ts';
import { processRssMiB, startUntilReady } from './cold-start.ts';
import { median } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    requests: { type: 'string', default: '3000' },
    case: { type: 'string', multiple: true },
  },
});
const RUNS = Number(values.runs);
const REQUESTS = Number(values.requests);
const COMMANDS: Record<string, string[]> = {
  tsx: ['--import', 'tsx', 'src/server.ts'],
  strip: ['--experimental-transform-types', '--no-warnings', 'src/server.ts'],
  bundle: ['--enable-source-maps', 'dist/server.js'],
};

interface Case {
  node: string;
  variant: string;
  /** a service's folder in the checkout this case runs */
  dir: (service: ServiceName) => string;
  label: string;
}
const CASES: Case[] = (values.case && values.case.length > 0 ? values.case : ['tsx', 'strip', 'bundle'].map((variant) => `${process.execPath}:${variant}`)).map((c) => {
  const [node, variant, checkout] = c.split(':') as [string, string, string | undefined];
  if (!node || !variant || !(variant in COMMANDS)) throw new Error(`--case ${c}: expected NODE:VARIANT[:CHECKOUT], VARIANT one of ${Object.keys(COMMANDS).join(', ')}`);
  return { node, variant, dir: (service) => (checkout ? join(checkout, 'services', service) : serviceDir(service)), label: `${variant}${checkout ? ` (${checkout})` : ''}` };
});


/** A read route per service that needs no account: what "under load" means here. */
const LOAD_PATH: Record<ServiceName, string> = {
  auth: '/auth/.well-known/jwks.json',
  catalog: '/catalog/products?pageSize=20&sort=price',
  cart: '/cart/openapi.json',
};

const secrets = generateSecrets();
let authJwks = 'http://127.0.0.1:9/auth/.well-known/jwks.json';

function envFor(service: ServiceName, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
    PORT: String(port),
    HOST: '127.0.0.1',
    POD_NAME: `${service}-measure`,
    LOG_LEVEL: 'warn',
    AUTH_JWKS_URL: authJwks,
    CATALOG_URL: 'http://127.0.0.1:9',
    COOKIE_SECURE: 'false',
    ...(service === 'auth' ? { JWT_PRIVATE_KEY: secrets.jwtPrivateKey, REFRESH_TOKEN_SECRET: secrets.refreshTokenSecret } : {}),
  };
}

const rssMiB = processRssMiB;

interface Sample {
  startMs: number;
  idleMiB: number;
  loadMiB: number;
}

async function once({ node, variant, dir }: Case, service: ServiceName): Promise<Sample> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await startUntilReady({ argv: [node, ...(COMMANDS[variant] as string[])], cwd: dir(service), env: envFor(service, port), url });
  try {
    await sleep(1000);
    const idleMiB = rssMiB(started.pid);
    const pool = new Pool(url, { connections: 16 });
    let peak = idleMiB;
    let sent = 0;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent++;
        const res = await pool.request({ path: LOAD_PATH[service], method: 'GET' });
        await res.body.dump();
        if (sent % 200 === 0) peak = Math.max(peak, rssMiB(started.pid));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    peak = Math.max(peak, rssMiB(started.pid));
    await pool.close();
    return { startMs: started.readyMs, idleMiB, loadMiB: peak };
  } catch (error) {
    throw new Error(`${service} (${variant}): ${(error as Error).message}\n${started.output().slice(-2000)}`, { cause: error });
  } finally {
    await started.stop();
  }
}

const services = SERVICE_NAMES;
const rows: string[] = [];
// Catalog and cart verify tokens against auth's JWKS: one auth stays up for them.
const authPort = await freePort();
const helper = await startUntilReady({ argv: [process.execPath, ...(COMMANDS.tsx as string[])], cwd: serviceDir('auth'), env: envFor('auth', authPort), url: `http://127.0.0.1:${authPort}` });
try {

  authJwks = `http://127.0.0.1:${authPort}/auth/.well-known/jwks.json`;
  for (const service of services) {
    // Runs interleave the variants, so a machine that slows down mid-measurement slows all alike.
    const samples = new Map<Case, Sample[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const c of CASES) samples.set(c, [...(samples.get(c) ?? []), await once(c, service)]);
    }
    for (const [c, list] of samples) {
      const version = await new Promise<string>((resolve) => {
        const p = spawn(c.node, ['--version']);
        let v = '';
        p.stdout.on('data', (d) => (v += d));
        p.once('exit', () => resolve(v.trim()));
      });
      rows.push(
        `${service.padEnd(8)} ${version.padEnd(9)} ${c.label.padEnd(7)} start ${median(list.map((s) => s.startMs)).toFixed(0).padStart(5)} ms   ` +
          `RSS idle ${median(list.map((s) => s.idleMiB)).toFixed(0).padStart(4)} MiB   under load ${median(list.map((s) => s.loadMiB)).toFixed(0).padStart(4)} MiB`,
      );
      console.log(rows.at(-1));
    }
  }
} finally {
  await helper.stop();
}
console.log(`\nmedian of ${RUNS} runs each; under load = peak RSS over ${REQUESTS} GETs at concurrency 16 (${join('services', '<name>')})`);
