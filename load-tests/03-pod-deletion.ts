// 03 — pod deletion: run it, then delete pods while it runs (quickstart/delete-pods.sh, gracefully
// or with --force). Each virtual user shops with the shared retry policy (a retry reuses its
// Idempotency-Key and bytes), and at its last iteration reads back its own cart and orders and
// checks them against its own history with the proof's checker: lost, unexpected and duplicated
// writes are counted into metrics whose thresholds are 0. k6 VUs share no memory, so each VU
// checks only its own writes — which is every write, since a VU is the only writer of its cart.
//
//   k6 run -e BASE_URL=http://localhost:8080 --out json=03-pod-deletion-timeseries.json out/load-tests/03-pod-deletion.js
//   make load-report SUMMARY=03-pod-deletion-summary.json TIMESERIES=03-pod-deletion-timeseries.json
import { baseUrl, loadShape, runSettings, type RunSettings } from './lib/profiles.ts';
import { shopperIteration } from './lib/shopper-vu.ts';
import { summaryFiles } from './lib/summary.ts';
import { everyUserChecked, FEW_FAILED_REQUESTS, LATENCY, NOTHING_LOST, podsPerSession, SESSIONS_KEPT } from './lib/thresholds.ts';

const shape = loadShape('pod-deletion');
const BASE_URL = baseUrl();

export const options = {
  scenarios: {
    'pod-deletion': { executor: 'per-vu-iterations', vus: shape.vus, iterations: shape.iterations, maxDuration: shape.maxDuration },
  },
  thresholds: { ...NOTHING_LOST, ...everyUserChecked(shape.vus), ...SESSIONS_KEPT, ...podsPerSession(2), ...FEW_FAILED_REQUESTS, ...LATENCY },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

export function setup(): RunSettings {
  return runSettings();
}

export default function (settings: RunSettings): void {
  shopperIteration({ baseUrl: BASE_URL, settings, shape, readBack: true });
}

export const handleSummary = summaryFiles('03-pod-deletion');
