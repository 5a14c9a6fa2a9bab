// "Any pod": the claim of the project on one page — load spreads over every pod of a service,
// pods come and go without the load noticing, and one user's session is served by several pods.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { barGauge, buildDashboard, stateTimeline, statPanel, timeSeries } from './panels.ts';
import { NOT_USER_TRAFFIC, REQUESTS_PER_POD, sel, share, sumIncrease, sumRate } from './promql.ts';

const sessions = (previous: string) => sel('anypod_session_requests_total', `previous_pod=~"${previous}"`);

export function anyPodDashboard(): dashboard.Dashboard {
  return buildDashboard({
    uid: 'anypod-any-pod',
    title: 'anypod / Any pod',
    description: 'Requests per pod, how evenly they spread, pods coming and going, and sessions served by several pods.',
    rows: [
      {
        title: 'Load over pods',
        panels: [
          timeSeries({
            title: 'Requests per pod',
            description: 'User requests per second each pod serves (probes and scrapes left out). Lines of one service should run together.',
            unit: 'reqps',
            queries: [{ expr: REQUESTS_PER_POD, legend: '{{container}} {{pod}}' }],
          }),
          barGauge({
            title: 'Share of each service\'s requests per pod (time range)',
            description: 'Each pod\'s part of its service\'s requests over the selected range: with N pods, each near 1/N.',
            unit: 'percentunit',
            queries: [
              {
                expr: `${sumIncrease(['container', 'pod'], sel('http_requests_total', NOT_USER_TRAFFIC))} / on (container) group_left () ${sumIncrease(['container'], sel('http_requests_total', NOT_USER_TRAFFIC))}`,
                legend: '{{container}} {{pod}}',
              },
            ],
          }),
          timeSeries({
            title: 'Spread: busiest pod / quietest pod',
            description: 'Per service, the busiest pod\'s request rate divided by the quietest\'s. 1 is perfectly even; a pod that gets nothing makes it infinite.',
            unit: 'none',
            queries: [{ expr: `max by (container) (${REQUESTS_PER_POD}) / min by (container) (${REQUESTS_PER_POD})`, legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Spread: coefficient of variation of per-pod rate',
            description: 'Per service, the standard deviation of the pods\' request rates over their mean. 0 is perfectly even.',
            unit: 'percentunit',
            min: 0,
            queries: [{ expr: `stddev by (container) (${REQUESTS_PER_POD}) / avg by (container) (${REQUESTS_PER_POD})`, legend: '{{container}}' }],
          }),
        ],
      },
      {
        title: 'Pods coming and going',
        panels: [
          stateTimeline({
            title: 'Pods scraped (up)',
            description: 'One lane per pod: when Prometheus found it and whether its /metrics answered. A deleted pod\'s lane ends, its replacement\'s begins.',
            width: 24,
            height: 10,
            queries: [{ expr: sel('up'), legend: '{{container}} {{pod}}' }],
            mappings: [
              { type: dashboard.MappingType.ValueToText, options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } } },
            ],
          }),
          timeSeries({
            title: 'Pods up per service',
            description: 'Targets answering per service. A deletion shows as a dip only if no replacement was ready in time.',
            unit: 'none',
            min: 0,
            queries: [{ expr: `sum by (container) (${sel('up')})`, legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Pod age',
            description: 'Seconds since each pod\'s process started (process_start_time_seconds): a new line starting at 0 is a new pod, a line dropping to 0 is a restart.',
            unit: 's',
            queries: [{ expr: `time() - ${sel('process_start_time_seconds')}`, legend: '{{container}} {{pod}}' }],
          }),
        ],
      },
      {
        title: 'Sessions across pods',
        panels: [
          timeSeries({
            title: 'Session requests by previous pod',
            description: 'Requests with a session, by where the session\'s previous request to the same service was served: same pod, another pod, or none seen.',
            unit: 'reqps',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'previous_pod'], sel('anypod_session_requests_total')), legend: '{{container}} {{previous_pod}}' }],
          }),
          timeSeries({
            title: 'Session requests served by another pod',
            description: 'Of the requests whose session was seen before, the share served by a different pod than the previous one. With N pods and no stickiness, near (N-1)/N.',
            unit: 'percentunit',
            min: 0,
            queries: [{ expr: share(sumRate(['container'], sessions('other')), sumRate(['container'], sessions('same|other'))), legend: '{{container}}' }],
          }),
          statPanel({
            title: 'Session requests served by another pod (time range)',
            description: 'The same share over the whole selected range.',
            unit: 'percentunit',
            width: 24,
            height: 5,
            queries: [{ expr: share(sumIncrease(['container'], sessions('other')), sumIncrease(['container'], sessions('same|other'))), legend: '{{container}}' }],
          }),
        ],
      },
    ],
  });
}
