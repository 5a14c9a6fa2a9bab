// STATE_STORE=memory is the deliberately stateful demonstration: a cookie session lives in the
// memory of the replica that created it. This test asserts the failure the default avoids —
// the other replica does not know the session, and a restart forgets it.
import { fileURLToPath } from 'node:url';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, uniqueEmail } from './users.ts';

const cwd = fileURLToPath(new URL('..', import.meta.url));
const env = testEnv({ STATE_STORE: 'memory', LOG_LEVEL: 'warn' });
const running: ServiceProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map((s) => stopService(s)));
});

async function start(name: string, port?: number) {
  const service = await startService({ name, cwd, env, ...(port ? { port } : {}) });
  running.push(service);
  return service;
}

const me = (replica: ServiceProcess, cookie: string) => fetch(`${replica.url}/auth/me`, { headers: { cookie } }).then((r) => r.status);

describe('STATE_STORE=memory (demonstration)', { tags: ['timing'] }, () => {
  it('says so in its start-up log', async () => {
    const a = await start('auth-mem-log');
    expect(a.output()).toContain('STATE_STORE=memory: DEMONSTRATION MODE');
  });

  it('loses sessions across replicas and restarts', async () => {
    const [a, b] = await Promise.all([start('auth-mem-a'), start('auth-mem-b')]);
    const email = uniqueEmail('stateful');
    const post = (path: string, body: unknown) => fetch(`${a.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/auth/register', { email, password: TEST_PASSWORD })).status).toBe(201);
    const login = await post('/auth/login', { email, password: TEST_PASSWORD, mode: 'cookie' });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;

    expect(await me(a, cookie)).toBe(200); // the replica that holds it
    expect(await me(b, cookie)).toBe(401); // any other replica: the failure sticky sessions hide

    await stopService(a);
    const restarted = await start('auth-mem-a2', a.port);
    expect(await me(restarted, cookie)).toBe(401); // and a restart forgets it
  });
});
