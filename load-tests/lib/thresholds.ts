// The SLOs every script states as k6 thresholds, written once. A broken claim fails the run with
// k6's non-zero exit (99). `tagged` narrows each to one scenario (the stateful-vs-stateless script).
import { SERVICES } from './metrics.ts';

export type Thresholds = Record<string, string[]>;

/** Nothing acknowledged lost, nothing applied twice, nothing nobody asked for (each VU's own check). */
export const NOTHING_LOST: Thresholds = {
  anypod_writes_lost: ['count==0'],
  anypod_writes_unexpected: ['count==0'],
  anypod_writes_duplicated: ['count==0'],
  anypod_quantity_violations: ['count==0'],
  anypod_readback_failures: ['count==0'],
};

/** Every VU reached its last iteration and checked its writes: a VU cut off by maxDuration checked nothing. */
export function everyUserChecked(vus: number): Thresholds {
  return { anypod_users_checked: [`count>=${vus}`] };
}

/** No session forgotten (a 401 after sign-in) and no cart read lacking an acknowledged line. */
export const SESSIONS_KEPT: Thresholds = { anypod_sessions_lost: ['count==0'], anypod_missing_lines: ['count==0'] };

/** Every VU's session served correctly by at least `min` pods of each service: any pod serves any request. */
export function podsPerSession(min = 2): Thresholds {
  return Object.fromEntries(SERVICES.map((service) => [`anypod_pods_per_session{service:${service}}`, [`min>=${min}`]]));
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
