// The killer against a scripted cluster: it rotates services, deletes the oldest replica first,
// never disturbs a service twice at once, and says when each replacement joined the Ingress.
// Time is fake (setTimeout, clearTimeout and Date, which the killer's clock and the scripted
// cluster read): each test advances it, so the schedule runs the same way on any machine and the
// times it records are exact.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClusterEvent, KillType, ReplicaInfo, ServiceName } from '../cluster/types.ts';
import { startKiller } from '../proof/killer.ts';

/** A cluster whose deletes take `deleteMs` and whose replacements join the rotation `readyMs` later. */
function fakeCluster(opts: { replicas: number; deleteMs: number; readyMs: number }) {
  const services: ServiceName[] = ['auth', 'catalog', 'cart'];
  let serial = 0;
  const replicas: ReplicaInfo[] = services.flatMap((service) =>
    Array.from({ length: opts.replicas }, () => ({ service, name: `${service}-${serial++}`, port: 1, pid: 1, inRotation: true, phase: 'ready' as const, logFile: '' })),
  );
  const deletes: Array<{ name: string; kill: KillType }> = [];
  let listener: ((e: ClusterEvent) => void) | undefined;
  const reload = () => {
    const endpoints: Partial<Record<ServiceName, string[]>> = {};
    for (const s of services) endpoints[s] = replicas.filter((r) => r.service === s && r.inRotation).map((r) => r.name);
    listener?.({ type: 'ingress-reloaded', generation: serial, endpoints, tookMs: 1, atMs: Date.now() });
  };
  return {
    deletes,
    listen: (l: (e: ClusterEvent) => void) => (listener = l),
    replicas: (service?: ServiceName) => replicas.filter((r) => !service || r.service === service).map((r) => ({ ...r })),
    async deleteReplica(name: string, kill: KillType) {
      const victim = replicas.find((r) => r.name === name);
      if (!victim) throw new Error(`no replica ${name}`);
      deletes.push({ name, kill });
      victim.inRotation = false;
      reload();
      const replacement: ReplicaInfo = { ...victim, name: `${victim.service}-${serial++}`, inRotation: false, phase: 'starting' };
      replicas.push(replacement);
      setTimeout(() => {
        replacement.inRotation = true;
        reload();
      }, opts.readyMs);
      await new Promise((resolve) => setTimeout(resolve, opts.deleteMs));
      replicas.splice(replicas.indexOf(victim), 1);
      return { replacement: replacement.name };
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** ms since the test started, on the fake clock */
function fakeClock(): () => number {
  const t0 = Date.now();
  return () => Date.now() - t0;
}

describe('startKiller', () => {
  it('deletes on schedule, rotating mostly over cart and auth, oldest replica first', async () => {
    const deleteMs = 20;
    const readyMs = 40;
    const cluster = fakeCluster({ replicas: 3, deleteMs, readyMs });
    const killer = startKiller({ cluster, kind: 'graceful', clock: fakeClock(), replicasPerService: 3, firstAtMs: 100, everyMs: 100, untilMs: 450 });
    cluster.listen((e) => killer.onEvent(e));
    // Past the last slot (400) plus its delete and its replacement's start.
    await vi.advanceTimersByTimeAsync(400 + deleteMs + readyMs);
    const records = await killer.stop();
    expect(records.map((r) => r.service)).toEqual(['cart', 'auth', 'cart', 'catalog']);
    expect(records.map((r) => r.replica)).toEqual(['cart-6', 'auth-0', 'cart-7', 'catalog-3']);
    expect(cluster.deletes.every((d) => d.kill === 'graceful')).toBe(true);
    for (const [i, r] of records.entries()) {
      // Exactly on its slot, exited when the delete returned, ready when the Ingress first routed to it.
      expect(r.atMs).toBe(100 * (i + 1));
      expect(r.exitedAtMs).toBe(r.atMs + deleteMs);
      expect(r.replacement).toMatch(new RegExp(`^${r.service}-\\d+$`));
      expect(r.replacementReadyAtMs).toBe(r.atMs + readyMs);
      expect(r.error).toBeUndefined();
    }
  });

  it('skips a service still recovering from its last delete, and never deletes after the end', async () => {
    // Replacements take 250 ms: the second cart delete (at 200 ms) must wait or go elsewhere.
    const cluster = fakeCluster({ replicas: 2, deleteMs: 10, readyMs: 250 });
    const killer = startKiller({ cluster, kind: 'sigkill', clock: fakeClock(), replicasPerService: 2, firstAtMs: 50, everyMs: 50, untilMs: 220, rotation: ['cart'] });
    cluster.listen((e) => killer.onEvent(e));
    // The replacement is in rotation at 300, after the end (220): cart is never eligible again in time.
    await vi.advanceTimersByTimeAsync(600);
    const records = await killer.stop();
    expect(records.length).toBe(1);
    expect(records[0]).toMatchObject({ service: 'cart', kind: 'sigkill' });
  });

  it('records a delete that failed instead of throwing', async () => {
    const cluster = fakeCluster({ replicas: 2, deleteMs: 5, readyMs: 5 });
    cluster.deleteReplica = async () => {
      throw new Error('boom');
    };
    const killer = startKiller({ cluster, kind: 'graceful', clock: fakeClock(), replicasPerService: 2, firstAtMs: 10, everyMs: 1000, untilMs: 50 });
    await vi.advanceTimersByTimeAsync(100);
    const records = await killer.stop();
    expect(records).toHaveLength(1);
    expect(records[0]?.error).toBe('boom');
  });
});
