// 02 — any pod: each virtual user shops (sign-in, browse, cart, sometimes checkout) and counts,
// per service, the pods that served its session correctly (X-Served-By on answers to requests
// carrying its token or cookie; for catalog, every answer). It fails unless every VU's session
// was served by at least two pods of each service: with state kept in pod memory, a pod other
// than the session's own answers 401 or an empty cart, and is not counted.
//
//   k6 run -e BASE_URL=http://localhost:8080 out/load-tests/02-any-pod.js
import { baseUrl, loadShape, runSettings, type RunSettings } from './lib/profiles.ts';
import { shopperIteration } from './lib/shopper-vu.ts';
import { summaryFiles } from './lib/summary.ts';
import { FEW_FAILED_REQUESTS, LATENCY, podsPerSession, SESSIONS_KEPT } from './lib/thresholds.ts';

const shape = loadShape('any-pod');
const BASE_URL = baseUrl();

export const options = {
  scenarios: {
    'any-pod': { executor: 'per-vu-iterations', vus: shape.vus, iterations: shape.iterations, maxDuration: shape.maxDuration },
  },
  thresholds: { ...podsPerSession(2), ...SESSIONS_KEPT, ...FEW_FAILED_REQUESTS, ...LATENCY },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

export function setup(): RunSettings {
  return runSettings();
}

export default function (settings: RunSettings): void {
  shopperIteration({ baseUrl: BASE_URL, settings, shape, readBack: false });
}

export const handleSummary = summaryFiles('02-any-pod');
