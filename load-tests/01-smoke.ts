// 01 — smoke: every public route answers, for a fresh user, through the gateway. Each VU
// registers its own account each iteration and walks every route once (sign-in both ways,
// refresh, catalog with ETag revalidation, every cart route, checkout, orders, sign-out,
// each OpenAPI document): the first script to run against a new install.
//
//   k6 run -e BASE_URL=http://localhost:8080 out/load-tests/01-smoke.js
//
// Thresholds: every step as expected, no failed request, and latency within the SLO.
import { check, fail } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import * as api from '@anypod/scenarios/requests';
import { smokeJourney, vuSeed } from '@anypod/scenarios/journeys/index';
import { drive } from './lib/drive.ts';
import { send } from './lib/k6-client.ts';
import { baseUrl, loadShape, runSettings, type RunSettings } from './lib/profiles.ts';
import { summaryFiles } from './lib/summary.ts';

const shape = loadShape('smoke');
const BASE_URL = baseUrl();

export const options = {
  scenarios: {
    smoke: { executor: 'per-vu-iterations', vus: shape.vus, iterations: shape.iterations, maxDuration: shape.maxDuration },
  },
  thresholds: {
    checks: ['rate==1'],
    // The one expected refusal (GET /cart without a token) is declared below, so a 401 or a
    // 503 anywhere else fails this.
    http_req_failed: ['rate==0'],
    http_req_duration: ['p(95)<2000'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

// 200–399 are k6's default expected statuses; the smoke test also expects its one 401.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }, 401));

/** Every service answers through the gateway, or the run stops with the one that did not. */
export function setup(): RunSettings {
  for (const service of ['auth', 'catalog', 'cart']) {
    const response = send(BASE_URL, api.openApi(service));
    if (response.status !== 200) fail(`${service} does not answer through the gateway at ${BASE_URL}: GET /${service}/openapi.json gave ${response.status || response.error}`);
    if (!response.headers['x-served-by']) fail(`${service} answered without an X-Served-By header: is ${BASE_URL} anypod?`);
  }
  return runSettings();
}

export default function (settings: RunSettings): void {
  const started = Date.now();
  const user = `${settings.runId}-vu${exec.vu.idInTest}-it${exec.vu.iterationInScenario}`;
  const steps = drive(smokeJourney({ user, seed: vuSeed(settings.seed, exec.vu.idInTest * 1000 + exec.vu.iterationInScenario) }), {
    baseUrl: BASE_URL,
    clock: () => Date.now() - started,
  });
  for (const step of steps) {
    check(step, { [`${step.name}: ${step.expected.join(' or ')}`]: (s) => s.ok }, { route: step.name });
    if (!step.ok) console.warn(`${step.name}: expected ${step.expected.join(' or ')}, got ${step.detail ?? step.status}${step.servedBy ? ` from ${step.servedBy}` : ''}`);
  }
}

export const handleSummary = summaryFiles('01-smoke');
