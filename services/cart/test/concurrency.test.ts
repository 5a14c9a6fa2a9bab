// 50 clients change ONE user's cart at the same time through TWO cart replicas (real processes
// sharing Postgres). Adds commute; edits carry the ETag they read and lose with 412 when someone
// else got there first. Every acknowledged change returns the cart version it produced, so the
// acknowledged operations sorted by version are the order Postgres applied them in: folding them
// must give every intermediate cart that was acknowledged and the final cart — nothing lost,
// nothing doubled, no refused edit applied.
import { startTestAuth, type TestAuth } from '@anypod/auth/testing';
import type { ServiceProcess } from '@anypod/platform/testing/processes';
import { stopService } from '@anypod/platform/testing/processes';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newKey } from './helper.ts';
import { call, errorLines, startCart, type Answer } from './replicas.ts';

let authService: TestAuth;
let a: ServiceProcess;
let b: ServiceProcess;

beforeAll(async () => {
  authService = await startTestAuth();
  // Checkout is not exercised here, so catalog is never called.
  const env = { AUTH_JWKS_URL: authService.jwksUrl, CATALOG_URL: 'http://127.0.0.1:9' };
  [a, b] = await Promise.all([startCart('cart-a', env), startCart('cart-b', env)]);
});
afterAll(async () => {
  await Promise.all([a && stopService(a), b && stopService(b)]);
  await authService?.stop();
});

type Op = { kind: 'add'; productId: string; quantity: number } | { kind: 'set'; productId: string; quantity: number } | { kind: 'remove'; productId: string };
interface Acknowledged {
  op: Op;
  version: number;
  lines: Array<{ productId: string; quantity: number }>;
}

const CLIENTS = 50;
const OPS_PER_CLIENT = 4;
const PRODUCTS = ['p-apple', 'p-bread', 'p-cheese', 'p-dates', 'p-eggs', 'p-flour'];
const pick = <T,>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const between = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));

function apply(cart: Map<string, number>, op: Op): void {
  if (op.kind === 'add') cart.set(op.productId, (cart.get(op.productId) ?? 0) + op.quantity);
  else if (op.kind === 'set') cart.set(op.productId, op.quantity);
  else cart.delete(op.productId);
}
const asObject = (lines: Array<{ productId: string; quantity: number }>) => Object.fromEntries([...lines].sort((x, y) => (x.productId < y.productId ? -1 : 1)).map((l) => [l.productId, l.quantity]));

describe('one cart, 50 concurrent clients, two replicas', { tags: ['timing'] }, () => {
  it('ends with exactly the fold of the acknowledged operations', async () => {
    const { accessToken: token } = await authService.user();
    const acknowledged: Acknowledged[] = [];
    const statuses: Record<string, number> = {};
    const count = (label: string) => (statuses[label] = (statuses[label] ?? 0) + 1);

    const record = (op: Op, res: Answer) => {
      count(`${op.kind} ${res.status}`);
      if (res.status === 200) acknowledged.push({ op, version: res.json().version, lines: res.json().lines });
    };

    /**
     * Every change carries an Idempotency-Key, so a 503 (an overloaded moment) is retried with the
     * same key, as the load driver does: the change lands once whatever the number of attempts.
     */
    async function change(replica: ServiceProcess, method: string, path: string, opts: { headers: Record<string, string>; body?: unknown }): Promise<Answer> {
      const headers = { ...opts.headers, 'idempotency-key': newKey() };
      for (let attempt = 1; ; attempt++) {
        const res = await call(replica, method, path, { token, headers, body: opts.body });
        if (res.status !== 503 || attempt === 5) return res;
        count('retried after 503');
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      }
    }

    async function add(n: number) {
      const op: Op = { kind: 'add', productId: pick(PRODUCTS), quantity: between(1, 5) };
      record(op, await change(n % 2 === 0 ? a : b, 'POST', '/cart/items', { headers: {}, body: { productId: op.productId, quantity: op.quantity } }));
    }

    /** Reads the cart through one replica and edits a line through the other with the ETag it saw. */
    async function edit(n: number): Promise<number> {
      const seen = await call(n % 2 === 0 ? b : a, 'GET', '/cart', { token });
      const lines = seen.json().lines as Array<{ productId: string }>;
      if (lines.length === 0) return 0;
      const { productId } = pick(lines);
      const op: Op = Math.random() < 0.6 ? { kind: 'set', productId, quantity: between(1, 20) } : { kind: 'remove', productId };
      const replica = n % 2 === 0 ? a : b;
      const headers = { 'if-match': seen.headers.get('etag') as string };
      const res = op.kind === 'set'
        ? await change(replica, 'PATCH', `/cart/items/${productId}`, { headers, body: { quantity: op.quantity } })
        : await change(replica, 'DELETE', `/cart/items/${productId}`, { headers });
      record(op, res);
      return res.status;
    }

    // Mixed: each client adds or edits, alternating replicas; an edit refused as stale is re-read
    // and retried a few times, as a real client would.
    async function client(n: number) {
      for (let i = 0; i < OPS_PER_CLIENT; i++) {
        if (Math.random() < 0.5) await add(n + i);
        else for (let attempt = 0; attempt < 5 && (await edit(n + i + attempt)) === 412; attempt++);
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    // Then every client edits once at the same moment: the first edit to reach Postgres wins and
    // the rest must be refused, whichever replica they went through.
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => edit(n)));

    // Only the expected answers: adds always apply; an edit applies or is refused as stale.
    const expected = ['add 200', 'set 200', 'set 412', 'remove 200', 'remove 412', 'retried after 503'];
    expect(Object.keys(statuses).every((label) => expected.includes(label)), `${JSON.stringify(statuses)}\n${errorLines(a, b)}`).toBe(true);
    expect(statuses['add 200']).toBeGreaterThan(0);
    expect((statuses['set 412'] ?? 0) + (statuses['remove 412'] ?? 0), 'some edits raced and were refused').toBeGreaterThan(0);
    expect((statuses['set 200'] ?? 0) + (statuses['remove 200'] ?? 0), 'some edits won their race and applied').toBeGreaterThan(0);

    // One version per acknowledged change: nothing applied twice, nothing applied unacknowledged.
    const versions = acknowledged.map((x) => x.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: acknowledged.length }, (_, i) => i + 1));

    // Replaying the acknowledged operations in version order reproduces every acknowledged cart.
    const folded = new Map<string, number>();
    for (const step of [...acknowledged].sort((x, y) => x.version - y.version)) {
      apply(folded, step.op);
      expect(asObject(step.lines), `cart after version ${step.version}`).toEqual(Object.fromEntries([...folded].sort()));
    }

    for (const replica of [a, b]) {
      const final = await call(replica, 'GET', '/cart', { token });
      expect(final.json().version).toBe(acknowledged.length);
      expect(final.headers.get('etag')).toBe(`"v${acknowledged.length}"`);
      expect(asObject(final.json().lines)).toEqual(Object.fromEntries([...folded].sort()));
    }
  });
});
