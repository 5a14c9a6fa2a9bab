// The stand-in images `make standin-images` builds (tools/images/standin/README.md), run for real
// with podman and the project's own configuration (tools/images/podman.sh) the way the chart runs
// them: read-only root with tmpfs where the chart mounts emptyDirs, the chart's uid, no
// capabilities, no privilege escalation, on podman's bridge with the port published on loopback
// only (so the servers see a client that is not 127.0.0.1, as from another pod).
// Postgres: POSTGRES_USER/PASSWORD/DB make the superuser and database; a TCP password login works
// and a wrong password fails; the chart's `-c max_connections=N` reaches the server; the chart's
// probe (pg_isready) and pre-stop (pg_ctl stop -m fast) work; postgres is PID 1 and exits 0 on
// SIGTERM and SIGINT; a second container on the same volume keeps the data and ignores the env.
// Valkey: the chart's command and probe, PONG from outside the container, --maxmemory evicts.
// pause: exits 0 on SIGTERM and SIGINT, reaps orphans of its PID namespace.
// The checks that could pass by accident also run on a broken variant and must fail there: an
// entrypoint without `exec` (built here), Debian's redis-server without the wrapper (protected
// mode), and `sleep` instead of pause (never reaps). The images are built (or found current) by
// tools/images/standin/build.sh first. Everything created here is removed by name.
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@anypod/platform/local-infra';
import { REPO_ROOT } from '../../k8s/render.ts';
import { buildBroken, mustPodman, podman, requirePodman, type Run } from './podman.ts';

const POSTGRES = 'localhost/anypod-standin/postgres:15-bookworm';
const VALKEY = 'localhost/anypod-standin/valkey:7.0-bookworm';
const PAUSE = 'localhost/anypod-standin/pause:3.10';
const BASE = 'localhost/anypod-standin/debian:bookworm-minbase';
/** The chart's PGDATA: a folder below the volume's mount point. */
const PGDATA = '/var/lib/postgresql/data/pgdata';
/** The chart's container security settings (helpers anypod.containerSecurityContext) as podman flags. */
const RESTRICTED = ['--read-only', '--read-only-tmpfs=false', '--cap-drop=ALL', '--security-opt', 'no-new-privileges'];
/** What the chart mounts for Postgres besides the data volume: emptyDirs for the socket and /tmp. */
const POSTGRES_MOUNTS = ['--tmpfs', '/var/run/postgresql', '--tmpfs', '/tmp', '--user', '999:999'];
/** A prompt stop: the servers need well under a second; this leaves room for podman. */
const PROMPT_STOP_MS = 5000;
const PG = { user: 'anypod', password: 'standin-test-password', db: 'anypod_standin', maxConnections: 37 };

const tag = `${process.pid}-${Date.now().toString(36)}`;
const created = { containers: [] as string[], images: [] as string[], volumes: [] as string[] };
const BROKEN_POSTGRES = `localhost/anypod-standin-test/postgres-no-exec:${tag}`;

function name(what: string): string {
  const container = `anypod-standin-test-${what}-${tag}`;
  created.containers.push(container);
  return container;
}
const state = (container: string) => mustPodman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container]).split(' ');
const logs = (container: string) => podman(['logs', container]).output;
/** Argument 0 of PID 1, and the program it runs (/proc/1/comm). */
const pid1 = (container: string) => mustPodman(['exec', container, 'sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; cat /proc/1/comm']);

/** Sends `signal` to PID 1 and waits up to waitMs for the exit: the milliseconds taken and the exit code, or undefined if still running. */
async function signalAndWait(container: string, signal: string, waitMs = PROMPT_STOP_MS): Promise<{ ms: number; exitCode: number } | undefined> {
  const started = Date.now();
  mustPodman(['kill', '--signal', signal, container]);
  while (Date.now() - started < waitMs) {
    const [status, code] = state(container);
    if (status === 'exited') return { ms: Date.now() - started, exitCode: Number(code) };
    await sleep(100);
  }
  return undefined;
}

