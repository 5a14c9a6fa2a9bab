// Session statistics for the proof: a stateless deployment lets one session be served by many
// pods; a stateful one either pins it to one pod (sticky) or loses it (401 on another pod).
import type { Operation } from './history.ts';
import { invocationOrder } from './order.ts';

export interface SessionStats {
  /** sessions in the run: one per (VU, user) */
  total: number;
  /** fewest distinct pods that answered any one session (0 when a session never got an answer) */
  minDistinctPods: number;
  /** most distinct pods that answered any one session */
  maxDistinctPods: number;
}

const sessionKey = (op: Operation): string => `${op.vu}\u0000${op.user}`;

export function sessionStats(operations: readonly Operation[]): SessionStats {
  const pods = new Map<string, Set<string>>();
  for (const op of operations) {
    const seen = pods.get(sessionKey(op)) ?? new Set<string>();
    pods.set(sessionKey(op), seen);
    // Only an answer names a pod; a socket failure (status 0) has no X-Served-By to trust.
    for (const a of op.attempts) if (a.servedBy !== undefined && a.status !== 0) seen.add(a.servedBy);
  }
  const counts = [...pods.values()].map((s) => s.size);
  return {
    total: counts.length,
    minDistinctPods: counts.length === 0 ? 0 : Math.min(...counts),
    maxDistinctPods: counts.length === 0 ? 0 : Math.max(...counts),
  };
}

/**
 * VUs that got a 401 after a successful login: the server forgot a session it had issued,
 * which is what STATE_STORE=memory does when another pod answers or the pod dies.
 * The login's own attempts are not counted: a 401 there is a wrong password, not a lost session.
 */
export function lostSessions(operations: readonly Operation[]): number {
  const loggedIn = new Set<number>();
  const lost = new Set<number>();
  for (const op of invocationOrder(operations)) {
    if (loggedIn.has(op.vu) && op.attempts.some((a) => a.status === 401)) lost.add(op.vu);
    if (op.kind === 'login' && op.outcome === 'ok') loggedIn.add(op.vu);
  }
  return lost.size;
}
