// The custom metrics the scripts emit: their names are the contract with the thresholds, the
// report (tools/proof/k6-*.ts) and the tests. k6 VUs share no memory, so each VU measures its
// own session and adds what it found at its end; the thresholds then read across all VUs (a
// count over every VU, the smallest value any VU reported). Every VU that reaches its end adds
// a sample to each counter, 0 included, so a threshold never reads an empty metric.
import { Counter, Trend } from 'k6/metrics';
import { LOAD_METRICS as M } from '@anypod/scenarios/load-metrics';

export const operations = new Counter(M.operations);
export const answers = new Counter(M.answers);
export const writesAttempted = new Counter(M.writesAttempted);
export const writesAcknowledged = new Counter(M.writesAcknowledged);
export const writesLost = new Counter(M.writesLost);
export const writesUnexpected = new Counter(M.writesUnexpected);
export const writesDuplicated = new Counter(M.writesDuplicated);
export const writesRecovered = new Counter(M.writesRecovered);
export const quantityViolations = new Counter(M.quantityViolations);
export const usersChecked = new Counter(M.usersChecked);
export const readbackFailures = new Counter(M.readbackFailures);
export const sessionsLost = new Counter(M.sessionsLost);
export const missingLines = new Counter(M.missingLines);
/** per VU and service, at the VU's end: distinct pods that served its session correctly */
export const podsPerSession = new Trend(M.podsPerSession);

/** The services whose pods are counted per session. */
export const SERVICES = ['auth', 'catalog', 'cart'] as const;
