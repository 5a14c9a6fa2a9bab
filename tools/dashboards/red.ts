// RED per service: request rate, errors by status class, duration by route template — plus what
// saturates a Node process (in-flight requests, event-loop lag, CPU and memory from cAdvisor) and
// cart's calls to catalog, the one service-to-service dependency on the request path.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard, timeSeries } from './panels.ts';
import { NOT_USER_TRAFFIC, quantile, sel, share, sumRate } from './promql.ts';

const requests = (...extra: string[]) => sel('http_requests_total', NOT_USER_TRAFFIC, ...extra);
const buckets = sel('http_request_duration_seconds_bucket', NOT_USER_TRAFFIC);

export function redDashboard(): dashboard.Dashboard {
  return buildDashboard({
    uid: 'anypod-red',
    title: 'anypod / RED per service',
    description: 'Rate, errors and duration of each service\'s user requests, what saturates its pods, and cart\'s calls to catalog.',
    rows: [
      {
        title: 'Rate',
        panels: [
          timeSeries({
            title: 'Requests per service',
            description: 'User requests per second (probes and scrapes left out).',
            unit: 'reqps',
            queries: [{ expr: sumRate(['container'], requests()), legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Requests by route',
            description: 'Per route template (Fastify\'s, e.g. /cart/items/:productId), so the number of series stays bounded.',
            unit: 'reqps',
            queries: [{ expr: sumRate(['container', 'method', 'route'], requests()), legend: '{{container}} {{method}} {{route}}' }],
          }),
        ],
      },
      {
        title: 'Errors',
        panels: [
          timeSeries({
            title: 'Responses by status class',
            description: 'Responses per second by status class: 4xx are the clients\', 5xx the services\' own failures.',
            unit: 'reqps',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'status_class'], requests()), legend: '{{container}} {{status_class}}' }],
          }),
          timeSeries({
            title: '5xx ratio',
            description: 'Share of user requests answered with a 5xx: the availability SLO\'s error ratio (the alerts burn on it).',
            unit: 'percentunit',
            min: 0,
            queries: [{ expr: share(sumRate(['container'], requests('status_class="5xx"')), sumRate(['container'], requests())), legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Token verifications by result and reason',
            description: 'Access tokens checked per second: accepted, or rejected with the reason (expired, invalid_signature, revoked, ...).',
            unit: 'ops',
            queries: [{ expr: sumRate(['container', 'result', 'reason'], sel('anypod_token_verifications_total')), legend: '{{container}} {{result}} {{reason}}' }],
          }),
        ],
      },
      {
        title: 'Duration',
        panels: [
          timeSeries({
            title: 'p99 per service',
            description: 'The 99th percentile of user request duration per service (from the histogram\'s buckets: a value is as precise as the bucket it falls in).',
            unit: 's',
            queries: [{ expr: quantile(0.99, ['container'], buckets), legend: '{{container}} p99' }],
          }),
          timeSeries({
            title: 'p50 per service',
            description: 'The median user request duration per service.',
            unit: 's',
            queries: [{ expr: quantile(0.5, ['container'], buckets), legend: '{{container}} p50' }],
          }),
          timeSeries({
            title: 'p99 by route',
            description: 'The 99th percentile per route template.',
            unit: 's',
            queries: [{ expr: quantile(0.99, ['container', 'route'], buckets), legend: '{{container}} {{route}}' }],
          }),
          timeSeries({
            title: 'p50 by route',
            description: 'The median per route template.',
            unit: 's',
            queries: [{ expr: quantile(0.5, ['container', 'route'], buckets), legend: '{{container}} {{route}}' }],
          }),
        ],
      },
      {
        title: 'Saturation',
        panels: [
          timeSeries({
            title: 'Requests in flight per pod',
            description: 'Requests each pod has accepted and not yet answered.',
            unit: 'none',
            min: 0,
            queries: [{ expr: `sum by (container, pod) (${sel('http_requests_in_flight')})`, legend: '{{container}} {{pod}}' }],
          }),
          timeSeries({
            title: 'Event-loop lag p99 per pod',
            description: 'How late the JavaScript thread runs what is due (prom-client\'s default metric): CPU-bound work shows here before it shows in latency.',
            unit: 's',
            queries: [{ expr: sel('nodejs_eventloop_lag_p99_seconds'), legend: '{{container}} {{pod}}' }],
          }),
          timeSeries({
            title: 'CPU per pod (cAdvisor)',
            description: 'Cores used by each service container (the kubelet\'s cAdvisor metrics; scraped by kube-prometheus-stack, not by the chart\'s own Prometheus).',
            unit: 'none',
            queries: [{ expr: sumRate(['container', 'pod'], sel('container_cpu_usage_seconds_total')), legend: '{{container}} {{pod}}' }],
          }),
          timeSeries({
            title: 'Memory working set per pod (cAdvisor)',
            description: 'Working-set bytes of each service container (what the memory limit is enforced against).',
            unit: 'bytes',
            queries: [{ expr: `sum by (container, pod) (${sel('container_memory_working_set_bytes')})`, legend: '{{container}} {{pod}}' }],
          }),
        ],
      },
      {
        title: 'Calls from cart to catalog',
        panels: [
          timeSeries({
            title: 'Catalog calls by outcome',
            description: 'Cart\'s calls to catalog per second: ok, client_error, server_error, timeout or unavailable.',
            unit: 'ops',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'operation', 'outcome'], sel('anypod_catalog_calls_total')), legend: '{{operation}} {{outcome}}' }],
          }),
          timeSeries({
            title: 'Catalog call duration p99',
            description: 'The 99th percentile of a call from cart to catalog, per operation.',
            unit: 's',
            queries: [{ expr: quantile(0.99, ['container', 'operation'], sel('anypod_catalog_call_duration_seconds_bucket')), legend: '{{operation}} p99' }],
          }),
        ],
      },
    ],
  });
}
