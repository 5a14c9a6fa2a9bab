// Smoke test through the gateway: a few public reads of each service, with thresholds as SLOs.
// Run it against the quickstart (or any install of the chart) while pods are being deleted:
//
//   k6 run -e BASE_URL=http://localhost:8080 load-tests/smoke.js
//
// Environment: BASE_URL (required: where the gateway answers, no trailing path), VUS (default 5),
// DURATION (default 2m: long enough for quickstart/delete-pods.sh's default five rounds).
// It needs nothing but k6: no npm packages, plain ES2020 for k6's JavaScript engine.
/* global __ENV */
import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import { Trend } from 'k6/metrics';

const BASE_URL = (__ENV.BASE_URL || '').replace(/\/+$/, '');
const SERVICES = ['auth', 'catalog', 'cart'];

// Distinct pods (X-Served-By) one virtual user has been answered by, per service, recorded after
// every response. k6 shares no state between virtual users, so the threshold takes the largest
// count any one user reached: at least 2 means requests really are spread over the replicas, not
// pinned to one pod. A Trend, because k6 thresholds on a Gauge can only read its last value.
const podsSeen = {};
for (const service of SERVICES) podsSeen[service] = new Trend(`anypod_${service}_pods_seen`);

export const options = {
  scenarios: {
    smoke: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS || 5),
      duration: __ENV.DURATION || '2m',
    },
  },
  thresholds: {
    // No failed request: graceful pod deletions must not reach clients (a --force deletion
    // breaks requests in flight on the killed pod, and this threshold then fails: by design).
    http_req_failed: ['rate==0'],
    // Latency SLOs of simple reads on a laptop cluster.
    http_req_duration: ['p(95)<500', 'p(99)<1500'],
    // Every response had the expected status, body and X-Served-By header.
    checks: ['rate==1'],
    anypod_auth_pods_seen: ['max>=2'],
    anypod_catalog_pods_seen: ['max>=2'],
    anypod_cart_pods_seen: ['max>=2'],
  },
};

// What each iteration asks for: public routes of every service, no account needed. The cart
// itself needs a bearer token, so GET /cart without one must answer 401 (problem+json): it
// proves the request reached cart's own route, not only its OpenAPI document.
const REQUESTS = [
  { service: 'auth', path: '/auth/.well-known/jwks.json', status: 200, body: (json) => Array.isArray(json.keys) && json.keys.length > 0 },
  { service: 'catalog', path: '/catalog/products?page=1&pageSize=10', status: 200, body: (json) => Array.isArray(json.items) && json.page === 1 },
  { service: 'catalog', path: '/catalog/categories', status: 200, body: (json) => Array.isArray(json.items) },
  { service: 'cart', path: '/cart/openapi.json', status: 200, body: (json) => typeof json.openapi === 'string' },
  { service: 'cart', path: '/cart', status: 401, body: (json) => typeof json.title === 'string' },
];

function parseJson(response) {
  try {
    return response.json();
  } catch {
    // not JSON: the body check fails with the status and X-Served-By checks still reported
    return null;
  }
}

function servedBy(response) {
  return response.headers['X-Served-By'] || response.headers['x-served-by'] || '';
}

// Runs once before the load: every service must answer through the gateway, or the test stops
// with a message saying which one did not.
export function setup() {
  if (!BASE_URL) fail('BASE_URL is not set: k6 run -e BASE_URL=http://localhost:8080 load-tests/smoke.js');
  for (const service of SERVICES) {
    const url = `${BASE_URL}/${service}/openapi.json`;
    const response = http.get(url, { tags: { name: `setup ${service}` } });
    if (response.status !== 200) {
      fail(`${service} does not answer through the gateway: GET ${url} gave ${response.status || response.error}`);
    }
    if (!servedBy(response)) fail(`${service} answered without an X-Served-By header: is this anypod?`);
  }
}

// Per virtual user: the pod names seen so far, per service.
const seen = {};
for (const service of SERVICES) seen[service] = new Set();

export default function () {
  for (const request of REQUESTS) {
    // A 401 is this request's expected answer, not a failure of the service.
    const params = { tags: { name: request.path, service: request.service } };
    if (request.status !== 200) params.responseCallback = http.expectedStatuses(request.status);
    const response = http.get(`${BASE_URL}${request.path}`, params);
    const pod = servedBy(response);
    check(response, {
      [`${request.path}: status ${request.status}`]: (r) => r.status === request.status,
      [`${request.path}: body`]: (r) => {
        const json = parseJson(r);
        return json !== null && request.body(json);
      },
      [`${request.path}: X-Served-By`]: () => pod.length > 0,
    }, { service: request.service });
    if (pod) {
      seen[request.service].add(pod);
      podsSeen[request.service].add(seen[request.service].size);
    }
  }
  sleep(0.2);
}
