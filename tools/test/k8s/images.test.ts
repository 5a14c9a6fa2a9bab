// The images `make images` built (it runs before the tests in `make test`), run for real with
// podman and the project's own configuration (tools/images/podman.sh), the way the chart runs
// them: read-only root, a tmpfs at /tmp, uid 1000, no capabilities, no privilege escalation —
// against the test Postgres and Redis on the host's loopback (--network host).
// For each service image: /readyz answers 200 (catalog also serves a Prisma query, so the
// trimmed @prisma/client runtime is the one the bundle needs); `podman stop` delivers SIGTERM to
// node as PID 1 and the container exits 0 at once (the services' own graceful shutdown); the
// image's default user is 1000:1000; no dev dependency is in it. The migrate image applies
// migrations to a fresh database (the Prisma CLI on its WASM engine, read-only), and against the
// test database, whose migrations are applied, exits 0 quickly.
// Every check also runs on a broken variant built here from the auth image (root user, shell-form
// CMD, a dev dependency dropped in) and must fail there. Containers, images and the database
// this file creates are removed by name in afterAll, whatever happened.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '@anypod/platform/local-infra';
import { TEST_DATABASE_URL, testEnv } from '@anypod/platform/testing/env';
import { REPO_ROOT } from '../../k8s/render.ts';
import { SERVICE_NAMES } from '../../cluster/paths.ts';
import type { ServiceName } from '../../cluster/types.ts';
import { buildBroken, mustPodman, podman, requirePodman } from './podman.ts';

const SERVICES = SERVICE_NAMES;
// (not @types/*: some runtime packages, protobufjs for one, list @types/node in their dependencies)
const DEV_DEPENDENCIES = ['typescript', 'vitest', 'tsx', 'prisma', 'esbuild', 'eslint'];
/** The chart's container security settings, as podman flags. */
const RESTRICTED = ['--read-only', '--tmpfs', '/tmp', '--user', '1000:1000', '--cap-drop=ALL', '--security-opt', 'no-new-privileges'];
/** `podman stop` waits this long for the exit before SIGKILL (exit 137). */
const STOP_GRACE_SECONDS = 10;
/** A graceful shutdown with SHUTDOWN_DELAY_MS=0 takes milliseconds; this leaves room for podman. */
const PROMPT_STOP_MS = 5000;

const version = (parse(readFileSync(join(REPO_ROOT, 'helm/anypod/Chart.yaml'), 'utf8')) as { version: string }).version;
const image = (name: string) => `localhost/anypod/${name}:${version}`;
const tag = `${process.pid}-${Date.now().toString(36)}`;
const BROKEN = `localhost/anypod-images-test/broken:${tag}`;
const created = { containers: [] as string[], images: [] as string[], databases: [] as string[] };

function shell(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: REPO_ROOT });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

// --- the checks (each returns what it saw; the tests say what it must be) ---

/** The image's default user and group as node sees them (no --user given). */
function defaultUid(ref: string): string {
  return mustPodman(['run', '--rm', '--network', 'none', ref, 'node', '-p', 'process.getuid() + ":" + process.getgid()']);
}

/** Dev dependencies found anywhere in /app/node_modules (top level or pnpm's .pnpm store). */
function devDependenciesIn(ref: string): string[] {
  const script = `
    const { existsSync, readdirSync } = require('node:fs');
    const store = '/app/node_modules/.pnpm';
    const entries = existsSync(store) ? readdirSync(store) : [];
    const names = ${JSON.stringify(DEV_DEPENDENCIES)};
    const found = names.filter((n) => existsSync('/app/node_modules/' + n) || entries.some((e) => e.startsWith(n.replace('/', '+') + '@')));
    console.log(JSON.stringify(found));`;
  return JSON.parse(mustPodman(['run', '--rm', '--network', 'none', ref, 'node', '-e', script])) as string[];
}

