// Which replica to delete next, and whether a service can take a deletion now: the disruption
// rules of a chaos run, apart from its schedule (tools/proof/killer.ts) so they can be read, and
// tested, on their own. Used against the local cluster and (tools/kube) a real one: all it needs
// is each service's replicas and whether each is in the Ingress rotation.
//   - One disruption per service at a time, as a PodDisruptionBudget with maxUnavailable 1 would:
//     a service is deleted from only when it has its full count and every replica is in rotation
//     (so an unready replica, or a replacement still starting, pauses deletions there).
//   - The oldest replica first (by when it joined the rotation), like a rollout; ties by name.
//   - Services in a fixed rotation, mostly cart and auth, which hold the state that matters.
import type { ReplicaInfo, ServiceName } from './types.ts';

export const DEFAULT_ROTATION: ServiceName[] = ['cart', 'auth', 'cart', 'catalog'];

export interface DeletionView {
  replicas(service: ServiceName): Pick<ReplicaInfo, 'name' | 'inRotation'>[];
  /** replicas each service should have */
  replicasPerService: number;
  /** services with a deletion under way */
  deleting: ReadonlySet<ServiceName>;
  /** when each replica joined the rotation (unknown: older than any known) */
  joinedAt: ReadonlyMap<string, number>;
}

/** Whether `service` can take a deletion now (the PodDisruptionBudget rule above). */
export function canDisrupt(service: ServiceName, view: DeletionView): boolean {
  if (view.deleting.has(service)) return false;
  const replicas = view.replicas(service);
  return replicas.length >= view.replicasPerService && replicas.every((r) => r.inRotation);
}

/** The replica of `service` to delete: the one longest in rotation. */
export function oldestInRotation(service: ServiceName, view: DeletionView): string | undefined {
  const live = view.replicas(service).filter((r) => r.inRotation);
  live.sort((a, b) => (view.joinedAt.get(a.name) ?? -Infinity) - (view.joinedAt.get(b.name) ?? -Infinity) || a.name.localeCompare(b.name));
  return live[0]?.name;
}

export interface Deletion {
  service: ServiceName;
  replica: string;
  /** where the rotation continues after this deletion */
  nextTurn: number;
}

/**
 * The next deletion from `turn` on: the first service in the rotation that can take one, skipping
 * those that cannot; undefined when none can yet (the caller waits and asks again).
 */
export function nextDeletion(rotation: readonly ServiceName[], turn: number, view: DeletionView): Deletion | undefined {
  const offset = rotation.findIndex((_, i) => canDisrupt(rotation[(turn + i) % rotation.length] as ServiceName, view));
  if (offset < 0) return undefined;
  const service = rotation[(turn + offset) % rotation.length] as ServiceName;
  const replica = oldestInRotation(service, view);
  return replica ? { service, replica, nextTurn: (turn + offset + 1) % rotation.length } : undefined;
}
