// Which pods served one virtual user's session, per service, from X-Served-By — the client's
// witness of "any pod serves any request". An answer counts for its pod when it was a success
// (2xx/304) to a request that carried the session (a bearer token or the session cookie); for a
// service that holds no session (catalog) every successful answer counts. A pod that answered
// wrongly for the session — a 401 after sign-in, a cart read lacking an acknowledged line, what
// the shopper reports as observations — never counts for that service, even if it also answered
// well: with state in pod memory, every pod but the session's own answers wrongly.
import type { HttpRequest } from '../requests.ts';
import type { Sent } from './actions.ts';
import type { Observation } from './shopper.ts';

/** Services whose answers depend on the session; the others are public. */
const SESSION_SERVICES = new Set(['auth', 'cart']);

export interface SessionPods {
  /** every answer to this VU's requests */
  answered(request: HttpRequest, sent: Sent): void;
  /** what the shopper noticed (see Observation): the pod that answered wrongly stops counting */
  observed(observation: Observation): void;
  /** distinct pods per service that served the session correctly (services never answered: absent) */
  counts(): Record<string, number>;
}

/** The service a path belongs to: its first segment (/cart/items → cart). */
export function serviceOf(path: string): string {
  return path.split('/')[1]?.split('?')[0] ?? '';
}

function carriesSession(request: HttpRequest): boolean {
  return request.headers.authorization !== undefined || request.headers.cookie !== undefined;
}

export function createSessionPods(): SessionPods {
  const served = new Map<string, Set<string>>();
  const refuted = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, service: string, pod: string): void => {
    const pods = map.get(service) ?? new Set<string>();
    pods.add(pod);
    map.set(service, pods);
  };
  return {
    answered(request, { response }) {
      const pod = response.headers['x-served-by'];
      const service = serviceOf(request.path);
      if (pod === undefined || response.status === 0) return;
      served.set(service, served.get(service) ?? new Set());
      const ok = (response.status >= 200 && response.status < 300) || response.status === 304;
      if (ok && (carriesSession(request) || !SESSION_SERVICES.has(service))) add(served, service, pod);
    },
    observed(observation) {
      if (observation.servedBy === undefined) return;
      // A cart read lacking lines, or a bearer token refused (cart's reads and writes carry it);
      // a session cookie refused is auth's /auth/me.
      const service = observation.type === 'session-lost' && observation.via === 'cookie' ? 'auth' : 'cart';
      add(refuted, service, observation.servedBy);
    },
    counts() {
      const counts: Record<string, number> = {};
      for (const [service, pods] of served) counts[service] = [...pods].filter((pod) => !refuted.get(service)?.has(pod)).length;
      return counts;
    },
  };
}