/** What the container runs when started with no command: entrypoint + CMD. */
function startCommand(ref: string): string[] {
  const config = JSON.parse(mustPodman(['image', 'inspect', '--format', '{{json .Config}}', ref])) as { Cmd?: string[] | null; Entrypoint?: string[] | null };
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

interface StopResult {
  readyMs: number;
  stopMs: number;
  exitCode: number;
  logs: string;
}
/** Runs ref restricted on the host network, waits for /readyz, calls `probe`, then `podman stop`. */
async function runReadyAndStop(ref: string, name: string, env: Record<string, string>, probe?: (url: string) => Promise<void>, stopSeconds = STOP_GRACE_SECONDS): Promise<StopResult> {
  const port = await freePort();
  const container = `anypod-images-test-${name}-${tag}`;
  const envArgs = Object.entries({ ...env, PORT: String(port), HOST: '127.0.0.1', POD_NAME: container }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  created.containers.push(container);
  const started = Date.now();
  mustPodman(['run', '-d', '--name', container, ...RESTRICTED, '--network', 'host', ...envArgs, ref]);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const state = mustPodman(['inspect', '--format', '{{.State.Status}}', container]);
    if (state === 'exited') throw new Error(`${container} exited before it was ready:\n${podman(['logs', container]).output}`);
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() - started > 60_000) throw new Error(`${container} was not ready in 60 s:\n${podman(['logs', container]).output}`);
    await sleep(100);
  }
  const readyMs = Date.now() - started;
  if (probe) await probe(url);
  const stopping = Date.now();
  mustPodman(['stop', '--time', String(stopSeconds), container]);
  const stopMs = Date.now() - stopping;
  const exitCode = Number(mustPodman(['inspect', '--format', '{{.State.ExitCode}}', container]));
  const logs = podman(['logs', container]).output;
  mustPodman(['rm', '--force', container]);
  return { readyMs, stopMs, exitCode, logs };
}

/** Each service's required settings: the test secrets, and peers it never needs to be ready. */
function serviceEnv(service: ServiceName): Record<string, string> {
  const env = testEnv({ LOG_LEVEL: 'info' });
  if (service !== 'auth') env.AUTH_JWKS_URL = 'http://127.0.0.1:9/auth/.well-known/jwks.json';
  if (service === 'cart') env.CATALOG_URL = 'http://127.0.0.1:9/catalog';
  return env;
}

function runMigrate(args: string[], databaseUrl: string | undefined): { status: number; output: string; ms: number } {
  const started = Date.now();
  const env = databaseUrl ? ['-e', `DATABASE_URL=${databaseUrl}`] : [];
  const run = podman(['run', '--rm', ...RESTRICTED, '--network', 'host', ...env, image('migrate'), ...args], { timeoutMs: 120_000 });
  return { status: run.status, output: run.output, ms: Date.now() - started };
}

/** One SQL statement through psql (Debian's postgresql-client, installed with the server); the first value of the answer. */
function sql(query: string, url = TEST_DATABASE_URL): string {
  const result = spawnSync('psql', [url, '-X', '-v', 'ON_ERROR_STOP=1', '-At', '-c', query], { encoding: 'utf8' });
  if (result.error) throw new Error(`psql could not run (Debian package postgresql-client): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`psql: ${query} failed:\n${result.stderr}`);
  return result.stdout.trim();
}

beforeAll(() => {
  requirePodman('`make images` installs it (apt-get install -y podman runc)');
  const missing = [...SERVICES, 'migrate'].map(image).filter((ref) => podman(['image', 'exists', ref]).status !== 0);
  if (missing.length > 0) throw new Error(`not built: ${missing.join(', ')} — run \`make images\` first (make test does, before the tests)`);
  // Idempotent: nothing happens when they run already (make test starts them).
  if (!process.env.DATABASE_URL) shell('bash', ['tools/infra/postgres.sh', 'start']);
  if (!process.env.REDIS_URL) shell('bash', ['tools/infra/redis.sh', 'start']);

  // The broken variant: every property the checks look at, wrong — root by default, a shell-form
  // CMD (/bin/sh is PID 1 and node its child: SIGTERM never reaches node, `podman stop` ends in
  // SIGKILL), and a dev dependency in node_modules. Built offline on top of the auth image.
  created.images.push(BROKEN);
  buildBroken(BROKEN, [
    `FROM ${image('auth')}`,
    'USER 0:0',
    'RUN mkdir -p /app/node_modules/typescript && echo \'{"name":"typescript","version":"5.9.3"}\' > /app/node_modules/typescript/package.json',
    'CMD node --enable-source-maps dist/server.js',
  ]);
});

afterAll(() => {
  for (const container of created.containers) podman(['rm', '--force', '--ignore', container]);
  for (const ref of created.images) podman(['rmi', '--force', '--ignore', ref]);
  // FORCE: the Prisma CLI's connection may still linger (environment.md).
  for (const db of created.databases) sql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
});

