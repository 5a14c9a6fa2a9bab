// The custom metrics the scripts emit: their names are the contract with the thresholds, the
// report (tools/proof/k6-*.ts) and the tests. k6 VUs share no memory, so each VU measures its
// own session and adds what it found at its end; the thresholds then read across all VUs (a
// count over every VU, the smallest value any VU reported). Every VU that reaches its end adds
// a sample to each counter, 0 included, so a threshold never reads an empty metric.
import { Counter, Trend } from 'k6/metrics';

export const operations = new Counter('anypod_operations');
export const answers = new Counter('anypod_answers');
export const writesAttempted = new Counter('anypod_writes_attempted');
export const writesAcknowledged = new Counter('anypod_writes_acknowledged');
export const writesLost = new Counter('anypod_writes_lost');
export const writesUnexpected = new Counter('anypod_writes_unexpected');
export const writesDuplicated = new Counter('anypod_writes_duplicated');
export const writesRecovered = new Counter('anypod_writes_recovered');
export const quantityViolations = new Counter('anypod_quantity_violations');
export const usersChecked = new Counter('anypod_users_checked');
export const readbackFailures = new Counter('anypod_readback_failures');
export const sessionsLost = new Counter('anypod_sessions_lost');
export const missingLines = new Counter('anypod_missing_lines');
/** per VU and service, at the VU's end: distinct pods that served its session correctly */
export const podsPerSession = new Trend('anypod_pods_per_session');

/** The services whose pods are counted per session. */
export const SERVICES = ['auth', 'catalog', 'cart'] as const;
