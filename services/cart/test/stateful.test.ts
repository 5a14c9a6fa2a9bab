// Why STATE_STORE=shared is the default. With STATE_STORE=memory (the deliberately stateful
// demonstration) each replica keeps carts in its own memory: a cart written through one replica
// is missing when read through another, and a restart loses it. The same steps against shared
// replicas keep the cart — this file asserts both, so the difference is a tested fact.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import { stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from './helper.ts';
import { call, startCart } from './replicas.ts';

let authService: TestAuth;
const running = new Set<ServiceProcess>();
let env: { AUTH_JWKS_URL: string; CATALOG_URL: string };

async function start(name: string, stateStore: 'memory' | 'shared', port?: number) {
  const replica = await startCart(name, { ...env, STATE_STORE: stateStore, LOG_LEVEL: 'info' }, port);
  running.add(replica);
  return replica;
}
async function stop(replica: ServiceProcess) {
  await stopService(replica);
  running.delete(replica);
}

beforeAll(async () => {
  authService = await startTestAuth();
  env = { AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: 'http://127.0.0.1:9' };
});
afterAll(async () => {
  await Promise.all([...running].map((replica) => stopService(replica)));
  await authService?.stop();
});

async function addThenRead(writer: ServiceProcess, reader: ServiceProcess, token: string) {
  const added = await call(writer, 'POST', '/cart/items', { token, headers: { 'idempotency-key': newKey() }, body: { productId: 'demo-item', quantity: 2 } });
  expect(added.status).toBe(200);
  return { added, read: await call(reader, 'GET', '/cart', { token }) };
}

describe('STATE_STORE=memory (demonstration)', { tags: ['timing'] }, () => {
  it('loses the cart when another replica answers, and when the replica restarts', async () => {
    const [a, b] = await Promise.all([start('cart-mem-a', 'memory'), start('cart-mem-b', 'memory')]);
    expect(a.output()).toContain('DEMONSTRATION');
    expect(a.output()).toContain('STATE_STORE=memory');
    const { accessToken: token } = await authService.user();

    const { added, read } = await addThenRead(a, b, token);
    expect(added.json().lines).toEqual([{ productId: 'demo-item', quantity: 2 }]);
    // The failure the default exists to prevent: B has never heard of this cart.
    expect(read.headers.get('x-served-by')).toBe('cart-mem-b');
    expect(read.json()).toEqual({ lines: [], version: 0, updatedAt: null });
    // A still has it — only while this process lives.
    expect((await call(a, 'GET', '/cart', { token })).json().lines).toEqual([{ productId: 'demo-item', quantity: 2 }]);

    await stop(a);
    const restarted = await start('cart-mem-a', 'memory', a.port);
    expect((await call(restarted, 'GET', '/cart', { token })).json()).toEqual({ lines: [], version: 0, updatedAt: null });
  });
});

describe('STATE_STORE=shared (default), same steps', { tags: ['timing'] }, () => {
  it('keeps the cart whichever replica answers and across a restart', async () => {
    const [a, b] = await Promise.all([start('cart-shared-a', 'shared'), start('cart-shared-b', 'shared')]);
    expect(a.output()).not.toContain('DEMONSTRATION');
    const { accessToken: token } = await authService.user();
    const expected = [{ productId: 'demo-item', quantity: 2 }];

    const { read } = await addThenRead(a, b, token);
    expect(read.headers.get('x-served-by')).toBe('cart-shared-b');
    expect(read.json()).toMatchObject({ lines: expected, version: 1 });

    await stop(a);
    const restarted = await start('cart-shared-a', 'shared', a.port);
    expect((await call(restarted, 'GET', '/cart', { token })).json()).toMatchObject({ lines: expected, version: 1 });
  });
});