/** Polls until check() holds, or throws with the container's logs. */
async function until(container: string, what: string, check: () => boolean, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (check()) return Date.now() - started;
    if (state(container)[0] === 'exited') throw new Error(`${container} exited before ${what}:\n${logs(container)}`);
    if (Date.now() - started > timeoutMs) throw new Error(`${container}: no ${what} in ${timeoutMs} ms:\n${logs(container)}`);
    await sleep(200);
  }
}

// --- Postgres ---

/** psql (Debian's postgresql-client on the host) over TCP to the published port, with a password. */
function psql(port: number, password: string, query: string): Run {
  const result = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', PG.user, '-d', PG.db, '-X', '-v', 'ON_ERROR_STOP=1', '-At', '-c', query], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
  });
  if (result.error) throw new Error(`psql could not run (Debian package postgresql-client): ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout.trim(), output: `${result.stdout}${result.stderr}` };
}
function mustPsql(port: number, query: string): string {
  const run = psql(port, PG.password, query);
  if (run.status !== 0) throw new Error(`psql ${query} failed:\n${run.output}`);
  return run.stdout;
}
/** The chart's probe, exactly: pg_isready inside the container against 127.0.0.1. */
const pgIsReady = (container: string) => podman(['exec', container, 'pg_isready', '-h', '127.0.0.1', '-U', PG.user, '-d', PG.db]);

/** Starts Postgres as the chart does (env, args, mounts, uid) on `volume`; resolves when the chart's probe passes. */
async function startPostgres(what: string, volume: string, opts: { image?: string; password?: string } = {}): Promise<{ container: string; port: number; readyMs: number }> {
  const container = name(what);
  const port = await freePort();
  const env = { POSTGRES_USER: PG.user, POSTGRES_PASSWORD: opts.password ?? PG.password, POSTGRES_DB: PG.db, PGDATA };
  mustPodman([
    'run', '-d', '--name', container, ...RESTRICTED, ...POSTGRES_MOUNTS,
    '-v', `${volume}:/var/lib/postgresql/data`, '-p', `127.0.0.1:${port}:5432`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    opts.image ?? POSTGRES, '-c', `max_connections=${PG.maxConnections}`,
  ]);
  const readyMs = await until(container, 'pg_isready', () => pgIsReady(container).status === 0);
  return { container, port, readyMs };
}
function newVolume(what: string): string {
  const volume = `anypod-standin-test-${what}-${tag}`;
  created.volumes.push(volume);
  mustPodman(['volume', 'create', volume]);
  return volume;
}

// --- Valkey: one RESP command over TCP from the host, the first line of the answer ---

async function resp(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer in 5 s')));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        socket.end();
        resolve(data.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}
/** Starts a cache container with the chart's command and args (maxmemory as given). */
async function startValkey(what: string, command: string[]): Promise<{ container: string; port: number }> {
  const container = name(what);
  const port = await freePort();
  mustPodman(['run', '-d', '--name', container, ...RESTRICTED, '--user', '999:999', '--tmpfs', '/data', '-p', `127.0.0.1:${port}:6379`, VALKEY, ...command]);
  await until(container, 'valkey-cli ping', () => podman(['exec', container, 'valkey-cli', 'ping']).stdout === 'PONG');
  return { container, port };
}
const chartValkey = (maxMemory: string) => ['valkey-server', '--port', '6379', '--save', '', '--appendonly', 'no', '--maxmemory', maxMemory, '--maxmemory-policy', 'allkeys-lru'];

// --- pause: an orphan in the pod's PID namespace, and whether PID 1 reaps it ---

/**
 * Joins `sandbox`'s PID namespace (as a pod's containers do), leaves an orphan that exits after
 * 0.2 s, and lists zombies a second later: empty when PID 1 reaps.
 */
function zombiesAfterOrphan(sandbox: string): string {
  const script = '(sleep 0.2 &); sleep 1.5; for f in /proc/[0-9]*/stat; do read -r pid comm st ppid rest <"$f" && [ "$st" = Z ] && echo "$pid $comm ppid=$ppid"; done; true';
  return mustPodman(['run', '--rm', '--network', 'none', '--pid', `container:${sandbox}`, BASE, 'bash', '-c', script]);
}

beforeAll(() => {
  requirePodman('apt-get install -y podman runc');
  // make test builds no stand-ins: build.sh does here, in under a second when they are current
  // (recipe labels), about 95 s from nothing (debootstrap; needs root like make images).
  const started = Date.now();
  const build = spawnSync('bash', [join(REPO_ROOT, 'tools/images/standin/build.sh')], { encoding: 'utf8', timeout: 280_000 });
  if (build.status !== 0) throw new Error(`tools/images/standin/build.sh failed (exit ${build.status ?? build.signal}):\n${build.stdout}${build.stderr}`);
  console.log(`stand-in images current after ${Date.now() - started} ms`);
  const missing = [POSTGRES, VALKEY, PAUSE, BASE].filter((ref) => podman(['image', 'exists', ref]).status !== 0);
  if (missing.length > 0) throw new Error(`build.sh succeeded but these are missing: ${missing.join(', ')}`);
  // The broken variant: the entrypoint's last `exec "$@"` without exec, so bash stays PID 1 and
  // postgres is its child. Built offline on top of the stand-in.
  created.images.push(BROKEN_POSTGRES);
  buildBroken(BROKEN_POSTGRES, [
    `FROM ${POSTGRES}`,
    'USER 0:0',
    `RUN sed -i 's/^exec "\\$@"$/"$@"/' /usr/local/bin/docker-entrypoint.sh && grep -qx '"\\$@"' /usr/local/bin/docker-entrypoint.sh`,
  ]);
});

afterAll(() => {
  for (const container of created.containers) podman(['rm', '--force', '--ignore', '--time', '0', container]);
  for (const volume of created.volumes) podman(['volume', 'rm', '--force', volume]);
  for (const ref of created.images) podman(['rmi', '--force', '--ignore', ref]);
});

describe('stand-in postgres (Debian PostgreSQL 15, the official image contract)', () => {
  let volume: string;
  let first: { container: string; port: number; readyMs: number };

  beforeAll(async () => {
    volume = newVolume('pg');
    first = await startPostgres('pg', volume);
    console.log(`postgres: initialised and ready (pg_isready) in ${first.readyMs} ms`);
  });

  it('is user postgres 999:999, with pg_isready and pg_ctl on PATH', () => {
    expect(mustPodman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', POSTGRES, '-c', 'id -u postgres; id -g postgres'])).toBe('999\n999');
    const paths = mustPodman(['exec', first.container, 'sh', '-c', 'for b in pg_isready pg_ctl postgres psql; do command -v "$b"; done']);
    expect(paths.split('\n')).toEqual(['pg_isready', 'pg_ctl', 'postgres', 'psql'].map((b) => `/usr/lib/postgresql/15/bin/${b}`));
  });

  it('made POSTGRES_USER a superuser with POSTGRES_PASSWORD and created POSTGRES_DB, and logs in over TCP with it', () => {
    expect(mustPsql(first.port, 'SELECT current_user, current_database(), (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), inet_client_addr() <> \'127.0.0.1\'')).toBe(`${PG.user}|${PG.db}|t|t`);
    expect(mustPsql(first.port, 'SHOW server_version')).toMatch(/^15\./);
  });

  it('refuses a wrong password over TCP (scram-sha-256)', () => {
    const wrong = psql(first.port, 'not-the-password', 'SELECT 1');
    expect(wrong.status).not.toBe(0);
    expect(wrong.output).toContain(`password authentication failed for user "${PG.user}"`);
    expect(mustPsql(first.port, "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND auth_method <> 'scram-sha-256'")).toBe('0');
  });

  it("applies the chart's -c max_connections and runs postgres itself as PID 1 (exec, no wrapper)", () => {
    expect(mustPsql(first.port, 'SHOW max_connections')).toBe(String(PG.maxConnections));
    expect(pid1(first.container)).toBe(`postgres -c max_connections=${PG.maxConnections} \npostgres`);
  });

  it('stops on SIGTERM promptly with exit 0; a new container on the same volume keeps the data and ignores the env', async () => {
    mustPsql(first.port, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES (\'survives\')');
    const stop = await signalAndWait(first.container, 'TERM');
    expect(stop, logs(first.container)).toBeDefined();
    console.log(`postgres: SIGTERM to exit in ${stop?.ms} ms, exit ${stop?.exitCode}`);
    expect(stop?.exitCode).toBe(0);

    // A changed POSTGRES_PASSWORD must change nothing: the cluster exists, only the server starts.
    const again = await startPostgres('pg-again', volume, { password: 'a-new-password-is-ignored' });
    expect(mustPsql(again.port, 'SELECT v FROM kept')).toBe('survives');
    expect(logs(again.container)).toContain('holds a PostgreSQL 15 cluster: starting it');
    expect(logs(again.container)).not.toContain('initialising');
  });

  it('stops on SIGINT (the image STOPSIGNAL, a fast shutdown) with a query running, exit 0', async () => {
    const run = await startPostgres('pg-sigint', volume);
    const client = spawn('psql', ['-h', '127.0.0.1', '-p', String(run.port), '-U', PG.user, '-d', PG.db, '-X', '-c', 'SELECT pg_sleep(60)'], { env: { ...process.env, PGPASSWORD: PG.password }, stdio: 'ignore' });
    try {
      await until(run.container, 'the running query', () => mustPsql(run.port, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'") === '1');
      expect(mustPodman(['image', 'inspect', '--format', '{{.Config.StopSignal}}', POSTGRES])).toBe('SIGINT');
      const stop = await signalAndWait(run.container, 'INT');
      expect(stop, logs(run.container)).toBeDefined();
      expect(stop?.exitCode).toBe(0);
    } finally {
      client.kill();
    }
  });

  it("stops with the chart's pre-stop command (pg_ctl stop -m fast), exit 0", async () => {
    const run = await startPostgres('pg-prestop', volume);
    // pg_ctl waits for the server to go; the server is PID 1, so the container (and the exec in
    // it) may end first: 137 then, as with the official image. The container's exit is what counts.
    const preStop = podman(['exec', run.container, 'pg_ctl', 'stop', '-m', 'fast', '-D', PGDATA]);
    expect([0, 137], preStop.output).toContain(preStop.status);
    expect(preStop.output).toContain('waiting for server to shut down');
    // pg_ctl -m fast waits for the shutdown itself; PID 1 exiting follows at once.
    for (let i = 0; i < 50 && state(run.container)[0] !== 'exited'; i++) await sleep(100);
    expect(state(run.container)).toEqual(['exited', '0']);
  });

  it('refuses to initialise an empty PGDATA without POSTGRES_PASSWORD, saying why', () => {
    const run = podman(['run', '--rm', '--network', 'none', ...RESTRICTED, ...POSTGRES_MOUNTS, '-v', `${newVolume('pg-nopw')}:/var/lib/postgresql/data`, '-e', `PGDATA=${PGDATA}`, POSTGRES]);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('POSTGRES_PASSWORD is not set');
  });

  it('the PID 1 and SIGTERM checks fail on an entrypoint without exec (bash stays PID 1 and ignores SIGTERM)', async () => {
    const broken = await startPostgres('pg-broken', newVolume('pg-broken'), { image: BROKEN_POSTGRES });
    expect(pid1(broken.container)).toMatch(/\nbash$/);
    expect(await signalAndWait(broken.container, 'TERM', 3000)).toBeUndefined();
  });
});

describe('stand-in valkey (Debian redis-server 7.0 as valkey-server)', () => {
  it("runs the chart's command as 999 in /data, answers the probe and a client from outside, stops on SIGTERM", async () => {
    expect(mustPodman(['image', 'inspect', '--format', '{{.Config.User}} {{.Config.WorkingDir}}', VALKEY])).toBe('999:999 /data');
    const { container, port } = await startValkey('valkey', chartValkey('96mb'));
    expect(mustPodman(['exec', container, 'valkey-cli', 'ping'])).toBe('PONG');
    expect(await resp(port, 'PING')).toBe('+PONG');
    expect(mustPodman(['exec', container, 'sh', '-c', 'id -u; pwd; cat /proc/1/comm'])).toBe('999\n/data\nredis-server');
    expect(mustPodman(['exec', container, 'valkey-cli', 'config', 'get', 'maxmemory'])).toBe(`maxmemory\n${96 * 1024 * 1024}`);
    expect(mustPodman(['exec', container, 'valkey-cli', 'config', 'get', 'save'])).toBe('save');
    const stop = await signalAndWait(container, 'TERM');
    expect(stop, logs(container)).toBeDefined();
    expect(stop?.exitCode).toBe(0);
  });

  it('honours --maxmemory: writing 5 MB into 2mb evicts keys (allkeys-lru)', async () => {
    const { container } = await startValkey('valkey-lru', chartValkey('2mb'));
    const fill = "for i = 1, 5000 do redis.call('SET', 'k' .. i, string.rep('x', 1000)) end return 1";
    expect(mustPodman(['exec', container, 'valkey-cli', 'eval', fill, '0'])).toBe('1');
    const stats = mustPodman(['exec', container, 'valkey-cli', 'info', 'stats']);
    const evicted = Number(/evicted_keys:(\d+)/.exec(stats)?.[1]);
    const keys = Number(mustPodman(['exec', container, 'valkey-cli', 'dbsize']));
    console.log(`valkey: 5000 keys of 1 KB into 2mb: ${keys} kept, ${evicted} evicted`);
    expect(evicted).toBeGreaterThan(0);
    expect(keys).toBeLessThan(5000);
  });

  it("the outside-client check fails on Debian's redis-server without the wrapper (protected mode)", async () => {
    const { port } = await startValkey('valkey-protected', ['redis-server', '--port', '6379', '--save', '']);
    expect(await resp(port, 'PING')).toMatch(/^-DENIED/);
  });
});

describe('stand-in pause', () => {
  it('is one static binary FROM scratch, user 65535, entrypoint /pause', () => {
    const config = mustPodman(['image', 'inspect', '--format', '{{.Config.User}} {{json .Config.Entrypoint}} {{len .RootFS.Layers}} {{.Size}}', PAUSE]).split(' ');
    expect(config.slice(0, 3)).toEqual(['65535:65535', '["/pause"]', '1']);
    expect(Number(config[3])).toBeLessThan(2_000_000);
  });

  it.each(['TERM', 'INT'])('exits 0 promptly on SIG%s', async (signal) => {
    const container = name(`pause-${signal.toLowerCase()}`);
    mustPodman(['run', '-d', '--name', container, ...RESTRICTED, '--network', 'none', PAUSE]);
    await sleep(300);
    expect(state(container)[0]).toBe('running');
    const stop = await signalAndWait(container, signal, 2000);
    expect(stop, logs(container)).toBeDefined();
    expect(stop?.exitCode).toBe(0);
  });

  it("reaps orphans in the pod's PID namespace; the check fails with sleep as PID 1", () => {
    const sandbox = name('pause-reap');
    mustPodman(['run', '-d', '--name', sandbox, ...RESTRICTED, '--network', 'none', PAUSE]);
    expect(zombiesAfterOrphan(sandbox)).toBe('');

    const lazy = name('sleep-reap');
    mustPodman(['run', '-d', '--name', lazy, '--network', 'none', BASE, 'sleep', 'infinity']);
    expect(zombiesAfterOrphan(lazy)).toMatch(/\(sleep\) ppid=1$/);
  });
});
