// Which service answered what: a replica's service comes from the cluster's events, or from the
// `<service>-` prefix of its name; the cart service is the one whose replicas must be
// interchangeable for every session.
import type { Operation } from '@anypod/scenarios';
import type { ServiceName } from '../cluster/types.ts';

/** The service whose replicas must be interchangeable per session: it holds the cart. */
export const SESSION_SERVICE: ServiceName = 'cart';

/** Which service a replica belongs to: the cluster's word, else the `<service>-` name prefix. */
export function serviceOf(replica: string, known: Record<string, ServiceName>): ServiceName | undefined {
  const k = known[replica];
  if (k) return k;
  const prefix = replica.split('-')[0];
  return prefix === 'auth' || prefix === 'catalog' || prefix === 'cart' ? prefix : undefined;
}

/** The history restricted to attempts answered by one service's replicas (for per-service session stats). */
export function attemptsOfService(operations: readonly Operation[], service: ServiceName, known: Record<string, ServiceName>): Operation[] {
  return operations
    .map((op) => ({ ...op, attempts: op.attempts.filter((a) => a.servedBy !== undefined && serviceOf(a.servedBy, known) === service) }))
    .filter((op) => op.attempts.length > 0);
}

/** The service each kind of operation is routed to; reads are left out (GET /cart or /auth/me). */
const SERVICE_OF_KIND: Partial<Record<Operation['kind'], ServiceName>> = {
  register: 'auth',
  login: 'auth',
  browse: 'catalog',
  add: 'cart',
  set: 'cart',
  remove: 'cart',
  checkout: 'cart',
};

/**
 * Answers that came from a replica of another service than the route's: the Ingress sent the
 * request to the wrong process (e.g. a replica's port reused by another replica).
 */
export function misroutedAnswers(operations: readonly Operation[], known: Record<string, ServiceName>): Array<{ op: Operation; servedBy: string }> {
  const out: Array<{ op: Operation; servedBy: string }> = [];
  for (const op of operations) {
    const expected = SERVICE_OF_KIND[op.kind];
    if (!expected) continue;
    for (const a of op.attempts) {
      if (a.servedBy === undefined || a.status === 0) continue;
      const actual = serviceOf(a.servedBy, known);
      if (actual !== undefined && actual !== expected) out.push({ op, servedBy: a.servedBy });
    }
  }
  return out;
}
