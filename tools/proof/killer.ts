// The chaos half of a proof run: deletes one replica every few seconds, like `kubectl delete pod`
// in a loop, and records each deletion (when, what, the replacement and when it joined the
// Ingress) for the report. Which replica and whether a service can take it (one disruption per
// service at a time, as a PodDisruptionBudget with maxUnavailable 1 would, so the run measures
// replica deletion, not a service with no replica left) is the deletion policy,
// tools/cluster/deletion-policy.ts; this file is the schedule and the records.
import { DEFAULT_ROTATION, nextDeletion } from '../cluster/deletion-policy.ts';
import { KILL_LABELS, type Cluster, type ClusterEvent, type KillType, type ServiceName } from '../cluster/types.ts';

/** What a deletion hit: a service's replica, or (an operations run on Kubernetes) a data store or the whole release. */
export type KillTarget = ServiceName | 'postgres' | 'valkey' | 'release';

export interface KillRecord {
  /** ms since the run started: when the delete began */
  atMs: number;
  kind: KillType;
  service: KillTarget;
  replica: string;
  replacement?: string;
  /** when the old process had exited */
  exitedAtMs?: number;
  /** when the Ingress first routed to the replacement (undefined: not before the killer stopped) */
  replacementReadyAtMs?: number;
  /** set when the delete itself failed */
  error?: string;
}

export interface KillerOptions {
  cluster: Pick<Cluster, 'replicas' | 'deleteReplica'>;
  kind: KillType;
  /** ms since the run started (the load driver's clock) */
  clock: () => number;
  /** replicas each service should have */
  replicasPerService: number;
  firstAtMs: number;
  everyMs: number;
  /** no delete starts after this */
  untilMs: number;
  /** the rotation of services to delete from */
  rotation?: ServiceName[];
  log?: (line: string) => void;
}

export interface Killer {
  /** feed the cluster's events here (ingress-reloaded tells when a replacement joined the rotation) */
  onEvent(event: ClusterEvent): void;
  /** stops scheduling, waits for deletes under way, returns what was done */
  stop(): Promise<KillRecord[]>;
}

export function startKiller(options: KillerOptions): Killer {
  const { cluster, clock } = options;
  const rotation = options.rotation ?? DEFAULT_ROTATION;
  const log = options.log ?? (() => undefined);
  const records: KillRecord[] = [];
  const pending = new Set<Promise<void>>();
  const deleting = new Set<ServiceName>();
  /** when each replica joined the Ingress rotation; also to delete the oldest first (like a rollout) */
  const readyAt = new Map<string, number>();
  const readyWaiters = new Map<string, () => void>();
  let stopped = false;
  let turn = 0;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  function remove(service: ServiceName, replica: string): void {
    const record: KillRecord = { atMs: clock(), kind: options.kind, service, replica };
    records.push(record);
    deleting.add(service);
    log(`${fmt(record.atMs)}  delete ${replica} (${KILL_LABELS[options.kind].short})`);
    const done = (async () => {
      try {
        const { replacement } = await cluster.deleteReplica(replica, options.kind);
        record.exitedAtMs = clock();
        record.replacement = replacement;
        const seen = readyAt.get(replacement);
        if (seen === undefined) await new Promise<void>((resolve) => readyWaiters.set(replacement, resolve));
        const ready = readyAt.get(replacement);
        if (ready !== undefined) record.replacementReadyAtMs = ready;
        const readiness = ready === undefined ? 'not ready before the run ended' : `ready after ${fmt(ready - record.atMs)}`;
        log(`${fmt(clock())}  ${replica} gone after ${fmt(record.exitedAtMs - record.atMs)}; replacement ${replacement} ${readiness}`);
      } catch (error) {
        record.error = (error as Error).message;
        log(`${fmt(clock())}  delete ${replica} failed: ${record.error}`);
      } finally {
        deleting.delete(service);
      }
    })();
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }

  const loop = (async () => {
    for (let at = options.firstAtMs; at <= options.untilMs && !stopped; at += options.everyMs) {
      await pause(at - clock());
      // The next service in the rotation that can take a disruption; wait if none can yet.
      while (!stopped && clock() <= options.untilMs) {
        const next = nextDeletion(rotation, turn, { replicas: (service) => cluster.replicas(service), replicasPerService: options.replicasPerService, deleting, joinedAt: readyAt });
        if (next) {
          turn = next.nextTurn;
          remove(next.service, next.replica);
          break;
        }
        await pause(200);
      }
    }
  })();

  return {
    onEvent(event) {
      // A replacement counts from when the Ingress routes to it, not from its first 200 on /readyz.
      if (event.type !== 'ingress-reloaded') return;
      for (const names of Object.values(event.endpoints)) {
        for (const name of names ?? []) {
          if (!readyAt.has(name)) readyAt.set(name, clock());
          readyWaiters.get(name)?.();
          readyWaiters.delete(name);
        }
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      // Deletes under way finish (the replacement may still be starting: give it a bound).
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref());
      await Promise.race([Promise.all([...pending]), deadline]);
      for (const resolve of readyWaiters.values()) resolve();
      await Promise.all([...pending]);
      return records;
    },
  };
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