describe.each(SERVICES)('anypod/%s', (service) => {
  it('is ready read-only as 1000:1000 with no capabilities, and exits 0 promptly on SIGTERM (node is PID 1)', async () => {
    const probe =
      service === 'catalog'
        ? async (url: string) => {
            // A real Prisma query: the query compiler the pruned @prisma/client runtime must still hold.
            const res = await fetch(`${url}/catalog/categories`);
            expect(res.status, await res.text()).toBe(200);
          }
        : undefined;
    const run = await runReadyAndStop(image(service), service, serviceEnv(service), probe);
    console.log(`${service}: ready in ${run.readyMs} ms, stopped in ${run.stopMs} ms, exit ${run.exitCode}`);
    expect(run.exitCode, run.logs).toBe(0);
    expect(run.stopMs, `podman stop took ${run.stopMs} ms: SIGTERM did not end node\n${run.logs}`).toBeLessThan(PROMPT_STOP_MS);
    expect(run.logs).toContain('"signal":"SIGTERM"');
  });

  it('runs as uid/gid 1000 by default', () => {
    expect(defaultUid(image(service))).toBe('1000:1000');
  });

  it('holds no dev dependency, only package.json, node_modules and dist', () => {
    expect(devDependenciesIn(image(service))).toEqual([]);
    expect(mustPodman(['run', '--rm', '--network', 'none', image(service), 'node', '-p', 'require("fs").readdirSync("/app").sort().join(" ")'])).toBe('dist node_modules package.json');
    expect(startCommand(image(service))).toEqual(['node', '--enable-source-maps', 'dist/server.js']);
  });
});

describe('the checks fail on a broken variant (root, shell-form CMD, a dev dependency)', () => {
  it('the stop check: SIGTERM goes to /bin/sh, node never stops, podman kills it', async () => {
    const run = await runReadyAndStop(BROKEN, 'broken', serviceEnv('auth'), undefined, 3);
    console.log(`broken: stopped in ${run.stopMs} ms, exit ${run.exitCode}`);
    expect(run.exitCode).not.toBe(0);
    expect(run.stopMs).toBeGreaterThanOrEqual(3000);
    expect(run.logs).not.toContain('"signal":"SIGTERM"');
  });

  it('the user check, the dev dependency check and the start command check', () => {
    expect(defaultUid(BROKEN)).toBe('0:0');
    expect(devDependenciesIn(BROKEN)).toEqual(['typescript']);
    expect(startCommand(BROKEN)).toEqual(['/bin/sh', '-c', 'node --enable-source-maps dist/server.js']);
  });
});

describe('anypod/migrate', () => {
  it('applies every migration to a fresh database, read-only as 1000:1000 (the Prisma CLI on its WASM engine)', () => {
    const db = `anypod_images_${tag.replace(/-/g, '_')}`;
    created.databases.push(db);
    sql(`CREATE DATABASE "${db}"`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${db}`;
    const run = runMigrate(['auth'], url.toString());
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain('auth: applying');
    const applied = sql('SELECT count(*) FROM auth._prisma_migrations WHERE finished_at IS NOT NULL', url.toString());
    const wanted = readdirSync(join(REPO_ROOT, 'services/auth/prisma/migrations'), { withFileTypes: true }).filter((d) => d.isDirectory()).length;
    expect(wanted).toBeGreaterThan(0);
    expect(Number(applied)).toBe(wanted);
  });

  it('exits 0 quickly for each service when its migrations are applied already', () => {
    for (const service of SERVICES) {
      runMigrate([service], TEST_DATABASE_URL); // applies whatever is pending in the test database
      const again = runMigrate([service], TEST_DATABASE_URL);
      console.log(`migrate ${service}: up to date in ${again.ms} ms`);
      expect(again.status, again.output).toBe(0);
      expect(again.output).toContain(`${service}: migrations up to date`);
      expect(again.ms).toBeLessThan(8000);
    }
  });

  it('fails clearly on bad input: no service, an unknown one, no DATABASE_URL', () => {
    for (const args of [[], ['nope'], ['auth', 'cart']]) {
      const run = runMigrate(args, TEST_DATABASE_URL);
      expect(run.status, run.output).toBe(64);
      expect(run.output).toContain('give one service whose migrations to apply: auth, cart, catalog');
    }
    const noUrl = runMigrate(['auth'], undefined);
    expect(noUrl.status, noUrl.output).toBe(78);
    expect(noUrl.output).toContain('DATABASE_URL is required');
  });
});
