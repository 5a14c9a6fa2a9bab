// Deletions: pods deleted, replaced and restarted, and what users saw around each of them —
// errors and p99 next to the moments pods started. Built only from what every Prometheus on
// Kubernetes has (per-pod `up`, each process's own start time, the services' metrics), so it
// stands without kube-state-metrics.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { annotation, buildDashboard, statPanel, timeSeries } from './panels.ts';
import { NOT_USER_TRAFFIC, quantile, REQUESTS_PER_POD, sel, sumRate } from './promql.ts';

/** Seconds a pod counts as "just started" for the annotation. */
const STARTED_WITHIN_SECONDS = 60;

export function deletionsDashboard(): dashboard.Dashboard {
  const requests = (...extra: string[]) => sel('http_requests_total', NOT_USER_TRAFFIC, ...extra);
  return buildDashboard({
    uid: 'anypod-deletions',
    title: 'anypod / Deletions',
    description: 'Pods deleted, replaced and restarted, and the errors and p99 around each of them. Needs no kube-state-metrics.',
    annotations: [
      // `< bool` keeps one series per pod (0 or 1) instead of none: Grafana marks where it is 1.
      annotation('Pod started', `(time() - ${sel('process_start_time_seconds')}) < bool ${STARTED_WITHIN_SECONDS}`, 'orange'),
    ],
    rows: [
      {
        title: 'Pods',
        panels: [
          statPanel({
            title: 'Pods gone (time range)',
            description: 'Pods scraped at some point of the range that are no longer there: deleted or replaced.',
            width: 8,
            height: 5,
            queries: [{ expr: `count by (container) (max_over_time(${sel('up')}[$__range])) - count by (container) (${sel('up')})`, legend: '{{container}}' }],
          }),
          statPanel({
            title: 'Pods seen (time range)',
            description: 'Distinct pods scraped during the range: the pods there now plus every one that was replaced.',
            width: 8,
            height: 5,
            queries: [{ expr: `count by (container) (max_over_time(${sel('up')}[$__range]))`, legend: '{{container}}' }],
          }),
          statPanel({
            title: 'Restarts in place (time range)',
            description: 'Times a pod\'s process started again under the same pod name (a container restart: liveness failure or crash), from process_start_time_seconds changing.',
            width: 8,
            height: 5,
            queries: [{ expr: `sum by (container) (changes(${sel('process_start_time_seconds')}[$__range]))`, legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Youngest pod\'s age',
            description: 'Per service, the age of its newest process: each drop to 0 is a pod replaced or restarted.',
            unit: 's',
            queries: [{ expr: `min by (container) (time() - ${sel('process_start_time_seconds')})`, legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Targets up and down',
            description: 'Per service, pods answering their scrape and pods found but not answering (starting, hung or dying).',
            unit: 'none',
            min: 0,
            queries: [
              { expr: `sum by (container) (${sel('up')})`, legend: '{{container}} up' },
              { expr: `sum by (container) (1 - ${sel('up')})`, legend: '{{container}} down' },
            ],
          }),
        ],
      },
      {
        title: 'Around each deletion',
        panels: [
          timeSeries({
            title: '5xx per service',
            description: 'Server errors per second. A deletion that users felt shows as a spike at a "Pod started" mark.',
            unit: 'reqps',
            min: 0,
            queries: [{ expr: `${sumRate(['container'], requests('status_class="5xx"'))} or ${sumRate(['container'], requests())} * 0`, legend: '{{container}} 5xx' }],
          }),
          timeSeries({
            title: 'p99 per service',
            description: 'The 99th percentile of user request duration: requests that waited on a dying pod show here.',
            unit: 's',
            queries: [{ expr: quantile(0.99, ['container'], sel('http_request_duration_seconds_bucket', NOT_USER_TRAFFIC)), legend: '{{container}} p99' }],
          }),
          timeSeries({
            title: 'Requests per pod',
            description: 'Load moving from a deleted pod to the others and on to its replacement.',
            unit: 'reqps',
            queries: [{ expr: REQUESTS_PER_POD, legend: '{{container}} {{pod}}' }],
          }),
          timeSeries({
            title: 'Requests in flight per service',
            description: 'Requests accepted and not yet answered: a draining pod finishes its own before it exits.',
            unit: 'none',
            min: 0,
            queries: [{ expr: `sum by (container) (${sel('http_requests_in_flight')})`, legend: '{{container}}' }],
          }),
        ],
      },
    ],
  });
}
