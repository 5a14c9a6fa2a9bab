// The graceful shutdown of ONE auth process, without nginx: what a replica does between its
// SIGTERM and its exit. Requests in flight on keep-alive connections must all be answered, idle
// keep-alive connections must not hold close() (Node's keepAliveTimeout is 72 s under Fastify),
// and the process must exit 0 long before the grace period.
//
// A keep-alive connection that carries a request when close() starts must not hold close()
// either: packages/platform/src/graceful.ts (drainConnectionsOnClose) answers it with
// `Connection: close`. Before that fix this process was force-exited with code 1 at
// SHUTDOWN_TIMEOUT_MS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../cluster/process-utils.ts';
import { checkServices, migrateServices } from '../../cluster/prepare.ts';
import { newReplicaName, Replica } from '../../cluster/replica.ts';
import { newAccount, standaloneAuthEnv, TEST_PASSWORD } from '../../cluster/testing.ts';
import { serviceDir } from '../../cluster/topology.ts';
import { DEFAULT_DATABASE_URL } from '../../cluster/cluster.ts';

const runDir = mkdtempSync(join(tmpdir(), 'anypod-shutdown-'));
let replica: Replica | undefined;
const clients: Client[] = [];
let migrated = false;

async function startAuth(extraEnv: Record<string, string> = {}): Promise<Replica> {
  checkServices(['auth']);
  if (!migrated) {
    await migrateServices(['auth'], { databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL });
    migrated = true;
  }
  const name = newReplicaName('auth');
  const port = await freePort();
  const env = { ...standaloneAuthEnv({ LOGIN_RATE_LIMIT_PER_MINUTE: '100000', ...extraEnv }), PORT: String(port), HOST: '127.0.0.1', POD_NAME: name };
  replica = Replica.start({ service: 'auth', name, port, cwd: serviceDir('auth'), env, logFile: join(runDir, 'logs', `${name}.log`) });
  await replica.waitUntilReady();
  return replica;
}

/** A keep-alive connection that has carried one request (so it is open and idle now). */
async function openKeepAlive(url: string): Promise<Client> {
  const client = new Client(url, { pipelining: 1, keepAliveTimeout: 120_000 });
  clients.push(client);
  const res = await client.request({ method: 'GET', path: '/auth/.well-known/jwks.json' });
  await res.body.text();
  expect(res.headers.connection).toBe('keep-alive');
  return client;
}

afterEach(async () => {
  replica?.signal('SIGKILL');
  await replica?.exited;
  replica = undefined;
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
});
afterAll(() => { if (!process.env.KEEP_RUN_DIR) rmSync(runDir, { recursive: true, force: true }); });

/**
 * Four slow logins (scrypt, at most 2 at a time per process) on four warm keep-alive
 * connections, plus one idle keep-alive connection; SIGTERM while the logins are running or
 * waiting for a hashing slot. Returns what the clients and the process did.
 */
async function sigtermWithLoginsInFlight(auth: Replica) {
  const { email } = await newAccount(auth.url, 'shutdown');
  const busy = await Promise.all([0, 1, 2, 3].map(() => openKeepAlive(auth.url)));
  const idle = await openKeepAlive(auth.url);
  let idleClosedAt = 0;
  idle.on('disconnect', () => (idleClosedAt ||= Date.now()));
  const busyClosedAt: number[] = [];
  for (const client of busy) client.on('disconnect', () => busyClosedAt.push(Date.now()));
  const sentAt = Date.now();
  const inFlight = busy.map(async (client) => {
    const res = await client.request({ method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: TEST_PASSWORD }) });
    const body = (await res.body.json()) as { accessToken?: string };
    return { status: res.statusCode, token: body.accessToken, connection: res.headers.connection, atMs: Date.now() };
  });
  await sleep(50);
  const sigtermAt = Date.now();
  auth.signal('SIGTERM');
  const answers = await Promise.all(inFlight);
  const exit = await auth.exited;
  const result = {
    answers,
    exit,
    exitMs: exit.atMs - sigtermAt,
    answeredAfterSigterm: answers.filter((a) => a.atMs > sigtermAt).length,
    lastAnswerMs: Math.max(...answers.map((a) => a.atMs)) - sigtermAt,
    idleClosedMs: idleClosedAt ? idleClosedAt - sigtermAt : null,
    busyClosedMs: busyClosedAt.map((t) => t - sigtermAt),
  };
  console.log(
    `single auth process: 4 logins in flight (sent ${sigtermAt - sentAt} ms before SIGTERM; ${result.answeredAfterSigterm} answered after it, the last ${result.lastAnswerMs} ms after, ` +
      `with Connection: ${answers.map((a) => a.connection).join('/')}); idle keep-alive connection closed ${result.idleClosedMs ?? 'never'} ms after SIGTERM; ` +
      `busy ones closed at ${result.busyClosedMs.join('/') || 'never'} ms; exit code ${exit.code} (signal ${exit.signal}) ${result.exitMs} ms after SIGTERM`,
  );
  return result;
}

describe('one auth process on SIGTERM', () => {
  it('answers every request in flight on keep-alive connections and closes idle ones at once', async () => {
    // A short forced-exit timeout keeps this test fast while the known bug holds close().
    const auth = await startAuth({ SHUTDOWN_TIMEOUT_MS: '6000' });
    const r = await sigtermWithLoginsInFlight(auth);
    expect(r.answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(r.answers.every((a) => typeof a.token === 'string' && a.token.length > 20)).toBe(true);
    // They really were in flight: at least the two waiting for a hashing slot finished later.
    expect(r.answeredAfterSigterm).toBeGreaterThanOrEqual(2);
    // The idle connection was closed by the server at close(), not left to keepAliveTimeout.
    expect(r.idleClosedMs).not.toBeNull();
    expect(r.idleClosedMs as number).toBeLessThan(1000);
  });

  // KNOWN BUG (see the header): fails today with exit code 1 at SHUTDOWN_TIMEOUT_MS.
  it('then exits 0 in well under 5 s (connections that were busy at close() do not hold it)', async () => {
    const auth = await startAuth({ SHUTDOWN_TIMEOUT_MS: '6000' });
    const r = await sigtermWithLoginsInFlight(auth);
    expect(r.answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(r.exit.code).toBe(0);
    expect(r.exit.signal).toBeNull();
    expect(r.exitMs).toBeLessThan(5000);
  });

  it('is not held by idle keep-alive connections: exits 0 within a second', async () => {
    const auth = await startAuth();
    await Promise.all([0, 1, 2].map(() => openKeepAlive(auth.url)));
    const sigtermAt = Date.now();
    auth.signal('SIGTERM');
    const exit = await auth.exited;
    console.log(`single auth process with 3 idle keep-alive connections: exit code ${exit.code} ${exit.atMs - sigtermAt} ms after SIGTERM`);
    expect(exit.code).toBe(0);
    expect(exit.atMs - sigtermAt).toBeLessThan(1000);
  });
});
