// The SLOs every script states as k6 thresholds, written once. A broken claim fails the run with
// k6's non-zero exit (99). `tagged` narrows each to one scenario (the stateful-vs-stateless script).
import { LOAD_METRICS as M } from '@anypod/scenarios/load-metrics';
import { SERVICES } from './metrics.ts';

export type Thresholds = Record<string, string[]>;

/** Nothing acknowledged lost, nothing applied twice, nothing nobody asked for (each VU's own check). */
export const NOTHING_LOST: Thresholds = {
  [M.writesLost]: ['count==0'],
  [M.writesUnexpected]: ['count==0'],
  [M.writesDuplicated]: ['count==0'],
  [M.quantityViolations]: ['count==0'],
  [M.readbackFailures]: ['count==0'],
};

/** Every VU reached its last iteration and checked its writes: a VU cut off by maxDuration checked nothing. */
export function everyUserChecked(vus: number): Thresholds {
  return { [M.usersChecked]: [`count>=${vus}`] };
}

/** No session forgotten (a 401 after sign-in) and no cart read lacking an acknowledged line. */
export const SESSIONS_KEPT: Thresholds = { [M.sessionsLost]: ['count==0'], [M.missingLines]: ['count==0'] };

/** Every VU's session served correctly by at least `min` pods of each service: any pod serves any request. */
export function podsPerSession(min = 2): Thresholds {
  return Object.fromEntries(SERVICES.map((service) => [`${M.podsPerSession}{service:${service}}`, [`min>=${min}`]]));
}

/**
 * Failed attempts (no answer, or a 5xx: see shopper-vu.ts's response callback) stay rare: a pod
 * deleted gracefully fails none, one killed fails only what was in flight on it, and the
 * journeys retry those with the same Idempotency-Key.
 */
export const FEW_FAILED_REQUESTS: Thresholds = { http_req_failed: ['rate<0.01'] };

/**
 * Latency of shopping on a laptop cluster, pods being deleted included. Sign-in is left out: its
 * password hashing is slow on purpose (scrypt, queued per replica).
 */
export const LATENCY: Thresholds = {
  'http_req_duration{service:catalog}': ['p(95)<1000', 'p(99)<2500'],
  'http_req_duration{service:cart}': ['p(95)<1000', 'p(99)<2500'],
};

/** The same thresholds, on one scenario's samples only. */
export function tagged(thresholds: Thresholds, scenario: string): Thresholds {
  return Object.fromEntries(
    Object.entries(thresholds).map(([metric, rules]) => {
      const open = metric.indexOf('{');
      const name = open === -1 ? metric : metric.slice(0, open);
      const tags = open === -1 ? '' : `,${metric.slice(open + 1, -1)}`;
      return [`${name}{scenario:${scenario}${tags}}`, rules];
    }),
  );
}
